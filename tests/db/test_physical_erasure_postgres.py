"""Issue 11, part 5: on PostgreSQL, erased values leave the table, TOAST and index files and
pg_statistic once `reclaim` has run (docs/postgresql.md, "Erasure and the files").

The test process reads the server's data files directly (it runs on the same machine, as a
user who may read them): every segment of each relation, found by pg_relation_filepath.
Each test writes a marker of its own, checks that it IS in the files after the plain
DELETE (so the test can fail), and that it is gone after the documented steps.

Each module run gets a database of its own: VACUUM FULL keeps deleted rows while a snapshot
in the same database may still see them, and other test workers hold snapshots in the shared
test database. A transaction id still running in any database counts too; reclaim waits for
those (PATIENT), and says so if they outlast the wait.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from dataskydd import crypto, runtime
from dataskydd.cli import app
from dataskydd.cli._context import cli_transaction
from dataskydd.cli.maintenance import personal_columns
from dataskydd.config import get_settings
from dataskydd.db.maintenance import (
    Limits,
    Step,
    exclude_from_statistics,
    incomplete,
    reclaim_space,
)
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.register import service
from tests.conftest import IN_CI, POSTGRES_URL, TEST_SECRET, company_env, unavailable

pytestmark = pytest.mark.postgres

# Where a test needs the run complete: a transaction running anywhere on the server (another
# test worker's, say) makes reclaim wait for it, up to lock_wait, before it rewrites.
PATIENT = Limits(lock_wait=60)
FILLER_ROWS = 2000
MARKED_ROWS = 50  # the same value in many rows, so ANALYZE puts it among the common values


def url_of(database: str, *, user: str | None = None) -> str:
    url = make_url(POSTGRES_URL).set(database=database)
    if user is not None:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new database named physical_<random>, dropped afterwards; yields its URL."""
    name = f"physical_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        unavailable("PostgreSQL at " + POSTGRES_URL, error)
    try:
        yield url_of(name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """The register migrated into a database of its own, as the postgres superuser."""
    crypto.install_keyring(crypto.Keyring(TEST_SECRET))
    with throwaway_database() as url:
        migrated = make_engine(url)
        upgrade_to_head(migrated)
        with migrated.connect() as connection:
            data_directory(connection)  # skip (or fail in CI) before any work if unreadable
        yield migrated
        migrated.dispose()


def data_directory(connection: Connection) -> Path:
    directory = Path(str(connection.execute(text("SHOW data_directory")).scalar()))
    try:
        os.listdir(directory / "base")
    except OSError as error:
        message = f"the server's data directory {directory} is not readable here ({error})"
        if IN_CI:
            pytest.fail(f"{message}; CI must run these tests", pytrace=False)
        pytest.skip(message)
    return directory


def relations(connection: Connection, table: str) -> list[str]:
    """The table, its indexes, its TOAST table and the TOAST table's index."""
    rows = connection.execute(
        text(
            "WITH t AS (SELECT oid, reltoastrelid FROM pg_class WHERE oid = to_regclass(:t)) "
            "SELECT oid::regclass::text FROM t "
            "UNION ALL SELECT indexrelid::regclass::text FROM pg_index, t WHERE indrelid = t.oid "
            "UNION ALL SELECT reltoastrelid::regclass::text FROM t WHERE reltoastrelid <> 0 "
            "UNION ALL SELECT indexrelid::regclass::text FROM pg_index, t "
            "WHERE t.reltoastrelid <> 0 AND indrelid = t.reltoastrelid"
        ),
        {"t": table},
    ).scalars()
    return list(rows)


def occurrences(connection: Connection, tables: list[str], marker: str) -> dict[str, int]:
    """How often the marker is in each relation's files (main fork, every 1 GB segment)."""
    directory = data_directory(connection)
    found: dict[str, int] = {}
    for table in tables:
        for relation in relations(connection, table):
            path = connection.execute(
                text("SELECT pg_relation_filepath(to_regclass(:r))"), {"r": relation}
            ).scalar()
            main = directory / str(path)
            segments = [main, *main.parent.glob(f"{main.name}.[0-9]*")]
            count = sum(
                segment.read_bytes().count(marker.encode())
                for segment in segments
                if segment.exists()
            )
            if count:
                found[relation] = count
    return found


def marker_count(connection: Connection, table: str, marker: str) -> int:
    return sum(occurrences(connection, [table], marker).values())


def checkpoint(engine: Engine) -> None:
    """Dirty pages reach the files: what is in memory only proves nothing either way."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))


def new_marker() -> str:
    # Lower case, as search_name stores it: one marker to look for in every column.
    return f"qx{uuid.uuid4().hex[:12]}zq"


def statistics_holding(connection: Connection, tables: list[str], marker: str) -> list[str]:
    """pg_stats rows of these tables whose sample values contain the marker."""
    rows = connection.execute(
        text(
            "SELECT tablename || '.' || attname FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = ANY(:tables) "
            "AND (coalesce(most_common_vals::text, '') || coalesce(histogram_bounds::text, '')) "
            "ILIKE :pattern"
        ),
        {"tables": tables, "pattern": f"%{marker}%"},
    ).scalars()
    return list(rows)


def statistics_of(connection: Connection, tables: list[str]) -> set[str]:
    rows = connection.execute(
        text(
            "SELECT tablename || '.' || attname FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = ANY(:tables)"
        ),
        {"tables": tables},
    ).scalars()
    return set(rows)


def as_before_the_fix(connection: Connection) -> None:
    """An installation from before issue 11: every column analysed (statistics target -1)."""
    for table, columns in {
        "subject": ["search_name", "given_name"],
        "correspondence": ["body"],
    }.items():
        clauses = ", ".join(f"ALTER COLUMN {column} SET STATISTICS -1" for column in columns)
        connection.execute(text(f"ALTER TABLE {table} {clauses}"))


def write_marked_rows(engine: Engine, marker: str) -> None:
    """Filler rows around MARKED_ROWS subjects named by the marker (search_name is indexed)
    and as many letters holding it, one of them long enough to be stored in TOAST."""
    random_tail = os.urandom(3000).hex()  # incompressible: stored out of line, not squeezed
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subject (kind, given_name, search_name, created_at, updated_at) "
                # Random names: sample arrays of them do not compress, so pg_statistic's rows
                # hold the marker as plain bytes that the file scan can find.
                "SELECT 'person', 'Filler' || md5(random()::text), md5(random()::text), "
                "now(), now() "
                "FROM generate_series(1, :n) i"
            ),
            {"n": FILLER_ROWS},
        )
        connection.execute(
            text(
                "INSERT INTO subject (kind, given_name, search_name, created_at, updated_at) "
                "SELECT 'person', CAST(:marker AS text), :marker, now(), now() "
                "FROM generate_series(1, :n)"
            ),
            {"marker": marker, "n": MARKED_ROWS},
        )
        connection.execute(
            text(
                "INSERT INTO correspondence "
                "(subject_id, kind, direction, received_at, subject_line, body) "
                "SELECT s.id, 'letter', 'inbound', now(), 'Hej', "
                "CASE WHEN s.given_name = CAST(:marker AS text) "
                "THEN 'letter from ' || CAST(:marker AS text) "
                "ELSE 'letter number ' || s.id END "
                "FROM subject s "
                "WHERE s.given_name = CAST(:marker AS text) OR s.given_name LIKE 'Filler%'"
            ),
            {"marker": marker},
        )
        connection.execute(
            text(
                "INSERT INTO correspondence "
                "(subject_id, kind, direction, received_at, subject_line, body) "
                "SELECT min(id), 'letter', 'inbound', now(), 'Long', :body "
                "FROM subject WHERE given_name = :marker"
            ),
            {"marker": marker, "body": f"{marker} {random_tail} {marker}"},
        )


def erase_marked_rows(engine: Engine, marker: str) -> None:
    """As erasure does: the letters deleted, the subjects anonymised (an UPDATE, which
    leaves the old row version and its index entries behind just as a DELETE does)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "DELETE FROM correspondence WHERE subject_id IN "
                "(SELECT id FROM subject WHERE given_name = :marker)"
            ),
            {"marker": marker},
        )
        connection.execute(
            text(
                "UPDATE subject SET given_name = NULL, search_name = '' WHERE given_name = :marker"
            ),
            {"marker": marker},
        )


