"""Retention runs: every category rule of the policy applied to every mapped table, in short
batches, each committed with its count in the run's report line (the heartbeat every few
seconds, one audit entry per table and category when it is done).

Stopped at any moment (kill -9, a lost connection), a run has erased exactly the batches its
lines count; the next run finds it stopped, marks it interrupted and carries on. Rows are
worked in key order with a keyset, so a batch is never read twice and a run always ends.
Only one run works at a time: a lock that dies with its process (PostgreSQL's advisory lock,
an flock beside a SQLite file), else a heartbeat younger than STALE_AFTER."""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    Table,
    and_,
    any_,
    delete,
    distinct,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dataskydd.access import guard
from dataskydd.analytics import partitions
from dataskydd.analytics.models import PageEvent
from dataskydd.audit import service as audit_service
from dataskydd.clock import utc_now
from dataskydd.datamap import external
from dataskydd.datamap.connections import SystemUnavailable
from dataskydd.datamap.entries import OnErase, TableMap, current
from dataskydd.db.base import Base
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.errors import Conflict, DataskyddError
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import (
    AfterCreationRetention,
    LegalBasis,
    Policy,
    RetentionRule,
)
from dataskydd.retention import external_rows, register_rows, subjects
from dataskydd.retention.models import (
    RetentionLine,
    RetentionRun,
    RetentionSubject,
    RunStatus,
)
from dataskydd.retention.rules import (
    IP_NETWORK_KEPT,
    KEPT_UNTIL,
    NO_CONSENT_PURPOSE,
    NO_TIME_COLUMN,
    Cutoff,
    Trigger,
    cutoff,
)
from dataskydd.subject_requests.systems import url_of

logger = logging.getLogger(__name__)

# A running run that has not committed a batch for this long was stopped (where no lock that
# ends with the process tells, see _one_run_at_a_time).
STALE_AFTER = dt.timedelta(minutes=10)
HEARTBEAT_SECONDS = 5.0
# pg_try_advisory_lock key: "retn" in ASCII.
_ADVISORY_KEY = 0x7265746E


@dataclass(frozen=True)
class Task:
    """One category of one table: what the run works on, line by line in the report."""

    system: str
    table: str
    category: str
    rule: RetentionRule
    cut: Cutoff
    entry: TableMap | None  # None: the website's page events (not linked to subjects)
    consent_purposes: tuple[str, ...] = ()
    # Why the rule cannot be applied here (no date column, no consent purpose): reported.
    cannot: str | None = None
    # Page events: only this column is emptied (the truncated IP network, earlier than the
    # event itself goes).
    blank: str | None = None
    described: str | None = None

    @property
    def line_table(self) -> str:
        """The table as the report names it: `page_event.ip_network` for a column only."""
        return f"{self.table}.{self.blank}" if self.blank else self.table

    @property
    def rule_text(self) -> str:
        if self.cannot is not None:
            return self.cannot
        if self.described is not None:
            last_due = self.cut.last_due.isoformat()
            return KEPT_UNTIL.fill(kept=self.described, date=last_due)
        return self.cut.describe(self.rule)

    @property
    def action(self) -> str:
        if self.entry is None:
            return OnErase.BLANK.value if self.blank else OnErase.DELETE.value
        if self.entry.categories != frozenset({self.category}):
            kept_row = OnErase.BLANK if self.entry.on_erase is OnErase.BLANK else OnErase.ANONYMISE
            return kept_row.value
        return self.entry.on_erase.value


def _consent_purposes(policy: Policy, category: str) -> tuple[str, ...]:
    return tuple(
        key
        for key, purpose in policy.purposes.items()
        if purpose.legal_basis is LegalBasis.CONSENT and category in purpose.categories
    )


def _register_order() -> dict[str, int]:
    """Children before parents (foreign keys hold, a child's parent still finds it)."""
    ordered = list(reversed(Base.metadata.sorted_tables))
    return {table.name: index for index, table in enumerate(ordered)}


