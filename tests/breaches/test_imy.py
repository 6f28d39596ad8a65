"""The notification to IMY: the draft holds every item of art. 33.3 (JSON keys, PDF text);
sending is recorded in phases, a late one needs its reasons; the decision not to notify is
recorded with its reason; the promise and the deadline mails follow."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext, operator_context
from dataskydd.breaches import decisions, notification_imy, records, reminders
from dataskydd.breaches.models import ImyDecision
from dataskydd.catalogues import STAFF_LANGUAGE
from dataskydd.clock import utc_now
from dataskydd.config import Settings
from dataskydd.errors import Conflict, InvalidInput
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from dataskydd.promises.registry import Status
from dataskydd.promises.service import check_promises
from dataskydd.subject_requests.messages import Mail
from tests.breaches.conftest import breach_input, local
from tests.test_untranslated_mail import leaked_english


def test_the_draft_has_every_item_of_article_33_3(
    session: Session, policy: Policy, dpo: AccessContext
) -> None:
    breach = records.record_breach(session, policy, dpo, breach_input(policy))
    data = notification_imy.draft(policy, breach, [], "sv")
    assert data["controller"]["name"] == policy.controller.name
    a = data["art_33_3_a_nature"]
    assert a["approximate_number_of_subjects"] == 120
    assert a["approximate_number_of_records"] == 240
    assert a["categories_of_data"]
    assert a["categories_of_subjects"]
    assert a["nature"]
    contact = data["art_33_3_b_contact_point"]
    assert contact["name"] == (policy.dpo.name if policy.dpo else policy.controller.name)
    assert data["art_33_3_c_likely_consequences"] == breach.consequences
    assert data["art_33_3_d_measures"] == {
        "taken": breach.measures_taken,
        "proposed": breach.measures_planned,
    }
    assert data["timeline"]["aware_at"]
    assert data["timeline"]["deadline"]
    for lang, headings in (
        (
            "sv",
            ["a) Incidentens art", "b) Kontaktpunkt", "c) Sannolika konsekvenser", "d) Åtgärder"],
        ),
        (
            "en",
            [
                "a) Nature of the breach",
                "b) Contact point",
                "c) Likely consequences",
                "d) Measures",
            ],
        ),
    ):
        pdf = notification_imy.render_pdf(notification_imy.draft(policy, breach, [], lang), lang)
        text = " ".join(
            " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages
        )
        for heading in headings:
            assert heading in text
        assert policy.controller.name in text
        assert "240" in text
        assert "120" in text


def test_notification_in_phases_and_a_late_one_needs_its_reasons(
    session: Session, policy: Policy, dpo: AccessContext
) -> None:
    aware = utc_now() - timedelta(hours=100)
    breach = records.record_breach(session, policy, dpo, breach_input(policy, aware=aware))
    sent = local(utc_now() - timedelta(hours=1))
    with pytest.raises(InvalidInput) as reasons:
        decisions.record_imy_notification(session, dpo, breach.id, sent_at=sent, reference="IMY-1")
    assert reasons.value.field == "delay_reason"
    with pytest.raises(InvalidInput) as before:
        decisions.record_imy_notification(
            session, dpo, breach.id, sent_at=local(aware - timedelta(hours=1)), reference="IMY-1"
        )
    assert before.value.field == "sent_at"
    first = decisions.record_imy_notification(
        session,
        dpo,
        breach.id,
        sent_at=sent,
        reference="IMY-1",
        delay_reason="Omfattningen var oklar till en början.",
    )
    second = decisions.record_imy_notification(
        session, dpo, breach.id, sent_at=local(utc_now()), reference="IMY-1 komplettering"
    )
    assert (first.phase, second.phase) == (1, 2)
    assert breach.imy_decision is ImyDecision.NOTIFIED
    draft = notification_imy.draft(policy, breach, decisions.imy_notices(session, breach.id))
    assert draft["delay_reasons"] == "Omfattningen var oklar till en början."
    assert [p["phase"] for p in draft["phases_sent"]] == [1, 2]
    with pytest.raises(Conflict):
        decisions.decide_not_to_notify(session, dpo, breach.id, reason="Ingen risk")


def test_a_breach_past_72_hours_breaks_the_promise_until_decided(
    session: Session, policy: Policy, dpo: AccessContext, settings: Settings
) -> None:
    aware = utc_now() - timedelta(hours=73)
    breach = records.record_breach(session, policy, dpo, breach_input(policy, aware=aware))
    fresh = records.record_breach(session, policy, dpo, breach_input(policy))

    def evidence() -> object:
        report = check_promises(session, policy, operator_context("cli:test"), settings=settings)
        return next(e for e in report.promises if e.key == "breaches_notified")

    broken = evidence()
    assert broken.status is Status.BROKEN  # type: ignore[attr-defined]
    assert broken.offending == (f"breach:{breach.id}",)  # type: ignore[attr-defined]
    decisions.decide_not_to_notify(
        session, dpo, breach.id, reason="Uppgifterna var krypterade; ingen risk."
    )
    assert breach.imy_reason
    assert breach.imy_decided_by == dpo.actor
    assert evidence().status is Status.HOLDS  # type: ignore[attr-defined]
    assert fresh.imy_decision is ImyDecision.PENDING  # within its 72 hours: no finding


def test_deadline_mails_go_once_per_stage(
    session: Session, policy: Policy, dpo: AccessContext
) -> None:
    assert policy.dpo is not None
    assert policy.dpo.email
    aware = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    breach = records.record_breach(
        session,
        policy,
        dpo,
        breach_input(policy, aware=aware),
        now=aware + timedelta(hours=1),
    )

    def send(hours: float) -> list[int]:
        return reminders.send_deadline_mails(
            session, policy, now=aware + timedelta(hours=hours), link_base="", actor="job:test"
        )

    assert send(1) == [breach.id]
    assert send(2) == []
    assert send(49) == [breach.id]  # 23 hours left
    assert send(50) == []
    assert send(67) == [breach.id]  # 5 hours left
    assert send(80) == []
    mails = session.scalars(
        select(OutboxMail).where(OutboxMail.to_address == policy.dpo.email)
    ).all()
    assert len(mails) == 3
    assert "2026-11-30 10:00" in mails[0].body  # 72 h after 10:00 Swedish time
    assert breach.description not in mails[0].body
    # One mail, in the staff's language (the DPO's address has none of its own), made as
    # deadline_mail makes it: entirely Swedish (tests/test_untranslated_mail.py).
    assert STAFF_LANGUAGE == "sv"
    link = f"/breaches/{breach.id}"
    for mail, hours in zip(mails, (1, 49, 67), strict=True):
        made = reminders.deadline_mail(breach, aware + timedelta(hours=hours), link, "sv")
        assert (mail.subject_line, mail.body) == made
        english = reminders.deadline_mail(breach, aware + timedelta(hours=hours), link, "en")
        assert not leaked_english(Mail(*made), Mail(*english), [breach.title, link])
    assert mails[0].subject_line == (
        f"Personuppgiftsincident {breach.id}: anmälan till IMY senast 2026-11-30 10:00"
    )
    assert "Kvar av tidsfristen: 23 h 0 min" in mails[1].body
    for mail in mails:
        assert "IMY" in mail.body
        assert "Notify" not in mail.body
        assert "In English" not in mail.body
        # Nothing of the record beyond its number and title (no description, no data).
        for text in (breach.description, breach.consequences, breach.measures_taken):
            assert text not in mail.body
