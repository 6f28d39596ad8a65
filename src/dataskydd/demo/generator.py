"""Writes a realistic Swedish demo customer base into the register, in bulk.

Rows are built in memory (builder.py) a chunk of customers at a time and written through
the driver, one statement per table and chunk: PostgreSQL COPY, SQLite executemany of
tuples (bulk.py). The caller owns the transaction; the whole run is one unit, so a failure
leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.audit import service as audit_service
from dataskydd.clock import today_in_sweden
from dataskydd.datamap import entries
from dataskydd.db.base import Base
from dataskydd.demo.builder import DemoBuilder
from dataskydd.demo.bulk import BulkWriter, Prepared
from dataskydd.demo.catalogue import SERVICES, CatalogueActivity, activities
from dataskydd.demo.records import ASSIGNED_ID_TABLES, TABLE_ORDER, Batch
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.register import models

MAX_CUSTOMERS = 1_000_000
MAX_YEARS = 20
CHUNK_CUSTOMERS = 500

# Called after each chunk with (customers written so far, customers asked for).
Progress = Callable[[int, int], None]


@dataclass
class DemoSummary:
    customers: int
    suppliers: int
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))
    elapsed_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0


def validate_request(*, customers: int, years: int) -> None:
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise InvalidInput(
            "customers", Msg("must be between 1 and {MAX_CUSTOMERS}", MAX_CUSTOMERS=MAX_CUSTOMERS)
        )
    if not 1 <= years <= MAX_YEARS:
        raise InvalidInput("years", Msg("must be between 1 and {MAX_YEARS}", MAX_YEARS=MAX_YEARS))


def supplier_count(customers: int) -> int:
    """A few dozen at realistic sizes; fewer for a tiny demo."""
    return max(3, min(40, customers // 20))


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def plan_demo(session: Session, *, seed: int, reference_date: date, years: int = 5) -> DemoBuilder:
    """Read where ids continue, make sure the catalogue exists, and return a seeded builder."""
    start_ids = {name: _highest_id_ever(session, name) for name in ASSIGNED_ID_TABLES}
    taken: set[str] = set()
    effective_seed: int | str = seed
    if start_ids["subject"]:
        # A later run on the same database: other people, and no personnummer used twice.
        effective_seed = f"{seed}/{start_ids['subject']}"
        index = models.Subject.personnummer_index
        taken = set(session.scalars(select(index).where(index.is_not(None))))
    return DemoBuilder(
        seed=effective_seed,
        reference_date=reference_date,
        years=years,
        start_ids=start_ids,
        service_ids=_ensure_services(session),
        activities=_ensure_activities(session, reference_date),
        taken_personnummer_indexes=taken,
    )


def _ensure_services(session: Session) -> dict[str, int]:
    table = _table("service")
    known = set(session.scalars(select(table.c.code)))
    missing = [
        {
            "code": s.code,
            "name": s.name,
            "kind": s.kind,
            "is_addon": s.is_addon,
            "monthly_price": s.monthly_price,
        }
        for s in SERVICES
        if s.code not in known
    ]
    if missing:
        session.execute(insert(table), missing)
    return {row.code: row.id for row in session.execute(select(table.c.code, table.c.id))}


def _ensure_activities(
    session: Session, reference_date: date
) -> list[tuple[int, CatalogueActivity]]:
    table = _table("activity")
    wanted = activities(reference_date)
    known = set(session.scalars(select(table.c.code)))
    missing = [
        {
            "code": a.code,
            "kind": a.kind,
            "title": a.title,
            "starts_on": a.starts_on,
            "ends_on": a.ends_on,
        }
        for a in wanted
        if a.code not in known
    ]
    if missing:
        session.execute(insert(table), missing)
    ids = {row.code: row.id for row in session.execute(select(table.c.code, table.c.id))}
    return [(ids[a.code], a) for a in wanted]


def prepare_batch(writer: BulkWriter, batch: Batch) -> list[Prepared]:
    """The batch's rows as the driver takes them, parents first; no connection is used."""
    # Tables the company's register map marks unused (a bookshop has no routers or IP
    # leases) get nothing: their rows are dropped here, before anything is written.
    unused = entries.current().register.unused
    return [
        writer.prepare(_table(name), batch.rows[name]) for name in TABLE_ORDER if name not in unused
    ]


def write_batch(session: Session, batch: Batch) -> None:
    writer = BulkWriter(session)
    for prepared in prepare_batch(writer, batch):
        writer.write(prepared)


def _highest_id_ever(session: Session, name: str) -> int:
    """The highest id the table has handed out, erased rows included: a demo run after the
    newest subject was erased must not give its id (and its evidence) to someone else."""
    highest = session.scalar(select(func.coalesce(func.max(_table(name).c.id), 0))) or 0
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # sqlite_sequence exists once an AUTOINCREMENT table does (migration 0009).
        handed_out = session.scalar(
            text("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = :name"),
            {"name": name},
        )
    elif dialect == "postgresql":
        handed_out = session.scalar(
            text(
                f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "  # noqa: S608 - fixed names
                f"FROM {_sequence_of(session, name)}"
            )
        )
    else:
        handed_out = 0
    return max(int(highest), int(handed_out or 0))


def _sequence_of(session: Session, name: str) -> str:
    found = session.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name})
    return str(found)


def _advance_sequences(session: Session) -> None:
    """PostgreSQL: explicit ids do not move the serial sequences; set them past our rows so
    later inserts through the application do not collide. Never backwards."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in ASSIGNED_ID_TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - fixed names
                f"greatest((SELECT coalesce(max(id), 0) FROM {name}), "
                f"(SELECT last_value FROM {_sequence_of(session, name)})), true)"
            )
        )


def generate_demo(
    session_or_engine: Session | Engine,
    *,
    customers: int,
    seed: int,
    reference_date: date | None = None,
    years: int = 5,
    actor: str = "demo",
    progress: Progress | None = None,
) -> DemoSummary:
    validate_request(customers=customers, years=years)
    if isinstance(session_or_engine, Engine):
        with Session(session_or_engine) as session, session.begin():
            return generate_demo(
                session,
                customers=customers,
                seed=seed,
                reference_date=reference_date,
                years=years,
                actor=actor,
                progress=progress,
            )
    session = session_or_engine
    started = time.perf_counter()
    # The operator writing demo data: the personnummer indexes already taken are read so as
    # not to reuse one, for no purpose of the policy and shown to no one (access.guard).
    with guard.internal():
        builder = plan_demo(
            session, seed=seed, reference_date=reference_date or today_in_sweden(), years=years
        )
    summary = DemoSummary(customers=customers, suppliers=supplier_count(customers))
    writer = BulkWriter(session)
    sizes = [
        min(CHUNK_CUSTOMERS, customers - done) for done in range(0, customers, CHUNK_CUSTOMERS)
    ]

    # One chunk in memory at a time, written before the next is built: memory stays flat.
    _write(writer, builder.suppliers(summary.suppliers), summary)
    done = 0
    for size in sizes:
        _write(writer, builder.customers(size), summary)
        done += size
        if progress is not None:
            progress(done, customers)
    _advance_sequences(session)
    audit_service.record(
        session,
        actor=actor,
        action="demo.generate",
        detail={"customers": customers, "suppliers": summary.suppliers, "seed": seed},
    )
    summary.elapsed_seconds = time.perf_counter() - started
    return summary


def _write(writer: BulkWriter, batch: Batch, summary: DemoSummary) -> None:
    for part in prepare_batch(writer, batch):
        writer.write(part)
        summary.rows[part.table] += len(part.rows)