def page_event_rule(policy: Policy) -> tuple[str, AfterCreationRetention] | None:
    """The website's page events hold the categories of the purposes the banner's measuring
    choices consent to; the shortest after-creation rule among them governs the events."""
    banner = policy.consent_banner
    if banner is None:
        return None
    purposes = {
        choice.policy_purpose
        for choice in banner.purposes.values()
        if (choice.measures_visits or choice.tracking_pixel) and choice.policy_purpose
    }
    found: list[tuple[int, str, AfterCreationRetention]] = []
    for key in sorted(purposes):
        purpose = policy.purposes.get(key)
        for category in purpose.categories if purpose else ():
            rule = policy.categories[category].retention
            if isinstance(rule, AfterCreationRetention):
                found.append((rule.months, category, rule))
    if not found:
        return None
    _months, category, rule = min(found)
    return category, rule


def _page_event_tasks(policy: Policy, register: str, today: dt.date) -> list[Task]:
    """The website's page events go whole after their rule; then (so that the report counts
    each row once) the truncated IP network of younger ones after the banner's days."""
    events = page_event_rule(policy)
    if events is None:
        return []
    category, rule = events
    table = PageEvent.__tablename__
    found = [Task(register, table, category, rule, cutoff(rule, today), None)]
    banner = policy.consent_banner
    if banner is not None and banner.ip_network_days is not None:
        days = banner.ip_network_days
        network = Cutoff(Trigger.CREATED, today - dt.timedelta(days=days + 1))
        found.append(
            Task(
                register,
                table,
                category,
                rule,
                network,
                None,
                blank=PageEvent.ip_network.key,
                described=IP_NETWORK_KEPT.fill(days=days),
            )
        )
    return found


def _children_first(tables: tuple[TableMap, ...]) -> tuple[TableMap, ...]:
    """Another system's tables, a table before those its links hop through (a child goes, or
    is counted, before its parent, which it is found through)."""
    depth: dict[str, int] = {}
    for entry in tables:
        depth[entry.table] = max((len(link.via) for link in entry.links), default=0)
    return tuple(sorted(tables, key=lambda e: -depth[e.table]))


def tasks(policy: Policy, today: dt.date) -> list[Task]:
    """Every (system, table, category) with a retention rule, in the order a run works them."""
    data_map = current()
    order = _register_order()
    found: list[Task] = []
    # The other systems first: the register's identifiers are what find their rows.
    for system in (*data_map.external, data_map.register):
        tables = system.tables
        if system.builtin:
            tables = tuple(sorted(tables, key=lambda e: order.get(e.table, 0)))
        else:
            tables = _children_first(tables)
        for entry in tables:
            for category in sorted(entry.categories):
                known = policy.categories.get(category)
                rule = known.retention if known is not None else None
                if rule is None:
                    continue  # `policy check` reports a category without a rule or unknown
                cut = cutoff(rule, today)
                purposes = _consent_purposes(policy, category)
                cannot = None
                if cut.trigger == Trigger.CREATED and entry.time_column is None:
                    if not any(link.via for link in entry.links):
                        cannot = NO_TIME_COLUMN
                elif cut.trigger == Trigger.CONSENT_ENDED and not purposes:
                    cannot = NO_CONSENT_PURPOSE
                found.append(
                    Task(system.key, entry.table, category, rule, cut, entry, purposes, cannot)
                )
    found.extend(_page_event_tasks(policy, data_map.register.key, today))
    return found


# ---------------------------------------------------------------------------------------------
# Conditions


def _table(task: Task) -> Table:
    return Base.metadata.tables[task.table]


def _key(task: Task) -> ColumnElement[Any]:
    table = _table(task)
    return table.c[task.entry.key] if task.entry is not None else table.c.id


def _due(
    task: Task,
    today: dt.date,
    snapshot: int | None = None,
    present: register_rows.Exceptions = register_rows.ANY_EXCEPTION,
) -> ColumnElement[bool]:
    if task.entry is None:
        dated = PageEvent.occurred_at < subjects.start_of(task.cut.last_due + dt.timedelta(1))
        if task.blank:
            return and_(dated, PageEvent.__table__.c[task.blank].is_not(None))
        return dated
    return register_rows.due(
        task.entry, task.category, task.cut, today, task.consent_purposes, snapshot, present
    )


@dataclass
class Figures:
    rows_due: int = 0
    subjects: int = 0
    rows_held: int = 0
    rows_restricted: int = 0