def marked_and_erased(engine: Engine, superuser: Engine | None = None) -> str:
    """Rows written by `engine` on an installation from before the fix, analysed, erased;
    then a CHECKPOINT (by `superuser`, when `engine`'s role may not) puts it all in files."""
    marker = new_marker()
    with engine.begin() as connection:
        as_before_the_fix(connection)
    write_marked_rows(engine, marker)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE subject"))
        connection.execute(text("ANALYZE correspondence"))
    erase_marked_rows(engine, marker)
    checkpoint(superuser or engine)
    return marker


TABLES = ["subject", "correspondence"]


def lines(steps: list[Step]) -> str:
    return "\n".join(str(step) for step in steps)


def test_after_delete_and_plain_vacuum_the_values_are_still_in_the_files(engine: Engine) -> None:
    """Why reclaim rewrites: what the issue reported, reproduced."""
    marker = marked_and_erased(engine)
    with engine.connect() as connection:
        found = occurrences(connection, TABLES, marker)
        assert found.get("subject", 0) >= MARKED_ROWS
        assert found.get("ix_subject_search_name", 0) >= 1
        assert found.get("correspondence", 0) >= MARKED_ROWS
        assert any(relation.startswith("pg_toast.") for relation in found), found
        assert statistics_holding(connection, TABLES, marker)
        assert occurrences(connection, ["pg_statistic"], marker)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM subject"))
        connection.execute(text("VACUUM correspondence"))
    checkpoint(engine)
    with engine.connect() as connection:
        after_vacuum = occurrences(connection, TABLES, marker)
    # Plain VACUUM only marks the space reusable: the bytes stay in the heap and the index.
    assert after_vacuum.get("subject", 0) >= MARKED_ROWS
    assert after_vacuum.get("ix_subject_search_name", 0) >= 1


