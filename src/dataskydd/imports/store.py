"""The register's side of an import batch: the subjects a batch's identifiers find (by the
blind indexes), what they hold, and the batch's writes - new subjects and their rows through
the driver (COPY on PostgreSQL, executemany on SQLite, every value bound by its column type
as an INSERT binds it: the personnummer encrypted), fills of empty fields with their
rectification history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.db.among import among, batches, within
from dataskydd.db.driver_writes import DriverWriter
from dataskydd.imports.merging import (
    ADDRESS_COLUMNS,
    CONTACT_COLUMNS,
    NAME_FIELDS,
    ROLE_COLUMNS,
    Held,
    Key,
    Keys,
    address_key,
)
from dataskydd.register import lookup
from dataskydd.register.enums import ContactKind
from dataskydd.register.models import (
    ContactPoint,
    PostalAddress,
    Rectification,
    Subject,
    SubjectRole,
)

# One import at a time: two at once could each create the same new person.
_LOCK_KEY = 0x1D5_1D6


def lock_imports(session: Session) -> None:
    """PostgreSQL: a transaction-level advisory lock; SQLite allows one writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def find_matches(session: Session, keys: Iterable[Keys]) -> dict[Key, set[int]]:
    """Each of the rows' keys (merging.Key) → ids of the subjects holding it. Reads the
    indexed columns only."""
    wanted: dict[str, set[str]] = {
        "personnummer": set(),
        "organisationsnummer": set(),
        "email": set(),
    }
    for row_keys in keys:
        for kind, identifier in row_keys:
            wanted[kind].add(identifier)
    lookups = (
        (
            "personnummer",
            select(Subject.id, Subject.personnummer_index),
            Subject.personnummer_index,
        ),
        (
            "organisationsnummer",
            select(Subject.id, Subject.organisationsnummer),
            Subject.organisationsnummer,
        ),
        (
            "email",
            select(ContactPoint.subject_id, ContactPoint.lookup_index).where(
                ContactPoint.kind == ContactKind.EMAIL
            ),
            ContactPoint.lookup_index,
        ),
    )
    dialect = session.get_bind().dialect.name
    found: dict[Key, set[int]] = defaultdict(set)
    for name, statement, column in lookups:
        for condition in among(column, sorted(wanted[name]), dialect):
            for subject_id, value in session.execute(statement.where(condition)):
                found[(name, str(value))].add(subject_id)
    return found


def load_held(session: Session, subject_ids: Sequence[int]) -> dict[int, Held]:
    """What the register holds of these subjects, as far as a merge compares it."""
    held: dict[int, Held] = {}
    dialect = session.get_bind().dialect.name
    for chunk in batches(sorted(subject_ids), dialect):
        for row in session.execute(
            select(
                Subject.id,
                Subject.kind,
                Subject.personnummer_index,
                *(getattr(Subject, name) for name in NAME_FIELDS),
            ).where(within(Subject.id, chunk, dialect))
        ):
            held[row.id] = Held(
                row.id,
                row.kind,
                {name: getattr(row, name) for name in NAME_FIELDS},
                row.personnummer_index,
            )
        for subject_id, kind, index in session.execute(
            select(ContactPoint.subject_id, ContactPoint.kind, ContactPoint.lookup_index).where(
                within(ContactPoint.subject_id, chunk, dialect)
            )
        ):
            held[subject_id].contacts.add((kind, index))
        for subject_id, street, postal_code, city in session.execute(
            select(
                PostalAddress.subject_id,
                PostalAddress.street,
                PostalAddress.postal_code,
                PostalAddress.city,
            ).where(within(PostalAddress.subject_id, chunk, dialect))
        ):
            held[subject_id].addresses.add(address_key(street, postal_code, city))
        for subject_id, role in session.execute(
            select(SubjectRole.subject_id, SubjectRole.role).where(
                within(SubjectRole.subject_id, chunk, dialect), SubjectRole.ended_on.is_(None)
            )
        ):
            held[subject_id].roles.add(role)
    return held


# A new subject's row, then its timestamps (one value a batch).
SUBJECT_COLUMNS = ("id", "kind", *NAME_FIELDS, "personnummer", "personnummer_index", "search_name")


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def allocate_subject_ids(session: Session, count: int) -> list[int]:
    """Ids for new subjects, taken as the database would hand them out."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('subject', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
        )
    highest = session.scalar(select(func.coalesce(func.max(Subject.id), 0))) or 0
    # AUTOINCREMENT never reuses an erased subject's id: start past the highest ever given.
    given = session.scalar(
        text("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'subject'")
    )
    start = max(int(highest), int(given or 0)) + 1
    return list(range(start, start + count))


def write_batch(
    session: Session, writer: DriverWriter, helds: Sequence[Held], *, actor: str, reason: str
) -> None:
    """New subjects with all their rows; for subjects that exist, their new rows and the
    fields filled in (each kept in the rectification history, as the register's rectify
    does)."""
    new = [held for held in helds if held.is_new]
    now = utc_now()
    stamps = {"created_at": now, "updated_at": now}
    for held, subject_id in zip(new, allocate_subject_ids(session, len(new)), strict=True):
        held.subject_id = subject_id
    writer.write_tuples(
        _table(Subject),
        SUBJECT_COLUMNS,
        [
            (
                held.subject_id,
                held.kind,
                *(held.names[name] for name in NAME_FIELDS),
                held.personnummer,
                held.personnummer_index,
                lookup.search_name(
                    held.names["given_name"],
                    held.names["family_name"],
                    held.names["organisation_name"],
                ),
            )
            for held in new
        ],
        stamps,
    )
    created = {id(held) for held in new}
    for held in helds:
        if id(held) not in created and held.filled:
            _fill(session, held, actor=actor, reason=reason, now=now)
    for model, columns, rows, constants in (
        (SubjectRole, ROLE_COLUMNS, "role_rows", {}),
        (ContactPoint, CONTACT_COLUMNS, "contact_rows", stamps),
        (PostalAddress, ADDRESS_COLUMNS, "address_rows", stamps),
    ):
        writer.write_tuples(
            _table(model),
            ("subject_id", *columns),
            [(h.subject_id, *row) for h in helds for row in getattr(h, rows)],
            constants,
        )
    for held in helds:
        held.filled.clear()
        held.contact_rows.clear()
        held.address_rows.clear()
        held.role_rows.clear()


def _fill(session: Session, held: Held, *, actor: str, reason: str, now: Any) -> None:
    values: dict[str, Any] = {name: held.names[name] for name in held.filled if name in NAME_FIELDS}
    if "personnummer" in held.filled:
        values |= {"personnummer": held.personnummer, "personnummer_index": held.personnummer_index}
    values["search_name"] = lookup.search_name(
        held.names["given_name"], held.names["family_name"], held.names["organisation_name"]
    )
    values["updated_at"] = now
    session.execute(update(Subject).where(Subject.id == held.subject_id).values(**values))
    session.add_all(
        Rectification(
            subject_id=held.subject_id,
            table_name="subject",
            row_id=held.subject_id,
            field=name,
            old_value=None,
            new_value=held.personnummer if name == "personnummer" else held.names[name],
            changed_by=actor,
            changed_at=now,
            reason=reason,
        )
        for name in held.filled
    )
    session.flush()