def _is_external(task: Task) -> bool:
    return task.entry is not None and task.system != current().register.key


def _figures(session: Session, task: Task, today: dt.date, snapshot: int | None = None) -> Figures:
    # Counts only: no value leaves the database, so no access decision is needed (the SQL
    # guard of the tests is told so).
    if task.cannot is not None:
        return Figures()
    with guard.internal():
        if _is_external(task):
            target = _external(task)
            assert target is not None
            return _external_figures(session, task, target, today, snapshot)
        return _count(session, task, today, snapshot)


def _due_now(
    session: Session, task: Task, today: dt.date, snapshot: int | None = None
) -> tuple[ColumnElement[bool], register_rows.Exceptions]:
    """The due condition with only the kinds of exception that exist now: SQLite plans an
    OR of subqueries as a multi-index OR that holds every due rowid in memory."""
    present = (
        register_rows.exceptions(session, task.category, today)
        if task.entry is not None
        else register_rows.ANY_EXCEPTION
    )
    return _due(task, today, snapshot, present), present


def _count(session: Session, task: Task, today: dt.date, snapshot: int | None) -> Figures:
    table = _table(task)
    count = select(func.count()).select_from(table)
    due, present = _due_now(session, task, today, snapshot)
    rows_due = session.scalar(count.where(due)) or 0
    if task.entry is None:
        return Figures(rows_due=rows_due)
    entry = task.entry
    args = (entry, task.category, task.cut, today, task.consent_purposes)
    subjects_due = 0
    if rows_due:
        subjects_due = (
            session.scalar(select(func.count(distinct(register_rows.subject_of(entry)))).where(due))
            or 0
        )
    return Figures(
        rows_due=rows_due,
        subjects=subjects_due,
        rows_held=(session.scalar(count.where(register_rows.passed_but_held(*args))) or 0)
        if present.held
        else 0,
        rows_restricted=(
            session.scalar(count.where(register_rows.passed_but_restricted(*args))) or 0
        )
        if present.restricted
        else 0,
    )


# ---------------------------------------------------------------------------------------------
# The plan (a dry run)


@dataclass(frozen=True)
class PlanLine:
    system: str
    table: str
    category: str
    rule: str
    action: str
    rows_due: int
    subjects: int
    rows_held: int
    rows_restricted: int
    cannot: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "table": self.table,
            "category": self.category,
            "rule": self.rule,
            "action": self.action,
            "rows_due": self.rows_due,
            "subjects": self.subjects,
            "rows_held": self.rows_held,
            "rows_restricted": self.rows_restricted,
            "cannot_apply": self.cannot,
        }


def plan_retention(session: Session, policy: Policy, *, today: dt.date) -> list[PlanLine]:
    """What a run on `today` would erase, per system, table and category; nothing changes."""
    lines = []
    for task in tasks(policy, today):
        try:
            figures = _figures(session, task, today)
        except SystemUnavailable as error:
            task = replace(task, cannot=error.message)
            figures = Figures()
        lines.append(
            PlanLine(
                task.system,
                task.line_table,
                task.category,
                task.rule_text,
                task.action,
                figures.rows_due,
                figures.subjects,
                figures.rows_held,
                figures.rows_restricted,
                task.cannot,
            )
        )
    return lines


def overdue_rows(
    session: Session, policy: Policy, *, today: dt.date, category: str | None = None
) -> dict[str, int]:
    """Rows past their rule on `today`, per category (zero in a healthy system the day after
    a run). Held and restricted rows are not overdue: their own dates decide. In the other
    systems, rows a rule dated by the subject made due are found only by erasing them, so are
    not counted here; an unreachable system is skipped (the run's report names it)."""
    found: dict[str, int] = {}
    for task in tasks(policy, today):
        if task.cannot is not None or category not in (None, task.category):
            continue
        if _is_external(task):
            try:
                count = _figures(session, task, today).rows_due
            except SystemUnavailable:
                continue
        else:
            with guard.internal():  # a count: no value leaves the database
                due, _present = _due_now(session, task, today)
                statement = select(func.count()).select_from(_table(task)).where(due)
                count = session.scalar(statement) or 0
        if count:
            found[task.category] = found.get(task.category, 0) + count
    return found