def test_reclaim_removes_erased_values_from_the_files_and_statistics(engine: Engine) -> None:
    marker = marked_and_erased(engine)
    with engine.connect() as connection:
        assert occurrences(connection, TABLES, marker)  # the test can fail
        assert statistics_holding(connection, TABLES, marker)
        assert occurrences(connection, ["pg_statistic"], marker)
        live = connection.execute(text("SELECT count(*) FROM subject")).scalar()

    steps = reclaim_space(engine, personal_columns(), limits=PATIENT)
    checkpoint(engine)

    assert not incomplete(steps), lines(steps)
    with engine.connect() as connection:
        assert occurrences(connection, TABLES, marker) == {}
        assert statistics_holding(connection, TABLES, marker) == []
        assert occurrences(connection, ["pg_statistic"], marker) == {}
        # ...and no statistics of a personal-data column at all, while the ids keep theirs.
        collected = statistics_of(connection, TABLES)
        assert "subject.search_name" not in collected
        assert "correspondence.body" not in collected
        assert "subject.id" in collected
        # the rewrite kept every live row
        assert connection.execute(text("SELECT count(*) FROM subject")).scalar() == live
    text_of = lines(steps)
    assert "done: VACUUM FULL subject (exclusive lock held at most" in text_of
    assert "done: VACUUM FULL correspondence (" in text_of
    assert "deleted the statistics of" in text_of
    assert "done: VACUUM FULL pg_statistic" in text_of
    assert "not covered: the write-ahead log" in text_of


def test_statistics_target_0_keeps_new_values_out_of_pg_statistic(engine: Engine) -> None:
    """What init does after migrating: ANALYZE from then on copies no personal value."""
    with engine.begin() as connection:
        as_before_the_fix(connection)
    steps = exclude_from_statistics(engine, personal_columns())
    assert not incomplete(steps), lines(steps)
    again = exclude_from_statistics(engine, personal_columns())
    assert "(0 set now)" in lines(again)  # idempotent
    marker = new_marker()
    write_marked_rows(engine, marker)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE subject"))
        connection.execute(text("ANALYZE correspondence"))
    checkpoint(engine)
    with engine.connect() as connection:
        assert statistics_holding(connection, TABLES, marker) == []
        assert occurrences(connection, ["pg_statistic"], marker) == {}
        assert "subject.search_name" not in statistics_of(connection, TABLES)


