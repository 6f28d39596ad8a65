"""The company's other systems in a subject's request (docs/data-map.md).

A registerutdrag or an erasure is never silently partial. Before anything is read for the
subject or changed anywhere, every other system of the data map is asked how many of the
subject's rows it holds; a system that cannot be reached (or has no URL configured) is
recorded as a receipt saying so, and the request waits: `SystemsWaiting` is raised, its
receipts are kept (the entry point commits them), and the DPO's queue shows what it waits
for until a retry gets through. Each system's part - rows found, deleted, blanked, kept with
the reason - is a receipt kept as evidence (art. 5(2)).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.config import get_settings
from dataskydd.datamap import connections, entries, external
from dataskydd.datamap.entries import SystemMap
from dataskydd.datamap.identifiers import SubjectIdentifiers, subject_identifiers
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg
from dataskydd.subject_requests.models import (
    ReceiptAction,
    ReceiptStatus,
    RequestStatus,
    SubjectRequest,
    SystemReceiptRecord,
)

_OPEN = (RequestStatus.OPEN, RequestStatus.EXTENDED)


class SystemsWaiting(connections.SystemUnavailable):
    """Some systems could not be reached: nothing was read or changed for the subject there,
    the receipts saying so are kept, and the request waits to be retried."""

    keeps_work = True


@dataclass(frozen=True)
class Reached:
    system: SystemMap
    url: str


def other_systems() -> tuple[SystemMap, ...]:
    return entries.current().external


def identifiers_for_others(session: Session, subject_id: int) -> SubjectIdentifiers:
    """What finds the subject in the other systems; nothing is read from the register (its
    personnummer decrypted) when the data map names no other system."""
    if not other_systems():
        return SubjectIdentifiers()
    return subject_identifiers(session, subject_id)


def url_of(system: SystemMap) -> str:
    try:
        return connections.system_url(system.key, get_settings())
    except ConfigurationError as error:
        # No URL is a reason to wait, named for the operator, like a system that is down.
        raise connections.SystemUnavailable(error.message) from None


def record(
    session: Session,
    *,
    system: str,
    subject_id: int,
    request_id: int | None,
    action: ReceiptAction,
    by: str,
    found: int = 0,
    deleted: int = 0,
    blanked: int = 0,
    detail: Mapping[str, Any] | None = None,
    problem: str | None = None,
) -> SystemReceiptRecord:
    receipt = SystemReceiptRecord(
        request_id=request_id,
        subject_id=subject_id,
        system=system,
        action=action,
        status=ReceiptStatus.UNREACHABLE if problem else ReceiptStatus.DONE,
        by=by[:100],
        rows_found=found,
        rows_deleted=deleted,
        rows_blanked=blanked,
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
        problem=problem[:300] if problem else None,
    )
    session.add(receipt)
    session.flush()
    return receipt


def counts_everywhere(
    session: Session,
    *,
    subject_id: int,
    identifiers: SubjectIdentifiers,
    request_id: int | None,
    action: ReceiptAction,
    by: str,
    keep_receipts: bool,
    record_problems: bool = True,
) -> tuple[list[Reached], dict[str, dict[str, dict[str, int]]]]:
    """Every other system reached, and per system its counts (category → table → rows).

    A system that cannot be reached is recorded (always) and, once all were tried, makes the
    whole step wait: `SystemsWaiting` names them. With `keep_receipts`, systems reached are
    recorded too (what a completed registerutdrag found there); without `record_problems`
    (a plan shown before anything is done) nothing is recorded."""
    reached: list[Reached] = []
    counts: dict[str, dict[str, dict[str, int]]] = {}
    waiting: list[str] = []
    for system in other_systems():
        try:
            url = url_of(system)
            counts[system.key] = external.count_by_category(system, url, identifiers)
        except connections.SystemUnavailable as error:
            waiting.append(system.key)
            if not record_problems:
                continue
            record(
                session,
                system=system.key,
                subject_id=subject_id,
                request_id=request_id,
                action=action,
                by=by,
                problem=error.message,
            )
            continue
        reached.append(Reached(system, url))
        if keep_receipts:
            found = _rows_in(counts[system.key])
            record(
                session,
                system=system.key,
                subject_id=subject_id,
                request_id=request_id,
                action=action,
                by=by,
                found=sum(found.values()),
                detail={"tables": {t: {"found": n} for t, n in found.items()}},
            )
    if waiting:
        raise SystemsWaiting(
            Msg(
                "waiting for {values}: could not be reached, so nothing was "
                "read or changed for the subject anywhere; try again when the "
                "system is back (the DPO's systems page says why)",
                values=", ".join(waiting),
            )
        )
    return reached, counts


def _rows_in(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Rows per table: the largest count over its categories (a row may hold several)."""
    rows: dict[str, int] = {}
    for per_table in counts.values():
        for table, count in per_table.items():
            rows[table] = max(rows.get(table, 0), count)
    return rows