# ---------------------------------------------------------------------------------------------
# The run


@contextmanager
def _one_run_at_a_time(engine: Engine) -> Iterator[bool]:
    """Exclusive for this run, by a lock that ends with its process however it ends: on
    PostgreSQL a session advisory lock, on a SQLite file an flock on a file beside it. Yields
    True when held, so any run still marked running was stopped; False (a database without a
    file) leaves it to the heartbeat."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            # Keyed by schema too: installations in separate schemas of one database run apart.
            got = connection.scalar(
                text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))"),
                {"key": _ADVISORY_KEY},
            )
            connection.commit()
            if not got:
                raise Conflict(Msg("a retention run is in progress; try again when it ends"))
            try:
                yield True
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"),
                    {"key": _ADVISORY_KEY},
                )
                connection.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield False
        return
    with open(f"{database}.retention-lock", "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(Msg("a retention run is in progress; try again when it ends")) from None
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _lines_total(session: Session, run_id: int) -> int:
    total = session.scalar(
        select(func.sum(RetentionLine.rows_erased)).where(RetentionLine.run_id == run_id)
    )
    return int(total or 0)


def _start(session: Session, *, today: dt.date, by: str, exclusive: bool) -> RetentionRun:
    now = utc_now()
    stopped = session.scalars(
        select(RetentionRun).where(RetentionRun.status == RunStatus.RUNNING).with_for_update()
    ).all()
    for run in stopped:
        if not exclusive and now - run.heartbeat_at < STALE_AFTER:
            raise Conflict(
                Msg(
                    "retention run {id} is in progress (last batch at "
                    "{heartbeat_at:%Y-%m-%d %H:%M} UTC); try again when it ends",
                    id=run.id,
                    heartbeat_at=run.heartbeat_at,
                )
            )
        run.status = RunStatus.INTERRUPTED
        run.problem = "stopped midway; its committed batches are counted in its lines"
        run.rows_erased = _lines_total(session, run.id)
        audit_service.record(
            session,
            actor=by[:100],
            action="retention.interrupted",
            detail={"run": run.id, "rows_erased": run.rows_erased},
        )
    # Runs that stopped or failed midway still list the subjects they had found due (a run
    # that ends empties its list): this run takes over their work.
    unfinished = session.scalars(select(RetentionSubject.run_id).distinct()).all()
    run = RetentionRun(
        status=RunStatus.RUNNING,
        today=today,
        by=by[:100],
        rows_erased=0,
        resumed=",".join(str(r) for r in sorted(unfinished))[:200],
        started_at=now,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def _snapshot(
    session: Session, run_id: int, resumed: list[int], work: list[Task], today: dt.date
) -> None:
    """List the subjects each subject-level rule has made due, before anything is erased;
    a run carrying on after stopped ones takes over their lists (what they erased first may
    have been the evidence that the relationship had ended)."""
    if resumed:
        session.execute(
            update(RetentionSubject)
            .where(RetentionSubject.run_id.in_(resumed))
            .values(run_id=run_id)
            .execution_options(synchronize_session=False)
        )
    done: set[str] = set()
    for task in work:
        if task.entry is None or task.cannot is not None:
            continue
        ids = register_rows.due_subjects(task.category, task.cut, today, task.consent_purposes)
        key = register_rows.scope(task.category, task.cut)
        if ids is None or key in done:
            continue
        done.add(key)
        listed = select(RetentionSubject.subject_id).where(
            RetentionSubject.run_id == run_id, RetentionSubject.scope == key
        )
        fresh = ids.subquery()
        rows = select(literal(run_id), literal(key), fresh.c.id).where(fresh.c.id.not_in(listed))
        session.execute(
            insert(RetentionSubject).from_select(["run_id", "scope", "subject_id"], rows)
        )


def _external(task: Task) -> external_rows.Target | None:
    if task.system == current().register.key or task.entry is None:
        return None
    system = current().system(task.system)
    return external_rows.Target(system, task.entry, task.category, task.cut, url_of(system))


def _record_batch(
    factory: sessionmaker[Session], run_id: int, line_id: int, erased: int, beat: bool
) -> None:
    with transaction(factory) as session:
        _count_batch(session, run_id, line_id, erased, beat=beat)


def _count_batch(
    session: Session, run_id: int, line_id: int, erased: int, *, beat: bool = True
) -> None:
    """A batch's rows, in the same transaction as the batch: the report never counts a row
    that was not erased, nor misses one that was. The heartbeat only now and then."""
    session.execute(
        update(RetentionLine)
        .where(RetentionLine.id == line_id)
        .values(rows_erased=RetentionLine.rows_erased + erased)
    )
    if beat:
        session.execute(
            update(RetentionRun).where(RetentionRun.id == run_id).values(heartbeat_at=utc_now())
        )


def _audit_line(session: Session, run_id: int, task: Task, erased: int) -> None:
    """One audit entry per table and category a run erased from (counts, never values); the
    line itself, written with every batch, is what a stopped run leaves as evidence."""
    if not erased:
        return
    audit_service.record(
        session,
        actor=f"retention:{run_id}",
        action="retention.erase",
        detail={
            "run": run_id,
            "system": task.system,
            "table": task.line_table,
            "category": task.category,
            "action": task.action,
            "rows": erased,
        },
    )


class _Heartbeat:
    """Whether a batch should also renew the run's heartbeat (every HEARTBEAT_SECONDS)."""

    def __init__(self) -> None:
        self._last = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < HEARTBEAT_SECONDS:
            return False
        self._last = now
        return True


