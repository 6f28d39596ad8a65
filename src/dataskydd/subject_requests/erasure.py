"""Erasure (GDPR art. 17) by walking the data map, with the legal exceptions applied.

Per category the policy decides: erase, or keep under a legal duty (art. 17.3 b) — the
categories of purposes marked `kept_on_erasure` stay, restricted (art. 18), while records
under a legal retention duty (bokföringslagen 7 kap. 2 §) are still within their period.
There is no per-table code: rows are deleted, or their columns blanked where the row must stay.
On SQLite `secure_delete` (db/session.py) overwrites what was deleted in the database file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Enum,
    Executable,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from dataskydd.access import consents
from dataskydd.audit import service as audit_service
from dataskydd.datamap import queries
from dataskydd.datamap.entries import TableMap, register_tables
from dataskydd.db.base import Base
from dataskydd.db.maintenance import checkpoint_wal
from dataskydd.db.session import call_after_commit
from dataskydd.errors import NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.retention import keep_until
from dataskydd.policy.schema import BookkeepingRetention, Lang, Policy
from dataskydd.register.models import LegalHold, Restriction, Subject
from dataskydd.subject_requests import systems
from dataskydd.subject_requests.models import ReceiptAction, SystemReceiptRecord


class ErasureAction(StrEnum):
    ERASE = "erase"
    KEEP = "keep"


@dataclass(frozen=True)
class PlanItem:
    category: str
    title: str
    action: ErasureAction
    rows: dict[str, int]
    kept_until: date | None = None
    reason: str | None = None

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class ErasurePlan:
    subject_id: int
    items: list[PlanItem] = field(default_factory=list)
    # One per other system of the data map, once the erasure ran (docs/data-map.md).
    receipts: list[SystemReceiptRecord] = field(default_factory=list)

    @property
    def kept(self) -> frozenset[str]:
        return frozenset(i.category for i in self.items if i.action is ErasureAction.KEEP)

    def as_dict(self) -> dict[str, object]:
        return {
            "subject_id": self.subject_id,
            "items": [
                {
                    "category": i.category,
                    "title": i.title,
                    "action": i.action.value,
                    "rows": i.rows,
                    "kept_until": i.kept_until.isoformat() if i.kept_until else None,
                    "reason": i.reason,
                }
                for i in self.items
            ],
        }


# The subject's id, bound at execution: the plan's and the erasure's statements are built
# once per data map, since building SQL expressions cost more than running them (issue 13).
_SUBJECT = bindparam("subject_id", type_=Integer)


def _holding(entry: TableMap, category: str) -> ColumnElement[bool]:
    """Rows of the subject that hold a value of `category` in `entry`."""
    table = queries.table_of(entry)
    columns = [c for c, cat in entry.columns.items() if cat == category]
    return and_(
        queries.subject_condition(entry, _SUBJECT),
        or_(*(table.c[c].is_not(None) for c in columns)),
    )


@dataclass(frozen=True)
class _Census:
    """One statement for the whole plan: per table and category the subject's rows holding
    a value of it and, for the categories under a legal retention duty, the newest row's
    time - scalar subqueries of a single SELECT, one round trip instead of one per count."""

    statement: Select[Any]
    counts: tuple[tuple[str, str, str], ...]  # label, table, category
    newest: tuple[tuple[str, str], ...]  # label, category


@lru_cache(maxsize=64)
def _census(tables: tuple[TableMap, ...], dated: frozenset[str]) -> _Census:
    # First: whether the subject exists at all (its id only, no personal data).
    columns: list[Any] = [exists().where(Subject.id == _SUBJECT).label("found")]
    counts: list[tuple[str, str, str]] = []
    newest: list[tuple[str, str]] = []
    for entry in tables:
        table = queries.table_of(entry)
        for category in sorted(entry.categories):
            holding = _holding(entry, category)
            label = f"c{len(columns)}"
            counted = select(func.count()).select_from(table).where(holding)
            columns.append(counted.scalar_subquery().label(label))
            counts.append((label, entry.table, category))
            if category in dated and entry.time_column is not None:
                label = f"c{len(columns)}"
                latest = select(func.max(table.c[entry.time_column])).where(holding)
                columns.append(latest.scalar_subquery().label(label))
                newest.append((label, category))
    return _Census(select(*columns), tuple(counts), tuple(newest))


def _counts_and_duties(
    session: Session, policy: Policy, subject_id: int
) -> tuple[dict[str, dict[str, int]], dict[str, date]]:
    """The subject's rows per category and table, and per category under a legal retention
    duty (bokföringslagen) the last day it keeps its newest record."""
    rules = {
        key: category.retention
        for key, category in policy.categories.items()
        if isinstance(category.retention, BookkeepingRetention)
    }
    census = _census(register_tables(), frozenset(rules))
    # Core on the session's connection: the ORM's execution path costs more than the read.
    row = session.connection().execute(census.statement, {"subject_id": subject_id}).one()
    values = row._mapping
    if not values["found"]:
        raise NotFound(Msg("subject {subject_id} does not exist", subject_id=subject_id))
    counts: dict[str, dict[str, int]] = {}
    for label, table, category in census.counts:
        if values[label]:
            counts.setdefault(category, {})[table] = values[label]
    latest: dict[str, date] = {}
    for label, category in census.newest:
        value = values[label]
        if value is None:
            continue
        day = value.date() if isinstance(value, datetime) else value
        if category not in latest or day > latest[category]:
            latest[category] = day
    duty_ends: dict[str, date] = {}
    for category, day in latest.items():
        ends = keep_until(rules[category], created_on=day)
        if ends is not None:
            duty_ends[category] = ends
    return counts, duty_ends


def _held(session: Session, subject_id: int, categories: list[str]) -> dict[str, str]:
    """Of `categories`, those a standing legal hold covers, with the hold's reference."""
    found: dict[str, str] = {}
    rows = session.connection().execute(
        select(LegalHold.category, LegalHold.reference).where(
            LegalHold.subject_id == subject_id, LegalHold.standing_over(categories)
        )
    )
    for held, reference in rows:
        for category in categories if held is None else [held]:
            found.setdefault(category, reference)
    return found


