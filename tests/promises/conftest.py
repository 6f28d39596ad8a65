"""A small register where every promise holds, built through the app's own services (the
access decision, consents, the audit log), and ways to read a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.access import consents
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext, operator_context, staff_context
from dataskydd.auth.models import StaffUser
from dataskydd.clock import utc_now
from dataskydd.config import Settings
from dataskydd.demo.agreements import record_demo_agreements
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Policy
from dataskydd.promises.registry import Evidence, Status
from dataskydd.promises.service import PromiseReport, check_promises
from tests.conftest import TEST_SECRET
from tests.factories import SubjectFactory

OPERATOR = operator_context("cli:test")


def policy_with_current_agreements() -> Policy:
    """The bundled policy with every agreement review in the future, so that nothing in it is
    broken before the tests break something."""
    bundled = load_bundled_policy()
    recipients = tuple(
        r.model_copy(update={"review_date": date(2099, 1, 1)}) if r.review_date else r
        for r in bundled.recipients
    )
    return bundled.model_copy(update={"recipients": recipients})


@dataclass
class World:
    session: Session
    policy: Policy
    settings: Settings
    subjects: dict[str, int] = field(default_factory=dict)
    staff: dict[str, StaffUser] = field(default_factory=dict)
    # Audit entry ids of the allowed decisions, by name.
    reads: dict[str, int] = field(default_factory=dict)
    started: datetime = field(default_factory=utc_now)

    def context(self, name: str) -> AccessContext:
        user = self.staff[name]
        return staff_context(
            policy=self.policy, username=user.username, role=user.role, user_id=user.id
        )

    def read(
        self,
        name: str,
        caller: AccessContext,
        *,
        subject: str,
        purpose: str,
        categories: list[str] | None = None,
    ) -> int:
        access_service.decide(
            self.session,
            self.policy,
            caller,
            action=Action.READ,
            purpose=purpose,
            subject_id=self.subjects[subject],
            categories=categories,
            audit_action="subject.show",
        )
        self.reads[name] = _last_entry_id(self.session)
        return self.reads[name]

    def check(
        self, *, caller: AccessContext = OPERATOR, settings: Settings | None = None
    ) -> PromiseReport:
        return check_promises(self.session, self.policy, caller, settings=settings or self.settings)


def _last_entry_id(session: Session) -> int:
    return int(session.scalar(select(func.max(AuditEntry.id))) or 0)


def add_staff(session: Session, username: str, role: str) -> StaffUser:
    user = StaffUser(username=username, display_name=username, role=role, password_hash="x")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        key_file=tmp_path / "dataskydd.key",
        audit_checkpoint_file=tmp_path / "checkpoints.jsonl",
    )


@pytest.fixture
def world(session: Session, factories: None, settings: Settings) -> World:
    """Anna reads Kim's customer relationship; Kim consented to marketing, which the operator
    uses; Lo is read for bookkeeping; an analyst reads statistics."""
    built = World(session, policy_with_current_agreements(), settings)
    for name in ("kim", "lo"):
        built.subjects[name] = SubjectFactory().id
    # The agreements the notice promises, recorded as the demo records them.
    record_demo_agreements(session, policy=built.policy, actor="test")
    built.staff["anna"] = add_staff(session, "anna", "customer_service")
    built.staff["dora"] = add_staff(session, "dora", "dpo")
    built.staff["alva"] = add_staff(session, "alva", "analyst")
    consents.give_consent(
        session, subject_id=built.subjects["kim"], purpose="marketing", channel="mina_sidor"
    )
    built.read("service", built.context("anna"), subject="kim", purpose="customer_relationship")
    built.read("marketing", OPERATOR, subject="kim", purpose="marketing")
    built.read("recommend", OPERATOR, subject="kim", purpose="recommendations")
    built.read("books", built.context("dora"), subject="lo", purpose="bookkeeping")
    access_service.decide_aggregate(
        session,
        built.policy,
        built.context("alva"),
        purpose="statistics",
        audit_action="statistics.read",
    )
    built.reads["statistics"] = _last_entry_id(session)
    return built


def by_key(report: PromiseReport) -> dict[str, Evidence]:
    return {evidence.key: evidence for evidence in report.promises}


def broken_keys(report: PromiseReport) -> set[str]:
    return {evidence.key for evidence in report.promises if evidence.status is Status.BROKEN}