def _work_external(
    factory: sessionmaker[Session],
    run_id: int,
    task: Task,
    *,
    today: dt.date,
    batch_size: int,
) -> None:
    """One task in another system. Unreachable, it is recorded in its line and the run's
    problem, and the run goes on: the next run erases what this one could not."""
    problem: str | None = None
    try:
        target = _external(task)
        assert target is not None
        with transaction(factory) as session:
            figures = (
                Figures()
                if task.cannot
                else _external_figures(session, task, target, today, run_id)
            )
    except SystemUnavailable as error:
        problem, figures = error.message, Figures()
    with transaction(factory) as session:
        line = RetentionLine(
            run_id=run_id,
            system=task.system,
            table_name=task.line_table,
            category=task.category,
            rule=(problem or task.rule_text)[:200],
            action=task.action,
            rows_due=figures.rows_due,
            rows_erased=0,
            subjects=figures.subjects,
            rows_held=0,
            rows_restricted=0,
        )
        session.add(line)
        session.flush()
        line_id = line.id
        if problem is not None:
            session.execute(
                update(RetentionRun).where(RetentionRun.id == run_id).values(problem=problem[:300])
            )
    if problem is not None or task.cannot is not None:
        return
    if task.cut.trigger == Trigger.CREATED and not figures.rows_due:
        return
    assert target is not None
    heartbeat = _Heartbeat()
    total = 0

    def counted(erased: int) -> None:
        nonlocal total
        total += erased
        _record_batch(factory, run_id, line_id, erased, heartbeat.due())

    try:
        external_rows.work(
            factory,
            target,
            run_id=run_id,
            today=today,
            batch_size=batch_size,
            counted=counted,
        )
        with transaction(factory) as session:
            _audit_line(session, run_id, task, total)
    except SystemUnavailable as error:
        with transaction(factory) as session:
            session.execute(
                update(RetentionRun)
                .where(RetentionRun.id == run_id)
                .values(problem=error.message[:300])
            )


def _external_figures(
    session: Session, task: Task, target: external_rows.Target, today: dt.date, run_id: int | None
) -> Figures:
    """Rows due when the rule is counted from the row's date; for a subject-level rule, the
    subjects due (their rows are found, and counted, as they are erased)."""
    if task.cut.trigger == Trigger.CREATED:
        excluded = external_rows.excluded(session, task.category, today)
        return Figures(rows_due=external_rows.count_dated(target, today, excluded))
    ids = register_rows.due_subjects(task.category, task.cut, today, task.consent_purposes, run_id)
    assert ids is not None
    with guard.internal():
        count = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    return Figures(subjects=count)


