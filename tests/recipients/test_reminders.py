"""Review reminders: the DPO is mailed once when a review comes within the notice period and
once when it is overdue, per review date; a new agreement starts afresh. The day is frozen:
the service takes it as a parameter, the daily job reads it from the clock (patched here)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.db.session import transaction
from dataskydd.jobs import tasks
from dataskydd.jobs.definitions import JobContext
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from dataskydd.recipients import agreements, reminders
from dataskydd.recipients.agreements import AgreementInput
from dataskydd.recipients.findings import Thresholds
from tests.jobs.conftest import PUBLIC_URL, Database
from tests.jobs.conftest import context as context  # the fixtures, by name
from tests.jobs.conftest import database as database
from tests.recipients.conftest import TODAY, Record, pdf, processor

REVIEW = TODAY + dt.timedelta(days=90)


def without_review_dates(policy: Policy) -> Policy:
    """The policy with no review date of its own, so only the recorded agreement is due."""
    return policy.model_copy(
        update={
            "recipients": tuple(
                r.model_copy(update={"review_date": None}) for r in policy.recipients
            )
        }
    )


def _send(session: Session, policy: Policy, day: dt.date) -> list[reminders.Reminder]:
    return reminders.send_review_reminders(
        session,
        policy=policy,
        limits=Thresholds(today=day, notice_days=30),
        link_base="https://dataskydd.example.se",
        actor="job:test",
    )


def _mails(session: Session) -> list[OutboxMail]:
    return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_once_when_due_soon_and_once_when_overdue(
    session: Session, policy: Policy, record: Record
) -> None:
    policy = without_review_dates(policy)
    recipient = processor(policy)
    record(recipient.key, review_on=REVIEW)
    assert _send(session, policy, REVIEW - dt.timedelta(days=31)) == []
    [soon] = _send(session, policy, REVIEW - dt.timedelta(days=30))
    assert (soon.recipient, soon.threshold) == (recipient.key, "soon")
    assert _send(session, policy, REVIEW - dt.timedelta(days=29)) == []
    assert _send(session, policy, REVIEW) == []
    [late] = _send(session, policy, REVIEW + dt.timedelta(days=1))
    assert late.threshold == "overdue"
    assert _send(session, policy, REVIEW + dt.timedelta(days=2)) == []

    first, second = _mails(session)
    assert policy.dpo is not None
    assert {first.to_address, second.to_address} == {policy.dpo.email}
    assert recipient.name in first.subject_line
    assert REVIEW.isoformat() in first.body
    # In the staff's language only (tests/test_untranslated_mail.py checks both languages).
    assert first.subject_line == f"dataskydd: avtalet med {recipient.name} ska granskas"
    assert f"Avtalet med {recipient.name} ska granskas senast {REVIEW.isoformat()}." in first.body
    assert "is due for review" not in first.body
    assert "skulle ha gjorts senast" in second.body
    assert "was due on" not in second.body
    assert f"https://dataskydd.example.se/recipients/{recipient.key}" in second.body
    remind = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "recipient.review.remind")
        .order_by(AuditEntry.id)  # the order compared below
    ).all()
    assert [entry.detail["threshold"] for entry in remind] == ["soon", "overdue"]


def test_a_new_agreement_starts_afresh(session: Session, policy: Policy, record: Record) -> None:
    policy = without_review_dates(policy)
    key = processor(policy).key
    record(key, review_on=REVIEW)
    assert len(_send(session, policy, REVIEW - dt.timedelta(days=10))) == 1
    renewed_on = REVIEW - dt.timedelta(days=5)
    record(key, today=renewed_on, review_on=renewed_on + dt.timedelta(days=20))
    [again] = _send(session, policy, renewed_on)
    assert again.review_on == (renewed_on + dt.timedelta(days=20)).isoformat()


def test_the_policy_s_review_dates_are_reminded_too(session: Session, policy: Policy) -> None:
    key = processor(policy).key
    dated = without_review_dates(policy).model_copy()
    dated = dated.model_copy(
        update={
            "recipients": tuple(
                r.model_copy(update={"review_date": REVIEW}) if r.key == key else r
                for r in dated.recipients
            )
        }
    )
    assert [r.recipient for r in _send(session, dated, REVIEW)] == [key]


def test_without_a_dpo_address_nothing_is_sent_or_remembered(
    session: Session, policy: Policy, record: Record
) -> None:
    policy = without_review_dates(policy)
    record(processor(policy).key, review_on=REVIEW)
    assert policy.dpo is not None
    silent = policy.model_copy(update={"dpo": policy.dpo.model_copy(update={"email": None})})
    assert _send(session, silent, REVIEW) == []
    assert len(_send(session, policy, REVIEW)) == 1


def test_the_daily_job_uses_today_in_sweden(
    database: Database, context: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    context.policy = without_review_dates(context.policy)
    recipient = processor(context.policy)
    with transaction(context.session_factory) as session:
        agreements.record_agreement(
            session,
            policy=context.policy,
            recipient_key=recipient.key,
            data=AgreementInput(signed_on=TODAY, review_on=REVIEW, categories=recipient.categories),
            document=pdf(),
            by="staff:dpo",
            today=TODAY,
        )
    monkeypatch.setattr(tasks, "today_in_sweden", lambda: REVIEW - dt.timedelta(days=31))
    assert tasks.agreement_reviews(context) == 0
    monkeypatch.setattr(tasks, "today_in_sweden", lambda: REVIEW - dt.timedelta(days=30))
    assert tasks.agreement_reviews(context) == 1
    assert tasks.agreement_reviews(context) == 0  # a retry or a second worker sends nothing
    assert context.policy.dpo is not None
    assert context.policy.dpo.email
    [mail] = database.mails_to(context.policy.dpo.email)
    assert f"{PUBLIC_URL}/recipients/{recipient.key}" in mail.body
