"""PostgreSQL's monthly partitions of page_event (analytics/partitions.py): a new database has
them, every event lands in its month (or the default partition), a month is created ahead
and takes over its strays, retention drops whole months and reports their events, and an
existing table is converted - and back - without losing or renumbering an event."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.orm import Session

from dataskydd.analytics import partitions
from dataskydd.analytics.models import PageEvent
from dataskydd.analytics.partitions import Month
from dataskydd.clock import SWEDEN, today_in_sweden
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.policy.schema import Policy
from dataskydd.retention import runs
from tests.cli.conftest import Run, on_postgres, run, workdir
from tests.conftest import postgres_schema

__all__ = ["run", "workdir"]


@pytest.fixture
def engine() -> Iterator[Engine]:
    """A database of the test's own: partitions are DDL, outside any test transaction."""
    with postgres_schema("part") as engine:
        upgrade_to_head(engine)
        yield engine


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), SWEDEN)


def _add(connection: Connection, *moments: dt.datetime) -> list[int]:
    rows = [
        {
            "visitor_id": "a" * 32,
            "occurred_at": moment,
            "kind": "view",
            "path": f"/{moment:%Y-%m-%d}",
            "device": "desktop",
        }
        for moment in moments
    ]
    return list(connection.execute(insert(PageEvent).returning(PageEvent.id), rows).scalars())


def _where(connection: Connection) -> dict[str, str]:
    """Each event's path → the partition holding it."""
    found = connection.execute(text("SELECT path, tableoid::regclass::text FROM page_event"))
    return {path: table.rsplit(".", 1)[-1] for path, table in found}


@pytest.mark.postgres
def test_a_new_database_has_this_month_the_next_ones_and_a_default(engine: Engine) -> None:
    this = Month.of(today_in_sweden())
    coming = [this, this.following(), this.following().following()]
    with engine.connect() as connection:
        assert partitions.is_partitioned(connection)
        assert partitions.partitions(connection) == sorted(
            [partitions.DEFAULT, *(month.name for month in coming)]
        )


@pytest.mark.postgres
def test_each_event_lands_in_its_swedish_month(engine: Engine) -> None:
    first = Month.of(today_in_sweden())
    with engine.begin() as connection:
        # 23:30 on the last day of the month in Sweden is already the 1st... in no zone; the
        # reverse: 00:30 on the 1st in Sweden is still the previous month in UTC.
        just_in = dt.datetime.combine(first.following().first, dt.time(0, 30), SWEDEN)
        _add(connection, _at(first.first), just_in, _at(dt.date(2001, 1, 1)))
        assert _where(connection) == {
            f"/{first.first:%Y-%m-%d}": first.name,
            f"/{just_in:%Y-%m-%d}": first.following().name,
            "/2001-01-01": partitions.DEFAULT,  # no month of its own: never refused
        }


@pytest.mark.postgres
def test_a_month_made_later_takes_over_its_events_from_the_default(engine: Engine) -> None:
    march = Month(dt.date(2020, 3, 1))
    with engine.begin() as connection:
        ids = _add(connection, _at(dt.date(2020, 3, 5)), _at(dt.date(2020, 4, 5)))
        assert partitions.ensure(connection, [march]) == [march.name]
        assert partitions.ensure(connection, [march]) == []  # made once
        assert _where(connection) == {
            "/2020-03-05": march.name,
            "/2020-04-05": partitions.DEFAULT,
        }
        assert sorted(connection.execute(select(PageEvent.id)).scalars()) == sorted(ids)


@pytest.mark.postgres
def test_the_rollup_job_makes_the_coming_months(engine: Engine) -> None:
    far = dt.date(2031, 6, 15)
    with engine.begin() as connection:
        created = partitions.ensure_ahead(connection, far)
    assert created == ["page_event_2031_06", "page_event_2031_07", "page_event_2031_08"]