def _among(key: ColumnElement[Any], chosen: Select[Any], dialect: str) -> ColumnElement[bool]:
    """The batch: `key` is one of the keys `chosen` picks.

    On PostgreSQL `key = ANY (ARRAY(chosen))`, not `key IN (chosen)`: the planner costs the
    IN's semi-join as a merge join too, and for that probes the key's index for its lowest
    value, walking past the entries of every row the run has deleted so far (dead until
    VACUUM). Planning a batch then grew with the rows erased: 6,000 buffers and 50 ms a
    batch halfway through 10 M rows, against 0.1 ms for the array, which is an InitPlan the
    planner does not join (benchmarks/README.md, retention). SQLite has no arrays, and its
    planner does not probe."""
    if dialect == "postgresql":
        return key == any_(func.array(chosen.scalar_subquery()))
    return key.in_(chosen)


def _work(
    factory: sessionmaker[Session],
    run_id: int,
    task: Task,
    *,
    today: dt.date,
    batch_size: int,
) -> None:
    if _is_external(task):
        _work_external(factory, run_id, task, today=today, batch_size=batch_size)
        return
    with transaction(factory) as session:
        figures = _figures(session, task, today, run_id)
        line = RetentionLine(
            run_id=run_id,
            system=task.system,
            table_name=task.line_table,
            category=task.category,
            rule=task.rule_text[:200],
            action=task.action,
            rows_due=figures.rows_due,
            rows_erased=0,
            subjects=figures.subjects,
            rows_held=figures.rows_held,
            rows_restricted=figures.rows_restricted,
        )
        session.add(line)
        session.flush()
        line_id = line.id
    if task.cannot is not None or not figures.rows_due:
        return
    if task.entry is None and not task.blank:
        _drop_whole_months(factory, run_id, line_id, task)
    table = _table(task)
    key = _key(task)
    # Replaced at the first batch, and with every heartbeat, by the condition with only the
    # kinds of exception that exist then (_due_now).
    condition = _due(task, today, run_id)
    values: dict[str, Any] = {}
    deleting = True
    if task.blank:
        deleting, values = False, {task.blank: None}
    if task.entry is not None:
        step = external.erase_step(
            current().register, table, task.entry, frozenset({task.category})
        )
        deleting = step.action is OnErase.DELETE
        values = dict(step.values)
    heartbeat = _Heartbeat()
    total = 0
    last: Any = None
    # One connection for the table's batches, each its own transaction: a checkout per batch
    # cost a pre-ping and a reset, round trips more than the work (bench_retention.py).
    engine: Engine = factory.kw["bind"]
    with engine.connect() as connection, Session(bind=connection) as session:
        while True:
            # Erasing reads only keys: retention needs no access decision (the policy's own).
            with session.begin(), guard.internal():
                beat = heartbeat.due()
                if beat:
                    # A hold placed while the run works applies within HEARTBEAT_SECONDS.
                    condition, _present = _due_now(session, task, today, run_id)
                chosen = select(key).where(condition)
                if last is not None:
                    chosen = chosen.where(key > last)
                # The limit written into the statement, not bound: with a bound limit the
                # generic plan PostgreSQL makes for a prepared statement (psycopg prepares
                # after five uses) is a hash join over the whole table, 1.1 s a batch instead
                # of 2 ms at 3 M rows.
                limit: ColumnElement[int] = literal_column(str(int(batch_size)))
                batch = _among(key, chosen.order_by(key).limit(limit), engine.dialect.name)
                # One statement per batch: the keys are chosen, erased and returned by the
                # database (a list of a thousand bound keys cost more than the DELETE).
                statement = (
                    delete(table).where(batch)
                    if deleting
                    else update(table).where(batch).values(values)
                ).returning(key)
                ids = list(session.connection().execute(statement).scalars())
                if ids:
                    total += len(ids)
                    _count_batch(session, run_id, line_id, len(ids), beat=beat)
                    last = max(ids)
            if not ids:
                break
    with transaction(factory) as session:
        _audit_line(session, run_id, task, total)


