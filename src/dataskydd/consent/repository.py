"""Reads and writes of consent records."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from dataskydd.consent.models import ConsentRecord


def add(session: Session, record: ConsentRecord) -> ConsentRecord:
    session.add(record)
    session.flush()
    return record


def _latest_granted_statement() -> Select[str, str]:
    newest = (
        select(ConsentRecord.visitor_id, func.max(ConsentRecord.id).label("last_id"))
        .where(ConsentRecord.visitor_id.in_(bindparam("visitor_ids", expanding=True)))
        .group_by(ConsentRecord.visitor_id)
        .subquery()
    )
    return select(ConsentRecord.visitor_id, ConsentRecord.granted).join(
        newest, ConsentRecord.id == newest.c.last_id
    )


# Built once: the collector asks this for every batch of events, and building the statement
# (and its cache key) cost more than running it (benchmarks/bench_collect.py).
_LATEST_GRANTED = _latest_granted_statement()


def latest_granted(session: Session, visitor_ids: Collection[str]) -> dict[str, frozenset[str]]:
    """Each visitor's purposes from their most recent choice; absent visitors chose nothing."""
    if not visitor_ids:
        return {}
    rows = session.execute(_LATEST_GRANTED, {"visitor_ids": list(set(visitor_ids))})
    return {visitor: frozenset(filter(None, granted.split(","))) for visitor, granted in rows}


def list_for_visitor(session: Session, visitor_id: str) -> list[ConsentRecord]:
    statement = (
        select(ConsentRecord)
        .where(ConsentRecord.visitor_id == visitor_id)
        .order_by(ConsentRecord.id)
    )
    return list(session.scalars(statement))
