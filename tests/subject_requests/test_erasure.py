"""Erasure walks the data map: what is not under a legal duty goes, physically; what
bokföringslagen requires stays, restricted, with the date it may go and why."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.access.models import SubjectConsent
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import staff_context
from dataskydd.datamap import entries, queries
from dataskydd.datamap.subject_view import show_subject
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.errors import AccessRefused
from dataskydd.register.models import Restriction
from dataskydd.subject_requests.erasure import ErasureAction, erase_subject, plan_erasure
from dataskydd.subject_requests.objections import current_objections, record_objections
from tests.policy_keys import (
    ACTIVITIES,
    BILLING,
    BOOKKEEPING,
    COMPANY,
    CONTACT,
    CONTRACT_PURPOSE,
    CORRESPONDENCE,
    CUSTOMER_SERVICE,
    DPO,
    NAME,
    NEWSLETTERS,
    PERSONNUMMER,
    STATISTICS,
    SUPPORT,
    USAGE,
)
from tests.subject_requests import builders
from tests.subject_requests.builders import add_everything

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

POLICY = COMPANY
TODAY = date(2026, 11, 24)
# What bookkeeping uses, but the personnummer: the built subjects have none.
KEPT_FOR_BOOKKEEPING = set(POLICY.purpose(BOOKKEEPING).categories) - {PERSONNUMMER}
# The categories of the telecom tables, where the company maps them (Omilon; not a bookshop).
TELECOM = {
    entries.category_of(table, column)
    for table, column in (("equipment", "serial_number"), ("connection", "street"))
    if table in entries.current().register.by_table
}


def subject_rows(session: Session, subject_id: int) -> dict[str, int]:
    counts = {}
    for entry in entries.register_tables():
        table = queries.table_of(entry)
        condition = queries.subject_condition(entry, subject_id)
        count = session.scalar(select(func.count()).select_from(table).where(condition)) or 0
        if count:
            counts[entry.table] = count
    return counts


class TestPlan:
    def test_recent_invoices_keep_what_bookkeeping_needs(self, session: Session) -> None:
        sid = add_everything(session, _draw, "plan", invoice_day=date(2024, 3, 1))
        plan = plan_erasure(session, policy=POLICY, subject_id=sid, today=TODAY)
        assert plan.kept == KEPT_FOR_BOOKKEEPING
        billing = next(i for i in plan.items if i.category == BILLING)
        # Fiscal year 2024 ends 2024-12-31; kept through the 7th year after: 2031-12-31.
        assert billing.kept_until == date(2031, 12, 31)
        assert billing.reason is not None
        assert "bokföringslagen" in billing.reason
        erased = {i.category for i in plan.items if i.action is ErasureAction.ERASE}
        assert {USAGE, SUPPORT, CORRESPONDENCE, *TELECOM} <= erased

    def test_invoices_past_their_period_do_not_stop_erasure(self, session: Session) -> None:
        sid = add_everything(session, _draw, "old", invoice_day=date(2017, 6, 1))
        plan = plan_erasure(session, policy=POLICY, subject_id=sid, today=TODAY)
        assert plan.kept == frozenset()


class TestErase:
    def test_keeps_invoices_restricted_and_erases_the_rest(self, session: Session) -> None:
        sid = add_everything(session, _draw, "keep", invoice_day=date(2025, 1, 15))
        erase_subject(
            session, actor="staff:dataskyddsombud", policy=POLICY, subject_id=sid, today=TODAY
        )
        left = subject_rows(session, sid)
        # identity (subject, subject_role), contact (contact_point, postal_address,
        # subject_relation) and billing stay: bookkeeping uses them.
        assert set(left) == {
            "subject",
            "subject_role",
            "contact_point",
            "postal_address",
            "subject_relation",
            "invoice",
            "payment",
        }
        restrictions = session.scalars(select(Restriction).where(Restriction.subject_id == sid))
        assert {r.category for r in restrictions} == KEPT_FOR_BOOKKEEPING
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert entry.action == "subject.erase"
        assert USAGE in entry.detail["erased"]

    def test_restricted_data_is_refused_to_ordinary_purposes(self, session: Session) -> None:
        sid = add_everything(session, _draw, "restr", invoice_day=date(2025, 1, 15))
        erase_subject(
            session, actor="staff:dataskyddsombud", policy=POLICY, subject_id=sid, today=TODAY
        )
        kim = staff_context(policy=POLICY, username="kim", role=CUSTOMER_SERVICE, user_id=1)
        view = show_subject(
            session, caller=kim, policy=POLICY, subject_id=sid, purpose=CONTRACT_PURPOSE
        )
        # Restricted categories are withheld; the erased ones are empty.
        assert all(group.tables == [] for group in view.groups)
        assert {BILLING, CONTACT, NAME} <= set(view.withheld)
        assert "restricted" in view.withheld[BILLING]
        with pytest.raises(AccessRefused, match=f"category {CONTACT} is restricted"):
            show_subject(
                session,
                caller=kim,
                policy=POLICY,
                subject_id=sid,
                purpose=CONTRACT_PURPOSE,
                categories=[CONTACT],
            )
        dpo = staff_context(policy=POLICY, username="dataskyddsombud", role=DPO, user_id=2)
        legal = show_subject(
            session, caller=dpo, policy=POLICY, subject_id=sid, purpose=BOOKKEEPING
        )
        assert BILLING in {g.category for g in legal.groups}

    def test_erasure_withdraws_every_consent_and_keeps_objections(self, session: Session) -> None:
        sid = add_everything(session, _draw, "samtyckt", invoice_day=date(2026, 5, 1))
        for purpose in (NEWSLETTERS, ACTIVITIES):
            give_consent(session, subject_id=sid, purpose=purpose, channel="mina_sidor")
        record_objections(
            session, policy=POLICY, actor="subject:x", subject_id=sid, purposes=[STATISTICS]
        )
        erase_subject(
            session, actor="staff:dataskyddsombud", policy=POLICY, subject_id=sid, today=TODAY
        )
        standing = session.scalars(
            select(SubjectConsent.purpose).where(
                SubjectConsent.subject_id == sid, SubjectConsent.withdrawn_at.is_(None)
            )
        ).all()
        assert standing == []
        # The objection is what keeps the purpose stopped; it outlives erasure as evidence.
        assert current_objections(session, sid) == {STATISTICS}
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "subject.erase")
        ).one()
        assert entry.detail["consents_withdrawn"] == 2

    def test_nothing_under_a_duty_removes_the_subject_entirely(self, session: Session) -> None:
        sid = add_everything(session, _draw, "gone", invoice_day=date(2016, 2, 1))
        erase_subject(
            session, actor="staff:dataskyddsombud", policy=POLICY, subject_id=sid, today=TODAY
        )
        assert subject_rows(session, sid) == {}


def _draw(strategy: st.SearchStrategy[object]) -> object:
    """Fixed values for the example-based tests (hypothesis drives the property test)."""
    if strategy is builders.words:
        return "ord"
    if strategy is builders.days:
        return date(2024, 5, 1)
    return 2


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(), invoice_day=st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 10, 1))
)
def test_erased_values_are_gone_from_the_database_file(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, invoice_day: date
) -> None:
    path = Path(tmp_path_factory.mktemp("erase")) / "register.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        target = add_everything(session, data.draw, "zqxerased", invoice_day=invoice_day)
        other = add_everything(session, data.draw, "zqxstays")
    # A server keeps its connections open: the database file and its write-ahead log are
    # read as they are then, not after the last connection closed and tidied up.
    with closing(sqlite3.connect(path, isolation_level=None)) as idle:
        # stepped to the end, so it keeps no read lock; the connection stays open
        idle.execute("SELECT count(*) FROM subject").fetchall()
        with transaction(factory) as session:
            plan = erase_subject(
                session, actor="test", policy=POLICY, subject_id=target, today=TODAY
            )
        log = path.with_name(path.name + "-wal")
        assert log.exists(), "SQLite runs in WAL mode"
        raw = path.read_bytes() + log.read_bytes()
    engine.dispose()
    telecom = ("SN-zqxerased", "Router zqxerased", "zqxerased väg 2") if TELECOM else ()
    for erased in (
        "Program zqxerased",
        "Hjälp zqxerased",
        "Fråga zqxerased",
        *telecom,
        "Ärende zqxerased",
        "Din kod zqxerased",
    ):
        assert erased.encode() not in raw, erased
    assert b"Program zqxstays" in raw
    invoice_number = b"F-zqxerased"
    # Bookkeeping keeps invoices with the name and address of the customer, or nothing.
    kept_values = (invoice_number, b"zqxerased@example.se", b"VD zqxerased")
    for value in kept_values:
        assert (value in raw) == bool(plan.kept), value
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT count(*) FROM subject WHERE id = :id"), {"id": other}
            ).scalar()
            == 1
        )
    engine.dispose()