def test_an_older_open_transaction_is_reported_and_its_rows_kept(engine: Engine) -> None:
    """VACUUM FULL copies deleted rows an open transaction may still see; reclaim says so
    instead of claiming them gone, and the next run after it ended removes them."""
    marker = new_marker()
    write_marked_rows(engine, marker)
    old = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        old.execute(text("SELECT count(*) FROM alembic_version"))  # takes its snapshot
        pid = old.execute(text("SELECT pg_backend_pid()")).scalar()
        erase_marked_rows(engine, marker)
        steps = reclaim_space(
            engine, personal_columns(), tables=["correspondence"], limits=Limits(lock_wait=0.3)
        )
        checkpoint(engine)
        assert incomplete(steps)
        assert "table correspondence was rewritten, but session " in lines(steps)
        database = make_url(str(engine.url)).database
        assert f"session {pid} (database {database})" in lines(steps)
        with engine.connect() as connection:
            assert marker_count(connection, "correspondence", marker)
    finally:
        old.rollback()
        old.close()
    steps = reclaim_space(engine, personal_columns(), tables=["correspondence"], limits=PATIENT)
    checkpoint(engine)
    assert not incomplete(steps), lines(steps)
    with engine.connect() as connection:
        assert not marker_count(connection, "correspondence", marker)


def test_a_locked_table_is_reported_not_waited_for(engine: Engine) -> None:
    with engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM correspondence"))  # holds ACCESS SHARE
        started = time.monotonic()
        steps = reclaim_space(
            engine, personal_columns(), tables=["correspondence"], limits=Limits(lock_wait=0.3)
        )
        took = time.monotonic() - started
        reader.rollback()
    assert incomplete(steps)
    assert (
        "not done: VACUUM FULL correspondence: its lock was not granted within 0.3 s "
        "(--lock-wait); the table is as it was" in lines(steps)
    )
    assert took < 10


def test_a_rewrite_longer_than_max_lock_is_cancelled(engine: Engine) -> None:
    # Its own subject for the events: under xdist this test may be the first of the module
    # in its worker's database (it failed there with subject_id NULL).
    write_marked_rows(engine, new_marker())
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO usage_event (subject_id, occurred_at, kind, device_type, item) "
                "SELECT (SELECT min(id) FROM subject), now(), 'view', 'tv', 'item ' || i "
                "FROM generate_series(1, 400000) i"
            )
        )
        before = connection.execute(text("SELECT pg_relation_filenode('usage_event')")).scalar()
    steps = reclaim_space(
        engine,
        personal_columns(),
        tables=["usage_event"],
        limits=Limits(lock_wait=1, max_lock=0.1),
    )
    assert "not done: VACUUM FULL usage_event: cancelled after 0.1 s (--max-lock)" in lines(steps)
    with engine.connect() as connection:
        after = connection.execute(text("SELECT pg_relation_filenode('usage_event')")).scalar()
        connection.execute(text("TRUNCATE usage_event"))
        connection.commit()
    assert after == before  # left as it was