def _drop_whole_months(
    factory: sessionmaker[Session], run_id: int, line_id: int, task: Task
) -> None:
    """PostgreSQL with page_event partitioned by month: each month all of whose events are due
    goes as one DROP TABLE (its files gone at once), counted in the same transaction; the
    batches below then delete what is due in the months that are not (analytics/partitions)."""
    cutoff = subjects.start_of(task.cut.last_due + dt.timedelta(1))
    try:
        with transaction(factory) as session:
            dropped = partitions.drop_before(session.connection(), cutoff)
            erased = sum(rows for _, rows in dropped)
            if erased:
                _count_batch(session, run_id, line_id, erased)
    except OperationalError as error:  # the table's lock not had within the timeout
        logger.warning(
            "retention run %s: page event months not dropped (%s); deleted row by row",
            run_id,
            type(error.orig).__name__,
        )
        return
    if dropped:
        logger.info("retention run %s dropped %d month(s) of page events", run_id, len(dropped))


def run_retention(
    engine: Engine, policy: Policy, *, today: dt.date, by: str, batch_size: int = 1000
) -> int:
    """Apply every rule for `today`; returns the run's id (its report: `report(run_id)`)."""
    factory = make_session_factory(engine)
    with _one_run_at_a_time(engine) as exclusive:
        with transaction(factory) as session:
            run = _start(session, today=today, by=by, exclusive=exclusive)
            run_id, resumed = run.id, [int(r) for r in run.resumed.split(",") if r]
        try:
            work = tasks(policy, today)
            with transaction(factory) as session, guard.internal():
                _snapshot(session, run_id, resumed, work, today)
            for task in work:
                _work(factory, run_id, task, today=today, batch_size=batch_size)
        except BaseException as error:
            kind = error.message if isinstance(error, DataskyddError) else type(error).__name__
            logger.error("retention run %d failed: %s", run_id, type(error).__name__)
            with transaction(factory) as session:
                session.execute(
                    update(RetentionRun)
                    .where(RetentionRun.id == run_id)
                    .values(
                        status=RunStatus.FAILED,
                        finished_at=utc_now(),
                        problem=kind[:300],
                        rows_erased=_lines_total(session, run_id),
                    )
                )
            raise
        with transaction(factory) as session:
            session.execute(delete(RetentionSubject).where(RetentionSubject.run_id == run_id))
            erased = _lines_total(session, run_id)
            session.execute(
                update(RetentionRun)
                .where(RetentionRun.id == run_id)
                .values(
                    status=RunStatus.FINISHED,
                    finished_at=utc_now(),
                    heartbeat_at=utc_now(),
                    rows_erased=erased,
                )
            )
            audit_service.record(
                session,
                actor=by[:100],
                action="retention.run",
                detail={"run": run_id, "rows_erased": erased, "today": today.isoformat()},
            )
    return run_id


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class Report:
    run: RetentionRun
    lines: list[RetentionLine]

    def as_dict(self) -> dict[str, object]:
        run = self.run
        return {
            "run": run.id,
            "status": run.status.value,
            "today": run.today.isoformat(),
            "by": run.by,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "rows_erased": run.rows_erased,
            "problem": run.problem,
            "resumed_runs": [int(r) for r in run.resumed.split(",") if r],
            "lines": [
                {
                    "system": line.system,
                    "table": line.table_name,
                    "category": line.category,
                    "rule": line.rule,
                    "action": line.action,
                    "rows_due": line.rows_due,
                    "rows_erased": line.rows_erased,
                    "subjects": line.subjects,
                    "rows_held": line.rows_held,
                    "rows_restricted": line.rows_restricted,
                }
                for line in self.lines
            ],
        }


def report(session: Session, run_id: int | None = None) -> Report | None:
    """The run's report (the latest run's without an id); None when there is none."""
    statement = select(RetentionRun)
    if run_id is None:
        statement = statement.order_by(RetentionRun.id.desc()).limit(1)
    else:
        statement = statement.where(RetentionRun.id == run_id)
    run = session.scalar(statement)
    if run is None:
        return None
    lines = session.scalars(
        select(RetentionLine).where(RetentionLine.run_id == run.id).order_by(RetentionLine.id)
    ).all()
    return Report(run, list(lines))


def recent_runs(session: Session, limit: int = 20) -> list[RetentionRun]:
    return list(session.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit)))


def erased_by_category(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(
        select(RetentionLine.category, func.sum(RetentionLine.rows_erased))
        .where(RetentionLine.run_id == run_id)
        .group_by(RetentionLine.category)
    ).all()
    return {category: int(total or 0) for category, total in rows}