def _longer(until: date, kept: tuple[date | None, str] | None) -> bool:
    """A legal duty replaces what keeps a category only when it keeps it longer; a hold (no
    end date) is never replaced."""
    return kept is None or (kept[0] is not None and kept[0] < until)


def _elsewhere(session: Session, subject_id: int) -> dict[str, dict[str, dict[str, int]]]:
    """The subject's rows in the other systems, for a plan shown before anything is done."""
    _reached, counts = systems.counts_everywhere(
        session,
        subject_id=subject_id,
        identifiers=systems.identifiers_for_others(session, subject_id),
        request_id=None,
        action=ReceiptAction.ERASURE,
        by="plan",
        keep_receipts=False,
        record_problems=False,
    )
    return counts


def plan_erasure(
    session: Session,
    *,
    policy: Policy,
    subject_id: int,
    today: date,
    lang: Lang = "sv",
    elsewhere: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
) -> ErasurePlan:
    """What an erasure would do, per category: erase, or keep with the date and the reason.
    Rows are counted per table, `system.table` for the other systems (`elsewhere`: their
    counts, category → table → rows per system; asked for when not given)."""
    counts, duty_ends = _counts_and_duties(session, policy, subject_id)
    if elsewhere is None:
        elsewhere = _elsewhere(session, subject_id)
    for system, per_category in elsewhere.items():
        for category, per_table in per_category.items():
            for table, rows in per_table.items():
                counts.setdefault(category, {})[f"{system}.{table}"] = rows
    duty = {c: ends for c, ends in duty_ends.items() if ends >= today}
    kept: dict[str, tuple[date | None, str]] = {}
    # A legal hold (art. 17.3 e) keeps what it covers, for as long as it stands.
    hold_text = "Rättsligt krav" if lang == "sv" else "Legal hold"
    for category, reference in _held(session, subject_id, list(counts)).items():
        kept[category] = (None, f"{hold_text}: {reference}")
    for purpose in policy.purposes.values():
        active = [c for c in purpose.categories if c in duty]
        if not purpose.kept_on_erasure or not active:
            continue
        until = max(duty[c] for c in active)
        law = purpose.legal_reference.get(lang) if purpose.legal_reference else ""
        reason = f"{purpose.title.get(lang)}: {law}".rstrip(": ")
        for category in purpose.categories:
            if category in counts and _longer(until, kept.get(category)):
                kept[category] = (until, reason)
    plan = ErasurePlan(subject_id)
    for category in policy.categories:
        if category not in counts:
            continue
        title = policy.categories[category].title.get(lang)
        if category in kept:
            kept_until, reason = kept[category]
            plan.items.append(
                PlanItem(category, title, ErasureAction.KEEP, counts[category], kept_until, reason)
            )
        else:
            plan.items.append(PlanItem(category, title, ErasureAction.ERASE, counts[category]))
    return plan


