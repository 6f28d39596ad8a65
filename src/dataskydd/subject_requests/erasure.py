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

from sqlalchemy import ColumnElement, Engine, Enum, String, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from dataskydd.access import consents
from dataskydd.audit import service as audit_service
from dataskydd.datamap import queries
from dataskydd.datamap.entries import TableMap, register_tables
from dataskydd.db.base import Base
from dataskydd.db.maintenance import checkpoint_wal
from dataskydd.db.session import call_after_commit
from dataskydd.policy.retention import keep_until
from dataskydd.policy.schema import BookkeepingRetention, Lang, Policy
from dataskydd.register import service as register_service
from dataskydd.register.models import LegalHold, Restriction
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


def _holding(entry: TableMap, category: str, subject_id: int) -> ColumnElement[bool]:
    """Rows of the subject that hold a value of `category` in `entry`."""
    table = queries.table_of(entry)
    columns = [c for c, cat in entry.columns.items() if cat == category]
    return and_(
        queries.subject_condition(entry, subject_id),
        or_(*(table.c[c].is_not(None) for c in columns)),
    )


def _counts(session: Session, subject_id: int) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for entry in register_tables():
        table = queries.table_of(entry)
        for category in entry.categories:
            statement = select(func.count()).select_from(table)
            count = session.scalar(statement.where(_holding(entry, category, subject_id))) or 0
            if count:
                counts.setdefault(category, {})[entry.table] = count
    return counts


def _duty_ends(session: Session, policy: Policy, subject_id: int, category: str) -> date | None:
    """The last day a legal retention duty keeps this category's newest record, if any."""
    rule = policy.categories[category].retention
    if not isinstance(rule, BookkeepingRetention):
        return None
    latest: date | None = None
    for entry in register_tables():
        if category not in entry.categories or entry.time_column is None:
            continue
        table = queries.table_of(entry)
        newest = session.scalar(
            select(func.max(table.c[entry.time_column])).where(
                _holding(entry, category, subject_id)
            )
        )
        if newest is not None:
            day = newest.date() if isinstance(newest, datetime) else newest
            latest = day if latest is None or day > latest else latest
    return keep_until(rule, created_on=latest) if latest else None


def _held(session: Session, subject_id: int, categories: list[str]) -> dict[str, str]:
    """Of `categories`, those a standing legal hold covers, with the hold's reference."""
    found: dict[str, str] = {}
    rows = session.scalars(
        select(LegalHold).where(
            LegalHold.subject_id == subject_id, LegalHold.standing_over(categories)
        )
    ).all()
    for hold in rows:
        for category in categories if hold.category is None else [hold.category]:
            found.setdefault(category, hold.reference)
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
    register_service.get_subject(session, subject_id)
    counts = _counts(session, subject_id)
    if elsewhere is None:
        elsewhere = _elsewhere(session, subject_id)
    for system, per_category in elsewhere.items():
        for category, per_table in per_category.items():
            for table, rows in per_table.items():
                counts.setdefault(category, {})[f"{system}.{table}"] = rows
    duty: dict[str, date] = {}
    for category in counts:
        ends = _duty_ends(session, policy, subject_id, category)
        if ends is not None and ends >= today:
            duty[category] = ends
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


def _blank(entry: TableMap, columns: list[str]) -> dict[str, object]:
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


def erase_subject(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    subject_id: int,
    today: date,
    request_id: int | None = None,
) -> ErasurePlan:
    """Erase the subject everywhere: first every other system of the data map (each in its
    own transaction, a receipt each; one unreachable makes the whole erasure wait before the
    register is touched), then the register in the caller's transaction."""
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
        session, policy=policy, subject_id=subject_id, today=today, elsewhere=elsewhere
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
    order = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
    # Children before parents, so nothing is left pointing at a deleted row.
    for entry in sorted(register_tables(), key=lambda e: order[e.table], reverse=True):
        erase = [c for c, cat in entry.columns.items() if cat not in kept]
        if not erase:
            continue
        table = queries.table_of(entry)
        condition = queries.subject_condition(entry, subject_id)
        keeps_some = any(cat in kept for cat in entry.columns.values())
        if entry.table == "subject" and not kept:
            session.execute(delete(table).where(condition))
        elif keeps_some or entry.table == "subject":
            values = _blank(entry, erase)
            if values:
                session.execute(update(table).where(condition).values(**values))
        else:
            session.execute(delete(table).where(condition))
    for item in plan.items:
        if item.action is ErasureAction.KEEP:
            session.add(
                Restriction(
                    subject_id=subject_id,
                    category=item.category,
                    reason=(item.reason or "")[:300],
                    until=item.kept_until,
                )
            )
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