def test_a_role_that_only_owns_the_tables(engine: Engine) -> None:
    """The recommended role (docs/postgresql.md): it owns its schema, nothing else. It can
    rewrite its tables and keep new statistics out, but statistics collected before need a
    superuser once; reclaim says so and fails rather than pretending."""
    role = f"physical_app_{uuid.uuid4().hex[:8]}"
    schema = f"app_{uuid.uuid4().hex[:8]}"
    database = make_url(str(engine.url)).database
    assert database is not None
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    own = make_engine(url_of(database, user=role), **options)
    superuser = make_engine(engine.url.render_as_string(hide_password=False), **options)
    try:
        upgrade_to_head(own)
        marker = marked_and_erased(own, superuser)
        steps = reclaim_space(own, personal_columns(), limits=PATIENT)
        text_of = lines(steps)
        assert incomplete(steps)
        assert "only a superuser can delete them" in text_of
        assert "done: VACUUM FULL subject (" in text_of
        assert "not run: VACUUM FULL pg_statistic (needs a superuser" in text_of
        assert "not run: CHECKPOINT (needs a superuser or pg_checkpoint)" in text_of
        with own.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE subject"))  # with target 0: removes nothing
        with superuser.connect() as connection:
            # Neither the rewrite nor ANALYZE took the old samples out of pg_statistic...
            assert statistics_holding(connection, TABLES, marker)
            # ...but the table files are clean without a CHECKPOINT: VACUUM FULL truncated the old
            # ones when it committed.
            assert occurrences(connection, TABLES, marker) == {}
        # Once as a superuser, as the message says; then the role's own runs are complete.
        assert not incomplete(reclaim_space(superuser, personal_columns(), limits=PATIENT))
        again = reclaim_space(own, personal_columns(), limits=PATIENT)
        assert not incomplete(again), lines(again)
        checkpoint(superuser)
        with superuser.connect() as connection:
            assert statistics_holding(connection, TABLES, marker) == []
            assert occurrences(connection, TABLES, marker) == {}
    finally:
        own.dispose()
        superuser.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))


@pytest.fixture
def cli_on_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy_file: Path | None
) -> Iterator[str]:
    """The CLI's settings pointed at a new PostgreSQL database, as an operator sets them."""
    with throwaway_database() as url:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DATASKYDD_DATABASE_URL", url)
        monkeypatch.setenv("DATASKYDD_KEY_FILE", str(tmp_path / "dataskydd.key"))
        monkeypatch.delenv("DATASKYDD_SECRET_KEY", raising=False)
        for name in ("DATASKYDD_POLICY_FILE", "DATASKYDD_DATA_MAP"):
            monkeypatch.delenv(name, raising=False)
        for name, value in company_env(policy_file).items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        runtime.engine_for.cache_clear()
        try:
            yield url
        finally:
            runtime.engine_for(url).dispose()
            runtime.engine_for.cache_clear()
            get_settings.cache_clear()


def test_cli_init_then_erase_then_reclaim(cli_on_postgres: str) -> None:
    runner = CliRunner()
    init = runner.invoke(app, ["init", "--admin-password", "Korrekt-Häst-Batteri-9"])
    assert init.exit_code == 0, init.output
    assert "Statistics: done:" in init.output
    assert "have statistics target 0" in init.output

    marker = new_marker()
    with cli_transaction() as session:
        subject_id = service.create_subject(
            session,
            actor="test",
            data={"given_name": marker, "family_name": "Holm", "emails": ["nils@example.se"]},
        ).id
    erased = runner.invoke(app, ["subject", "erase", str(subject_id), "--yes"])
    assert erased.exit_code == 0, erased.output

    engine = make_engine(cli_on_postgres)
    try:
        checkpoint(engine)
        with engine.connect() as connection:
            assert marker_count(connection, "subject", marker)  # search_name, before

        result = runner.invoke(app, ["reclaim", "--lock-wait", "60"])
        assert result.exit_code == 0, result.output
        assert "done: VACUUM FULL subject (exclusive lock held at most" in result.output
        assert "done: VACUUM FULL contact_point (" in result.output
        assert "done: CHECKPOINT" in result.output
        assert "not covered: the write-ahead log (pg_wal and any WAL archive)" in result.output
        assert marker not in result.output

        checkpoint(engine)
        with engine.connect() as connection:
            assert not marker_count(connection, "subject", marker)
            assert not marker_count(connection, "subject", marker)
    finally:
        engine.dispose()

    refused = runner.invoke(app, ["reclaim", "--table", "no_such_table"])
    assert refused.exit_code == 2
    assert "not a personal-data table of the register's data map: no_such_table" in (refused.output)
    assert "Traceback" not in refused.output


def test_reclaim_help_says_what_it_does_and_does_not() -> None:
    shown = CliRunner().invoke(app, ["reclaim", "--help"]).output
    for promise in ("VACUUM FULL", "pg_statistic", "statistics target", "--lock-wait"):
        assert promise in shown
    assert "Not covered: the write-ahead log" in shown
    assert "base backups" in shown
