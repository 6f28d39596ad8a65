"""Retention across every system of the data map: the bookshop (examples/bokhandel), whose web
shop's database runs on PostgreSQL, MariaDB and SQLite at once beside the register. A customer
who left has their shop rows erased everywhere; a current customer keeps theirs except what a
rule counted from the row's own date has made due; a held customer keeps everything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.orm import Session

from dataskydd.policy.schema import Policy
from dataskydd.register import models
from dataskydd.register.models import LegalHold
from dataskydd.retention import runs
from tests import company_schemas
from tests.retention.conftest import TODAY
from tests.subject_requests.test_rights_across_systems import (
    BOKHANDEL,
    person,
    shops,
    values_left,
)

assert shops  # the fixture, imported for this module's tests


@pytest.fixture
def policy_file() -> Path:
    return BOKHANDEL / "policy.yaml"


def _role(session: Session, subject_id: int, ended: dt.date | None) -> None:
    """The customer relationship `create_subject` opened, dated back and ended on `ended`."""
    session.execute(
        update(models.SubjectRole)
        .where(models.SubjectRole.subject_id == subject_id)
        .values(started_on=dt.date(2018, 1, 1), ended_on=ended)
    )


def _recent_fraud_check(url: str, email: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            table = company_schemas.WEBBUTIK.tables["fraud_signal"]
            connection.execute(
                update(table)
                .where(table.c.email == email)
                .values(checked_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
            )
    finally:
        engine.dispose()


def test_a_run_erases_what_is_due_in_every_system(
    own_engine: Engine, shops: dict[str, str], policy: Policy
) -> None:
    with Session(own_engine) as session:
        left = person(session, shops, "Alfa", 1)
        current = person(session, shops, "Beta", 2)
        held = person(session, shops, "Gamma", 3)
        _role(session, left.subject_id, dt.date(2023, 6, 1))
        _role(session, current.subject_id, None)
        _role(session, held.subject_id, dt.date(2023, 6, 1))
        session.add(
            LegalHold(
                subject_id=held.subject_id,
                category=None,
                reason="Tvist om leverans",
                reference="T 1234-26",
                placed_by="dpo",
            )
        )
        session.commit()
    for url in shops.values():
        _recent_fraud_check(url, current.email)

    with Session(own_engine) as session:
        plan = runs.plan_retention(session, policy, today=TODAY)
    planned = {(line.system, line.table): line for line in plan if line.system in shops}
    for system in shops:
        # Row-dated: Alfa's and Gamma's checks are older than the rule, Beta's is not; Gamma
        # is held, so one row is due per system.
        assert planned[(system, "fraud_signal")].rows_due == 1
        assert planned[(system, "shop_order")].subjects == 2  # Alfa and Gamma left

    run_id = runs.run_retention(own_engine, policy, today=TODAY, by="test", batch_size=10)

    for system, url in shops.items():
        assert values_left(url, left.marker) == [], system
        assert values_left(url, held.marker) != [], system
        kept = values_left(url, current.marker)
        assert "shop_order.delivery_name" in kept, system
        assert "fraud_signal.signal" in kept, system
    with Session(own_engine) as session:
        report = runs.report(session, run_id)
        assert report is not None
        assert report.run.problem is None
        erased = {(line.system, line.table_name): line.rows_erased for line in report.lines}
        for system in shops:
            assert erased[(system, "shop_order")] == 1
            assert erased[(system, "fraud_signal")] == 1
        assert runs.overdue_rows(session, policy, today=TODAY) == {}


def test_an_unreachable_system_is_reported_and_the_rest_goes_on(
    own_engine: Engine, shops: dict[str, str], policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataskydd.datamap.connections import url_variable

    with Session(own_engine) as session:
        left = person(session, shops, "Delta", 4)
        _role(session, left.subject_id, dt.date(2023, 6, 1))
        session.commit()
    down = next(iter(shops))
    monkeypatch.setenv(url_variable(down), "postgresql+psycopg://nobody@127.0.0.1:1/none")
    run_id = runs.run_retention(own_engine, policy, today=TODAY, by="test")
    with Session(own_engine) as session:
        report = runs.report(session, run_id)
        assert report is not None
        assert report.run.problem is not None
        assert down in report.run.problem
        assert "nobody" not in report.run.problem  # never a URL
        assert session.scalar(text("SELECT count(*) FROM contact_point")) == 0
    for system, url in shops.items():
        if system != down:
            assert values_left(url, left.marker) == [], system
