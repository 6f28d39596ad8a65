"""Which subjects a breach touched, selected by a query over the data map: everyone who still
holds data of the chosen categories (in the chosen system), e.g. every subject with a value
of the contact category in the register.

The query reads subject ids only, never a value: whether a column is empty is all it asks.
The subjects' addresses are read later, one access decision each (subject_notice.py).
Other systems are reached by identifiers, not by subject id, so the selection covers the
register, where every subject is; docs/breaches.md says how to select in another system."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Enum, String, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.datamap import entries, queries
from dataskydd.datamap.entries import OnErase, TableMap
from dataskydd.errors import InvalidInput
from dataskydd.policy.schema import Policy
from dataskydd.register.models import Subject

MAX_BATCH = 1000


@dataclass(frozen=True)
class Selection:
    categories: tuple[str, ...]
    system: str

    def as_dict(self) -> dict[str, Any]:
        return {"categories": list(self.categories), "system": self.system}


def register_key() -> str:
    return entries.current().register.key


def selection(policy: Policy, categories: Sequence[str], system: str | None) -> Selection:
    chosen = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
    if not chosen:
        raise InvalidInput("categories", "choose at least one category")
    unknown = [c for c in chosen if c not in policy.categories]
    if unknown:
        raise InvalidInput("categories", f"unknown (valid: {', '.join(policy.categories)})")
    data_map = entries.current()
    register = data_map.register.key
    key = (system or register).strip()
    known = [s.key for s in data_map.systems]
    if key not in known:
        raise InvalidInput("system", f"unknown system (valid: {', '.join(known)})")
    if key != register:
        raise InvalidInput(
            "system", f"subjects are selected in the register ({register}); see docs/breaches.md"
        )
    return Selection(chosen, key)


def _holds(entry: TableMap, category: str) -> ColumnElement[bool]:
    """The row still holds a value of `category` (an erased column is empty or "-…")."""
    table = queries.table_of(entry)
    if entry.on_erase is OnErase.DELETE and entry.categories == frozenset({category}):
        return true()  # the row itself is the data
    checks: list[ColumnElement[bool]] = []
    for name, of in entry.columns.items():
        if of != category:
            continue
        column = table.c[name]
        if column.nullable:
            checks.append(column.is_not(None))
        elif isinstance(column.type, String) and not isinstance(column.type, Enum):
            checks.append(and_(column != "", ~column.startswith("-")))
    return or_(*checks) if checks else true()


def _condition(chosen: Selection) -> ColumnElement[bool]:
    subject_id = cast(Any, Subject.__table__.c.id)  # correlated: the outer subject's id
    holds_any = [
        exists(
            select(1)
            .select_from(queries.table_of(entry))
            .where(queries.subject_condition(entry, subject_id), _holds(entry, category))
        )
        for category in chosen.categories
        for entry in entries.current().register.tables
        if category in entry.categories
    ]
    if not holds_any:
        return Subject.id.is_(None)  # no table of the register holds these categories
    return or_(*holds_any)


def count(session: Session, chosen: Selection) -> int:
    """The preview before anyone is told: how many subjects the selection finds."""
    with guard.internal():
        return (
            session.scalar(select(func.count()).select_from(Subject).where(_condition(chosen))) or 0
        )


def batches(session: Session, chosen: Selection, *, size: int) -> Iterator[list[int]]:
    """The selected subjects' ids in ascending batches (keyset: no OFFSET, no long cursor)."""
    size = max(1, min(size, MAX_BATCH))
    after = 0
    while True:
        with guard.internal():
            ids = list(
                session.scalars(
                    select(Subject.id)
                    .where(Subject.id > after, _condition(chosen))
                    .order_by(Subject.id)
                    .limit(size)
                )
            )
        if not ids:
            return
        yield ids
        after = ids[-1]