@pytest.mark.postgres
def test_retention_drops_whole_months_and_deletes_the_rest(engine: Engine, policy: Policy) -> None:
    rule = runs.page_event_rule(policy)
    assert rule is not None
    today = dt.date(2026, 11, 15)
    with engine.begin() as connection:
        # Two old months made as the rollup job would have made them, with events in each,
        # and one event in the month the cut-off falls in, on either side of it.
        months = partitions.months_from(Month(dt.date(2024, 1, 1)), Month(dt.date(2026, 12, 1)))
        partitions.ensure(connection, months)
        task = next(t for t in runs.tasks(policy, today) if t.table == "page_event")
        cut = task.cut.last_due
        _add(
            connection,
            _at(dt.date(2024, 1, 10)),
            _at(dt.date(2024, 1, 20)),
            _at(dt.date(2024, 2, 10)),
            _at(cut),
            _at(cut + dt.timedelta(days=1)),
            _at(today),
        )
    run_id = runs.run_retention(engine, policy, today=today, by="test")
    with engine.connect() as connection:
        left = set(_where(connection))
        assert left == {f"/{cut + dt.timedelta(days=1):%Y-%m-%d}", f"/{today:%Y-%m-%d}"}
        names = partitions.partitions(connection)
        assert "page_event_2024_01" not in names  # dropped whole, files and all
        assert Month.of(cut).name in names  # the month the cut-off falls in stays
    with Session(engine) as session:
        report = runs.report(session, run_id)
        assert report is not None
        erased = {line.table_name: line.rows_erased for line in report.lines}
        assert erased["page_event"] == 4  # three from dropped months, one deleted


@pytest.mark.postgres
def test_a_locked_table_is_erased_row_by_row_instead(engine: Engine, policy: Policy) -> None:
    """A long reader of page_event holds off the DROP's lock: retention does not queue the
    collector behind it, it deletes the month's events one by one."""
    today = dt.date(2026, 11, 15)
    with engine.begin() as connection:
        partitions.ensure(connection, [Month(dt.date(2024, 1, 1))])
        _add(connection, _at(dt.date(2024, 1, 10)), _at(today))
    with engine.connect() as reader:
        reader.execute(text("LOCK TABLE page_event IN ACCESS SHARE MODE"))
        run_id = runs.run_retention(engine, policy, today=today, by="test")
        reader.rollback()
    with engine.connect() as connection:
        assert set(_where(connection)) == {f"/{today:%Y-%m-%d}"}
        assert "page_event_2024_01" in partitions.partitions(connection)  # not dropped
    with Session(engine) as session:
        report = runs.report(session, run_id)
        assert report is not None
        erased = {line.table_name: line.rows_erased for line in report.lines}
        assert erased["page_event"] == 1


@pytest.mark.postgres
def test_an_existing_table_is_converted_and_back_keeping_every_event(engine: Engine) -> None:
    with engine.begin() as connection:
        assert partitions.unpartition(connection) == 0
        assert not partitions.is_partitioned(connection)
        ids = _add(connection, _at(dt.date(2025, 5, 1)), _at(dt.date(2026, 1, 31)))
    with engine.begin() as connection:
        done = partitions.convert(connection, dt.date(2026, 2, 10))
        assert done is not None
        assert done.events == 2
        assert done.months[0] == "page_event_2025_05"
        assert done.months[-1] == "page_event_2026_04"  # two months ahead of today
        assert partitions.convert(connection, dt.date(2026, 2, 10)) is None
    with engine.begin() as connection:
        assert sorted(connection.execute(select(PageEvent.id)).scalars()) == sorted(ids)
        assert _where(connection)["/2025-05-01"] == "page_event_2025_05"
        (newer,) = _add(connection, _at(dt.date(2026, 2, 1)))
        assert newer > max(ids)  # the same sequence goes on
    with engine.begin() as connection:
        assert partitions.unpartition(connection) == 3
        assert connection.scalar(select(func.count()).select_from(PageEvent)) == 3
        assert partitions.partitions(connection) == []


@pytest.mark.postgres
def test_the_command_converts_and_lists(
    run: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_postgres("partcli", monkeypatch) as engine:
        assert run("init", "--admin-password", "Korrekt-Häst-Batteri-9").exit_code == 0
        with engine.begin() as connection:
            partitions.unpartition(connection)
            _add(connection, _at(dt.date(2025, 5, 1)))
        first = run("analytics", "partition", "--json")
        assert first.exit_code == 0, first.output
        summary = json.loads(first.output)
        assert (summary["converted"], summary["events_copied"]) == (True, 1)
        assert summary["partitions_created"][0] == "page_event_2025_05"
        again = run("analytics", "partition")
        assert again.exit_code == 0, again.output
        assert "partitioned already" in again.output
        listed = json.loads(run("analytics", "partitions", "--json").output)
        assert listed["partitioned"] is True
        assert listed["partitions"][-1] == partitions.DEFAULT  # sorted: "d" after digits
        with engine.connect() as connection:
            assert _where(connection) == {"/2025-05-01": "page_event_2025_05"}


def test_the_command_says_sqlite_has_no_partitions(run: Run, workdir: Path) -> None:
    assert run("init", "--admin-password", "Korrekt-Häst-Batteri-9").exit_code == 0
    result = run("analytics", "partition")
    assert result.exit_code != 0
    assert "PostgreSQL" in result.output
    assert "Traceback" not in result.output