def erase_everywhere(
    session: Session,
    *,
    reached: list[Reached],
    subject_id: int,
    identifiers: SubjectIdentifiers,
    kept: Mapping[str, str],
    request_id: int | None,
    by: str,
) -> list[SystemReceiptRecord]:
    """Erase the subject from every other system (each in one transaction of its own), all
    categories but those `kept` (category → reason), and keep a receipt per system. A system
    failing midway makes the rest wait: those done keep their receipts; the register is
    erased only after every other system was (the caller's order)."""
    receipts = []
    for part in reached:
        receipt = functools.partial(
            record,
            session,
            system=part.system.key,
            subject_id=subject_id,
            request_id=request_id,
            action=ReceiptAction.ERASURE,
            by=by,
        )
        erased = sorted(part.system.categories - set(kept))
        try:
            done = external.erase(part.system, part.url, erased, identifiers)
        except connections.SystemUnavailable as error:
            receipt(problem=error.message)
            raise SystemsWaiting(
                Msg(
                    "waiting for {key}: {message}; the erasure is retried when it is back",
                    key=part.system.key,
                    message=error.message,
                )
            ) from None
        held = sorted(part.system.categories & set(kept))
        receipts.append(
            receipt(
                found=done.found,
                deleted=done.deleted,
                blanked=done.changed,
                detail={**done.as_dict(), "kept": {c: kept[c] for c in held}},
            )
        )
    return receipts


@dataclass(frozen=True)
class SystemActivity:
    last_done: datetime | None
    last_problem: datetime | None
    problem: str | None


def activity_by_system(session: Session) -> dict[str, SystemActivity]:
    """Per system: when it last took part in a request, and its last problem."""
    done: dict[str, datetime] = dict(
        session.execute(
            select(SystemReceiptRecord.system, func.max(SystemReceiptRecord.at))
            .where(SystemReceiptRecord.status == ReceiptStatus.DONE)
            .group_by(SystemReceiptRecord.system)
        ).all()
    )
    problems: dict[str, tuple[datetime, str | None]] = {}
    for system, at, problem in session.execute(
        select(SystemReceiptRecord.system, SystemReceiptRecord.at, SystemReceiptRecord.problem)
        .where(SystemReceiptRecord.status == ReceiptStatus.UNREACHABLE)
        .order_by(SystemReceiptRecord.at.desc())
        .limit(500)
    ):
        problems.setdefault(system, (at, problem))
    # The register takes part in every request: the last one answered.
    register = entries.current().register.key
    answered = session.scalar(select(func.max(SubjectRequest.completed_at)))
    if answered is not None:
        done[register] = answered
    keys = set(done) | set(problems)
    return {
        key: SystemActivity(
            last_done=done.get(key),
            last_problem=problems[key][0] if key in problems else None,
            problem=problems[key][1] if key in problems else None,
        )
        for key in keys
    }


def receipts_of(session: Session, request_id: int) -> Iterator[SystemReceiptRecord]:
    yield from session.scalars(
        select(SystemReceiptRecord)
        .where(SystemReceiptRecord.request_id == request_id)
        .order_by(SystemReceiptRecord.at, SystemReceiptRecord.id)
    )


def waiting_for(session: Session, request_ids: list[int]) -> dict[int, list[str]]:
    """Per open request: the systems whose latest receipt for it says unreachable."""
    latest: dict[tuple[int, str], ReceiptStatus] = {}
    if not request_ids:
        return {}
    for request_id, system, status in session.execute(
        select(
            SystemReceiptRecord.request_id, SystemReceiptRecord.system, SystemReceiptRecord.status
        )
        .where(SystemReceiptRecord.request_id.in_(request_ids))
        .order_by(SystemReceiptRecord.at, SystemReceiptRecord.id)
    ):
        if request_id is not None:
            latest[(request_id, system)] = status
    waiting: dict[int, list[str]] = {}
    for (request_id, system), status in sorted(latest.items()):
        if status is ReceiptStatus.UNREACHABLE:
            waiting.setdefault(request_id, []).append(system)
    return waiting


def waiting_requests(session: Session, limit: int = 500) -> dict[int, list[str]]:
    """Open requests that wait for another system: their ids and the systems."""
    open_ids = list(
        session.scalars(
            select(SubjectRequest.id)
            .where(SubjectRequest.status.in_(_OPEN))
            .order_by(SubjectRequest.due_on, SubjectRequest.id)
            .limit(limit)
        )
    )
    return waiting_for(session, open_ids)