def _blank(entry: TableMap, columns: tuple[str, ...]) -> dict[str, object]:
    table = queries.table_of(entry)
    values: dict[str, object] = {}
    for name in columns:
        column = table.c[name]
        # NOT NULL text columns get an empty string; other NOT NULL columns hold codes or
        # dates that identify no one once the rest of the row is blank.
        if column.nullable:
            values[name] = None
        elif isinstance(column.type, String) and not isinstance(column.type, Enum):
            # A code (an Enum) keeps its value: "person" identifies no one, and "" is no code.
            values[name] = ""
    return values


@lru_cache(maxsize=64)
def _children_first(tables: tuple[TableMap, ...]) -> tuple[TableMap, ...]:
    """Children before parents, so nothing is left pointing at a deleted row (sorting the
    metadata's tables costs more than a small subject's erasure)."""
    order = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
    return tuple(sorted(tables, key=lambda e: order[e.table], reverse=True))


@lru_cache(maxsize=1024)
def _erasing(entry: TableMap, kept: frozenset[str]) -> Executable | None:
    """The statement erasing the subject's rows of `entry` when `kept` categories stay: the
    rows deleted, or, where a kept category holds the row (or it is the subject itself, still
    named by what is kept), the other categories' columns blanked. None: nothing to do."""
    erase = tuple(c for c, cat in entry.columns.items() if cat not in kept)
    if not erase:
        return None
    table = queries.table_of(entry)
    condition = queries.subject_condition(entry, _SUBJECT)
    keeps_some = any(cat in kept for cat in entry.columns.values())
    if entry.table == "subject" and not kept:
        return delete(table).where(condition)
    if keeps_some or entry.table == "subject":
        values = _blank(entry, erase)
        return update(table).where(condition).values(**values) if values else None
    return delete(table).where(condition)


def erase_subject(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    subject_id: int,
    today: date,
    request_id: int | None = None,
    lang: Lang = "sv",
) -> ErasurePlan:
    """Erase the subject everywhere: first every other system of the data map (each in its
    own transaction, a receipt each; one unreachable makes the whole erasure wait before the
    register is touched), then the register in the caller's transaction. `lang`: the
    subject's language, in which the kept categories' reasons are stored (they are shown to
    the subject)."""
    # Read before anything is erased: the register's e-mail and personnummer find the rows.
    identifiers = systems.identifiers_for_others(session, subject_id)
    reached, elsewhere = systems.counts_everywhere(
        session,
        subject_id=subject_id,
        identifiers=identifiers,
        request_id=request_id,
        action=ReceiptAction.ERASURE,
        by=actor,
        keep_receipts=False,
    )
    plan = plan_erasure(
        session, policy=policy, subject_id=subject_id, today=today, lang=lang, elsewhere=elsewhere
    )
    plan.receipts = systems.erase_everywhere(
        session,
        reached=reached,
        subject_id=subject_id,
        identifiers=identifiers,
        kept={i.category: i.reason or "" for i in plan.items if i.action is ErasureAction.KEEP},
        request_id=request_id,
        by=actor,
    )
    kept = plan.kept
    session.flush()  # what the ORM holds goes first, as session.execute's autoflush did
    connection = session.connection()  # Core: plain statements, no ORM objects involved
    for entry in _children_first(register_tables()):
        statement = _erasing(entry, kept)
        if statement is not None:
            connection.execute(statement, {"subject_id": subject_id})
    restrictions = [
        {
            "subject_id": subject_id,
            "category": item.category,
            "reason": (item.reason or "")[:300],
            "until": item.kept_until,
        }
        for item in plan.items
        if item.action is ErasureAction.KEEP
    ]
    if restrictions:
        # One executemany; the rows' ids are not needed here.
        session.execute(insert(Restriction), restrictions)
    withdrawn = consents.withdraw_all(session, subject_id=subject_id)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject.erase",
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={
            "erased": {i.category: i.total for i in plan.items if i.action is ErasureAction.ERASE},
            "kept": {i.category: i.total for i in plan.items if i.action is ErasureAction.KEEP},
            "consents_withdrawn": withdrawn,
            "systems": {r.system: r.id for r in plan.receipts},
        },
    )
    call_after_commit(session, "erasure.checkpoint_wal", _empty_the_log)
    return plan


def _empty_the_log(session: Session) -> None:
    """After the erasure committed: on SQLite, old page images leave the -wal file."""
    bind = session.get_bind()
    checkpoint_wal(bind if isinstance(bind, Engine) else bind.engine)
