"""k-anonymous aggregates: a group smaller than k is never shown as a number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.analytics import reports
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import staff_context
from dataskydd.errors import Forbidden
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.register.enums import (
    ContractStatus,
    InvoiceStatus,
    RoleKind,
    ServiceKind,
    SubjectKind,
)
from dataskydd.register.models import (
    Contract,
    Invoice,
    PostalAddress,
    Service,
    Subject,
    SubjectRole,
    Subscription,
)
from dataskydd.subject_requests import objections

TODAY = date(2026, 6, 15)
ANALYST = staff_context(policy=load_bundled_policy(), username="ella", role="analyst", user_id=1)


def _customers(session: Session, count: int, *, city: str, service: Service, start: int) -> None:
    for n in range(start, start + count):
        subject = Subject(
            kind=SubjectKind.PERSON, given_name="P", family_name=str(n), search_name=f"p {n}"
        )
        session.add(subject)
        session.flush()
        session.add(SubjectRole(subject_id=subject.id, role=RoleKind.CUSTOMER, started_on=TODAY))
        session.add(
            PostalAddress(subject_id=subject.id, street="Gatan 1", postal_code="111 22", city=city)
        )
        contract = Contract(
            subject_id=subject.id,
            contract_number=f"K{n}",
            signed_on=date(2026, 1, 1),
            starts_on=date(2026, 1, 1),
            status=ContractStatus.ACTIVE,
        )
        session.add(contract)
        session.flush()
        session.add(
            Subscription(contract_id=contract.id, service_id=service.id, starts_on=date(2026, 1, 1))
        )
        session.add(
            Invoice(
                subject_id=subject.id,
                invoice_number=f"F{n}",
                issued_on=date(2026, 5, 28),
                due_on=date(2026, 6, 28),
                amount=Decimal(100),
                vat_amount=Decimal(20),
                status=InvoiceStatus.OPEN,
            )
        )
    session.flush()


@pytest.fixture
def register(session: Session) -> None:
    fibre = Service(code="f", name="Fiber", kind=ServiceKind.CONNECTIVITY, monthly_price=Decimal(1))
    tv = Service(code="t", name="TV", kind=ServiceKind.VIEWING, monthly_price=Decimal(1))
    session.add_all([fibre, tv])
    session.flush()
    _customers(session, 12, city="Göteborg", service=fibre, start=0)
    _customers(session, 3, city="Henån", service=tv, start=100)


def _table(report: reports.StatisticsReport, key: str) -> dict[str, int | None]:
    table = next(t for t in report.tables if t.key == key)
    return {cell.label: cell.subjects for cell in table.cells}


class TestSuppression:
    def test_pure_rule(self) -> None:
        cells = reports.suppress([("a", 10), ("b", 9), ("c", 1)], 10)
        assert [c.subjects for c in cells] == [10, None, None]

    def test_small_groups_are_suppressed_in_every_table(
        self, session: Session, register: None
    ) -> None:
        report = reports.build_statistics(
            session, ANALYST, policy=load_bundled_policy(), today=TODAY
        )
        assert report.k == 10
        assert _table(report, "per_service") == {"Fiber": 12, "TV": None}
        assert _table(report, "per_city") == {"Göteborg": 12, "Henån": None}
        assert _table(report, "per_kind") == {"private": 15}
        assert _table(report, "invoices_per_month") == {"2026-05": 15}

    def test_audited_under_the_statistics_purpose(self, session: Session, register: None) -> None:
        reports.build_statistics(session, ANALYST, policy=load_bundled_policy(), today=TODAY)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "statistics.read")
        ).one()
        assert (entry.actor, entry.purpose, entry.subject_id) == ("staff:ella", "statistics", None)

    def test_subjects_who_objected_to_statistics_are_not_counted(
        self, session: Session, register: None
    ) -> None:
        policy = load_bundled_policy()
        gothenburg = session.scalars(
            select(PostalAddress.subject_id).where(PostalAddress.city == "Göteborg")
        ).all()
        objections.record_objections(
            session,
            policy=policy,
            actor="test",
            subject_id=gothenburg[0],
            purposes=[policy.system_purpose("statistics")],
        )
        report = reports.build_statistics(session, ANALYST, policy=policy, today=TODAY)
        assert _table(report, "per_city") == {"Göteborg": 11, "Henån": None}
        assert _table(report, "per_kind") == {"private": 14}
        assert _table(report, "invoices_per_month") == {"2026-05": 14}

    def test_needs_the_statistics_permission(self, session: Session) -> None:
        support = staff_context(
            policy=load_bundled_policy(), username="kim", role="customer_service", user_id=2
        )
        with pytest.raises(Forbidden):
            reports.build_statistics(session, support, policy=load_bundled_policy())
