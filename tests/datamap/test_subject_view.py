"""Reading one subject for a purpose: the policy decides the categories; every read audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.access.models import Objection
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext, operator_context, staff_context
from dataskydd.datamap.subject_view import show_subject
from dataskydd.errors import AccessRefused, NotFound
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Policy
from tests import factories as f

ACTOR = "staff:kalle"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_bundled_policy()


@pytest.fixture(scope="module")
def caller(policy: Policy) -> AccessContext:
    """Customer service, whose role may use the customer relationship and service quality."""
    return staff_context(policy=policy, username="kalle", role="customer_service", user_id=1)


@pytest.fixture
def customer(session: Session, factories: None) -> int:
    subject = f.SubjectFactory(given_name="Anna", family_name="Svensson")
    f.EmailFactory(subject_id=subject.id, value="anna@example.se")
    f.ContractFactory(subject_id=subject.id)
    invoice = f.InvoiceFactory(subject_id=subject.id)
    f.PaymentFactory(invoice_id=invoice.id)
    connection = f.ConnectionFactory(subject_id=subject.id)
    f.IpAssignmentFactory(connection_id=connection.id, ip_address="198.51.100.7")
    f.CorrespondenceFactory(subject_id=subject.id)
    for _ in range(5):
        f.UsageEventFactory(subject_id=subject.id)
    f.InvoiceFactory(invoice_number="F-OTHER")  # someone else's
    return int(subject.id)


def last_audit(session: Session) -> AuditEntry:
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    return entry


def values(view_dict: dict, category: str) -> list[dict]:  # type: ignore[type-arg]
    group = next(g for g in view_dict["categories"] if g["category"] == category)
    return [row for table in group["tables"] for row in table["rows"]]


class TestShowSubject:
    def test_customer_relationship_sees_billing_with_basis_and_retention(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        view = show_subject(
            session,
            caller=caller,
            policy=policy,
            subject_id=customer,
            purpose="customer_relationship",
        ).as_dict()
        billing = next(g for g in view["categories"] if g["category"] == "billing")
        assert billing["legal_basis"] == "contract"
        assert "bokföringslagen" in billing["retention"]
        tables = {t["table"]: t for t in billing["tables"]}
        assert tables["invoice"]["total"] == 1  # the other subject's invoice is not here
        assert tables["payment"]["total"] == 1
        ips = [row["ip_address"] for row in values(view, "connection") if "ip_address" in row]
        assert ips == ["198.51.100.7"]
        assert "usage" in view["withheld_categories"]

    def test_only_columns_of_the_category_are_returned(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        view = show_subject(
            session,
            caller=caller,
            policy=policy,
            subject_id=customer,
            purpose="customer_relationship",
            categories=["identity"],
        ).as_dict()
        (row,) = values(view, "identity")[:1]
        assert "personnummer" not in row  # national_id, a separate category
        assert row["given_name"] == "Anna"

    def test_purpose_may_not_use_category_is_refused_and_audited(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        with pytest.raises(AccessRefused, match="service_quality may not use category billing"):
            show_subject(
                session,
                caller=caller,
                policy=policy,
                subject_id=customer,
                purpose="service_quality",
                categories=["billing"],
            )
        entry = last_audit(session)
        assert (entry.action, entry.subject_id, entry.purpose) == (
            "subject.show.refused",
            customer,
            "service_quality",
        )

    def test_aggregates_only_purpose_never_sees_one_subject(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        # The DPO's role may use statistics: only its being aggregate-only refuses.
        dpo = staff_context(policy=policy, username="dina", role="dpo", user_id=2)
        with pytest.raises(AccessRefused, match="aggregates"):
            show_subject(
                session, caller=dpo, policy=policy, subject_id=customer, purpose="statistics"
            )

    def test_unknown_purpose_and_category_and_subject(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        with pytest.raises(NotFound, match="unknown purpose 'curiosity'"):
            show_subject(
                session, caller=caller, policy=policy, subject_id=customer, purpose="curiosity"
            )
        with pytest.raises(NotFound, match="unknown category 'shoes'"):
            show_subject(
                session,
                caller=caller,
                policy=policy,
                subject_id=customer,
                purpose="customer_relationship",
                categories=["shoes"],
            )
        with pytest.raises(NotFound, match="subject 424242"):
            show_subject(
                session,
                caller=caller,
                policy=policy,
                subject_id=424242,
                purpose="customer_relationship",
            )

    def test_every_read_is_audited_with_purpose_and_categories(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        show_subject(
            session, caller=caller, policy=policy, subject_id=customer, purpose="service_quality"
        )
        entry = last_audit(session)
        assert (entry.action, entry.actor, entry.purpose) == (
            "subject.show",
            ACTOR,
            "service_quality",
        )
        assert "usage" in entry.detail["categories"]
        assert "billing" not in entry.detail["categories"]

    def test_rows_per_table_bounds_the_page_but_counts_all(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        view = show_subject(
            session,
            caller=caller,
            policy=policy,
            subject_id=customer,
            purpose="service_quality",
            categories=["usage"],
            rows_per_table=2,
        ).as_dict()
        (usage,) = view["categories"][0]["tables"]
        assert usage["total"] == 5
        assert len(usage["rows"]) == 2
        assert usage["rows"][0]["occurred_at"] > usage["rows"][1]["occurred_at"]

    def test_derived_columns_and_empty_rows_are_not_shown(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        view = show_subject(
            session,
            caller=caller,
            policy=policy,
            subject_id=customer,
            purpose="customer_relationship",
        ).as_dict()
        assert "search_name" not in values(view, "identity")[0]
        assert all("lookup_index" not in row for row in values(view, "contact"))
        # The factory subject has no personnummer, so national_id has nothing to show.
        national = next(g for g in view["categories"] if g["category"] == "national_id")
        assert national["tables"] == []

    def test_a_role_may_use_only_its_own_purposes(
        self, session: Session, policy: Policy, caller: AccessContext, customer: int
    ) -> None:
        for purpose in ("bookkeeping", "marketing"):
            with pytest.raises(
                AccessRefused, match=f"role customer_service may not use purpose {purpose}"
            ):
                show_subject(
                    session, caller=caller, policy=policy, subject_id=customer, purpose=purpose
                )
            assert last_audit(session).action == "subject.show.refused"


class TestConsentAndObjection:
    """Consent-based purposes need the subject's standing consent; direct marketing stops at
    an objection, other objectable purposes until compelling grounds are recorded."""

    def _show(self, session: Session, policy: Policy, subject_id: int, purpose: str) -> None:
        show_subject(
            session,
            caller=operator_context("cli:test"),
            policy=policy,
            subject_id=subject_id,
            purpose=purpose,
        )

    def test_marketing_needs_consent_and_stops_at_an_objection(
        self, session: Session, policy: Policy, customer: int
    ) -> None:
        with pytest.raises(AccessRefused, match="no standing consent to purpose marketing"):
            self._show(session, policy, customer, "marketing")
        give_consent(session, subject_id=customer, purpose="marketing", channel="staff")
        self._show(session, policy, customer, "marketing")
        assert last_audit(session).action == "subject.show"
        session.add(Objection(subject_id=customer, purpose="marketing"))
        session.flush()
        with pytest.raises(AccessRefused, match="direct marketing stops at once"):
            self._show(session, policy, customer, "marketing")

    def test_an_objection_stops_legitimate_interests_until_overridden(
        self, session: Session, policy: Policy, customer: int
    ) -> None:
        objection = Objection(subject_id=customer, purpose="recommendations")
        session.add(objection)
        session.flush()
        with pytest.raises(AccessRefused, match="until compelling legitimate grounds"):
            self._show(session, policy, customer, "recommendations")
        objection.overridden_at = objection.objected_at
        objection.overridden_by = "staff:dina"
        objection.override_reason = "an ongoing dispute about the connection"
        session.flush()
        self._show(session, policy, customer, "recommendations")
        assert last_audit(session).action == "subject.show"
