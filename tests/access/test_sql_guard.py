"""The SQL guard itself: it must see what a statement reads, flag a read no decision granted,
stay quiet after the decision and inside `guard.internal()`, and — the property everything
rests on — see a grant made in a web handler in that handler's reads and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.auth.access import operator_context
from dataskydd.datamap import entries, queries
from dataskydd.register import repository
from dataskydd.register.enums import ContactKind
from dataskydd.register.models import ContactPoint, Invoice, Subject
from tests.access.sql_guard import SqlGuard, touched
from tests.access.world import build_customer
from tests.policy_keys import BILLING, COMPANY, CONTACT, CONTRACT_PURPOSE, NAME, PERSONNUMMER

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

POLICY = COMPANY


def _touched(statement: Any, dialect: Any = None) -> dict[str, set[str]]:
    compiled = statement.compile(dialect=dialect or sqlite.dialect())
    return touched(str(compiled), SimpleNamespace(compiled=compiled))[1]


class TestWhatAStatementTouches:
    def test_selected_filtered_and_ordered_columns_count(self) -> None:
        statement = (
            select(ContactPoint.id)
            .where(ContactPoint.lookup_index == "x")
            .order_by(ContactPoint.created_at)
        )
        assert _touched(statement) == {"contact_point": {CONTACT}}

    def test_technical_columns_alone_touch_nothing(self) -> None:
        statement = select(ContactPoint.id, ContactPoint.subject_id).where(
            ContactPoint.subject_id == 1
        )
        assert _touched(statement) == {}

    def test_a_whole_entity_is_every_loaded_column(self) -> None:
        # personnummer is deferred on the model: loading a subject reads identity only.
        assert _touched(select(Subject)) == {"subject": {NAME}}

    def test_the_hops_of_a_subject_link_are_followed(self) -> None:
        statement = queries.select_rows_for_subject(entries.by_table("payment"), 1, ["amount"])
        assert _touched(statement) == {"payment": {BILLING}}

    def test_update_counts_what_it_sets(self) -> None:
        statement = update(Subject).where(Subject.id == 1).values(given_name="x")
        assert _touched(statement) == {"subject": {NAME}}

    def test_delete_counts_every_category_of_the_table(self) -> None:
        statement = delete(Subject).where(Subject.id == 1)
        assert _touched(statement) == {"subject": {NAME, PERSONNUMMER}}

    def test_insert_reads_nothing_unless_it_selects(self) -> None:
        from sqlalchemy import insert

        assert _touched(insert(Invoice).values(invoice_number="F1")) == {}
        copy = insert(Invoice).from_select(["invoice_number"], select(Invoice.invoice_number))
        assert _touched(copy) == {"invoice": {BILLING}}

    def test_text_sql_counts_the_mapped_tables_it_names(self) -> None:
        found = _touched(text("SELECT count(*) FROM contact_point JOIN audit_entry ON 1=1"))
        assert found == {"contact_point": {CONTACT}}

    def test_postgresql_compiles_the_same(self) -> None:
        statement = select(Subject.id).where(Subject.personnummer_index == "x")
        assert _touched(statement, postgresql.dialect()) == {"subject": {PERSONNUMMER}}


@pytest.fixture
def customer_id(session: Session, factories: None) -> int:
    return build_customer(session).id


def _read_email(session: Session, subject_id: int) -> None:
    repository.primary_contact(session, subject_id, ContactKind.EMAIL)


class TestTheWatch:
    def test_a_read_without_a_decision_is_a_violation_naming_where(
        self, session: Session, customer_id: int, sql_guard: SqlGuard
    ) -> None:
        guard.reset()
        with sql_guard.watching():
            _read_email(session, customer_id)
        (violation,) = sql_guard.violations
        assert violation.tables == ("contact_point",)
        assert violation.categories == (CONTACT,)
        assert violation.where.startswith("register/repository.py:")
        assert "primary_contact" in violation.where
        with pytest.raises(AssertionError, match="1 reads of personal data without a decision"):
            sql_guard.assert_clean()

    def test_after_the_decision_the_read_is_clean(
        self, session: Session, customer_id: int, sql_guard: SqlGuard
    ) -> None:
        guard.reset()
        with sql_guard.watching():
            access_service.decide(
                session,
                POLICY,
                operator_context("test"),
                action=Action.READ,
                purpose=CONTRACT_PURPOSE,
                subject_id=customer_id,
                categories=[CONTACT],
                audit_action="test.read",
            )
            _read_email(session, customer_id)
        guard.reset()
        sql_guard.assert_clean()

    def test_a_grant_of_another_category_does_not_cover_it(
        self, session: Session, customer_id: int, sql_guard: SqlGuard
    ) -> None:
        guard.reset()
        guard.grant([BILLING])
        with sql_guard.watching():
            _read_email(session, customer_id)
        guard.reset()
        assert [v.granted for v in sql_guard.violations] == [(BILLING,)]

    def test_internal_reads_are_the_decisions_own(
        self, session: Session, customer_id: int, sql_guard: SqlGuard
    ) -> None:
        guard.reset()
        with sql_guard.watching(), guard.internal():
            _read_email(session, customer_id)
        sql_guard.assert_clean()


class TestWebContexts:
    """FastAPI runs each sync dependency and the handler in its own copy of the request's
    context (anyio's thread pool): a grant is seen by the reads of the same call only."""

    @pytest.fixture(autouse=True)
    def clean_context(self) -> Iterator[None]:
        # The test client runs a request in a copy of the calling thread's context (anyio
        # carries it into the portal), so grants an earlier test made in this thread, by
        # calling a service directly, would reach the request.
        guard.reset()
        yield
        guard.reset()

    @staticmethod
    def app() -> FastAPI:
        application = FastAPI()

        def granting_dependency() -> str:
            guard.grant([CONTACT])
            return "granted in a dependency"

        @application.get("/dependency")
        def after_dependency(_note: str = Depends(granting_dependency)) -> list[str]:
            return sorted(guard.granted())

        @application.get("/handler")
        def in_handler() -> list[str]:
            before = sorted(guard.granted())
            guard.grant([BILLING])
            return [*before, "|", *sorted(guard.granted())]

        return application

    def test_a_grant_in_the_handler_is_seen_by_the_handler_only(self) -> None:
        client = TestClient(self.app())
        assert client.get("/handler").json() == ["|", BILLING]
        # The next request starts with nothing granted.
        assert client.get("/handler").json() == ["|", BILLING]

    def test_a_grant_in_a_sync_dependency_does_not_reach_the_handler(self) -> None:
        """Why web/api/register_data.py decides in the handler, not in a dependency."""
        assert TestClient(self.app()).get("/dependency").json() == []


def test_the_watch_covers_every_engine(engine: Engine, sql_guard: SqlGuard) -> None:
    """Installed on the Engine class: the app's and the CLI's engines are watched too."""
    with sql_guard.watching(), engine.connect() as connection:
        connection.execute(select(Subject.id).limit(1))
    assert sql_guard.statements >= 1
