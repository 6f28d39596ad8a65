"""The request workflow as services: code by SMTP, queue with due dates, extension, the
outcomes of each kind, reminders to the DPO."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.auth.access import staff_context
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.errors import Conflict, Forbidden, InvalidInput
from dataskydd.mail import service as mail_service
from dataskydd.mail.models import OutboxMail
from dataskydd.register import service as register_service
from dataskydd.register.models import Restriction, Subject
from dataskydd.subject_requests import deadlines, intake, objections
from dataskydd.subject_requests import outcomes as request_outcomes
from dataskydd.subject_requests import requests as request_service
from dataskydd.subject_requests.models import (
    CodePurpose,
    RequestChannel,
    RequestKind,
    RequestStatus,
)
from tests.mail.test_service import _Collect, free_port
from tests.policy_keys import ANALYST, BOOKKEEPING, COMPANY, CONTACT, OBJECTABLE_INTEREST
from tests.policy_keys import DPO as DPO_ROLE

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

POLICY = COMPANY
DPO = staff_context(policy=POLICY, username="dataskyddsombud", role=DPO_ROLE, user_id=1)
EMAIL = "greta.holm@example.se"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, _Collect]]:
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()


def person(session: Session) -> int:
    subject = register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Greta", "family_name": "Holm", "emails": [EMAIL]},
    )
    return subject.id


def body(message: Message) -> str:
    return message.get_payload(decode=True).decode()  # type: ignore[union-attr]


def open_by_letter(session: Session, subject_id: int, kind: RequestKind) -> int:
    created = request_service.register_request(
        session,
        DPO,
        policy=POLICY,
        subject_id=subject_id,
        kind=kind,
        channel=RequestChannel.LETTER,
        identity_check="copy of ID card compared with the register",
    )
    return created.id


def test_web_request_code_travels_by_smtp(
    session: Session, smtp_server: tuple[str, _Collect]
) -> None:
    url, received = smtp_server
    subject_id = person(session)
    ticket = intake.start_code(
        session, policy=POLICY, contact=EMAIL.upper(), purpose=CodePurpose.REQUEST, lang="sv"
    )
    assert mail_service.send_pending(session, smtp_url=url, sender="dpo@example.se") == 1
    (message,) = received.messages
    assert message["To"] == EMAIL
    code = re.search(r"\b(\d{8})\b", body(message))
    assert code
    assert code.group(1) not in message["Subject"]
    request = intake.confirm_access_request(
        session, policy=POLICY, ticket=ticket, code=code.group(1)
    )
    assert request.subject_id == subject_id
    assert request.status is RequestStatus.OPEN
    assert request.due_on == deadlines.due_date(today_in_sweden())
    assert request.identity_check == intake.WEB_IDENTITY_CHECK


def test_unknown_address_sends_nothing(session: Session) -> None:
    before = len(mail_service.list_outbox(session))
    ticket = intake.start_code(
        session, policy=POLICY, contact="0701112233", purpose=CodePurpose.REQUEST, lang="en"
    )
    assert ticket.count(".") == 1
    assert len(mail_service.list_outbox(session)) == before


def test_staff_registration_needs_an_identity_check_and_the_permission(session: Session) -> None:
    subject_id = person(session)
    with pytest.raises(InvalidInput, match="identity_check"):
        request_service.register_request(
            session,
            DPO,
            policy=POLICY,
            subject_id=subject_id,
            kind=RequestKind.ACCESS,
            channel=RequestChannel.PHONE,
            identity_check="  ",
        )
    analyst = staff_context(policy=POLICY, username="a", role=ANALYST, user_id=2)
    with pytest.raises(Forbidden):
        request_service.list_queue(session, analyst)


def test_extension_once_with_reason_told_to_the_subject(session: Session) -> None:
    request_id = open_by_letter(session, person(session), RequestKind.ACCESS)
    with pytest.raises(InvalidInput):
        request_service.extend_request(
            session, DPO, policy=POLICY, request_id=request_id, reason=""
        )
    extended = request_service.extend_request(
        session, DPO, policy=POLICY, request_id=request_id, reason="Många system att gå igenom"
    )
    assert extended.status is RequestStatus.EXTENDED
    assert extended.due_on == deadlines.extended_due_date(today_in_sweden())
    mail = session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert mail is not None
    assert "Många system att gå igenom" in mail.body
    with pytest.raises(Conflict):
        request_service.extend_request(
            session, DPO, policy=POLICY, request_id=request_id, reason="x"
        )


def test_queue_flags_overdue_and_reminds_the_dpo_once(session: Session) -> None:
    request_id = open_by_letter(session, person(session), RequestKind.ACCESS)
    request = request_service.load_request(session, request_id)
    request.received_at = utc_now() - timedelta(days=40)
    request.due_on = today_in_sweden() - timedelta(days=5)
    session.flush()
    (item,) = [
        i
        for i in request_service.list_queue(session, DPO, view=request_service.QueueView.OVERDUE)
        if i.request.id == request_id
    ]
    assert item.overdue
    with pytest.raises(Conflict):
        request_service.extend_request(
            session, DPO, policy=POLICY, request_id=request_id, reason="sent"
        )
    reminded = request_service.send_reminders(
        session, actor="cli", policy=POLICY, queue_link="/requests"
    )
    assert request_id in reminded
    assert (
        request_service.send_reminders(session, actor="cli", policy=POLICY, queue_link="/requests")
        == []
    )
    mail = session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert mail is not None
    assert POLICY.dpo is not None
    assert mail.to_address == POLICY.dpo.email
    assert "Greta" not in mail.body
    # In the staff's language only (tests/test_untranslated_mail.py checks both languages).
    assert mail.subject_line.startswith("Påminnelse: ")
    assert f"  Ärende {request_id}: Registerutdrag, senast {request.due_on.isoformat()}" in (
        mail.body
    )
    assert "due" not in mail.body
    assert mail.body.endswith("\n\n/requests")


def test_access_completion_mails_a_link_and_keeps_counts(session: Session) -> None:
    request_id = open_by_letter(session, person(session), RequestKind.ACCESS)
    done = request_outcomes.complete_request(
        session, DPO, policy=POLICY, request_id=request_id, link_base="https://x.example/"
    )
    assert done.status is RequestStatus.COMPLETED
    assert done.outcome is not None
    assert " rader i " in done.outcome  # counts, in the Swedish the subject is told in
    assert EMAIL not in done.outcome
    mail = session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert mail is not None
    assert "https://x.example/registerutdrag/hamta/" in mail.body
    with pytest.raises(Conflict):
        request_outcomes.complete_request(
            session, DPO, policy=POLICY, request_id=request_id, link_base="x"
        )


def test_erasure_outcome_is_evidence_without_the_data(session: Session) -> None:
    subject_id = person(session)
    request_id = open_by_letter(session, subject_id, RequestKind.ERASURE)
    done = request_outcomes.complete_request(
        session, DPO, policy=POLICY, request_id=request_id, link_base="https://x.example"
    )
    assert done.outcome is not None
    assert "Raderat" in done.outcome
    assert "Greta" not in done.outcome
    assert EMAIL not in done.outcome
    assert (
        session.get(Subject, subject_id) is None or not session.get(Subject, subject_id).given_name
    )  # type: ignore[union-attr]
    told = session.scalars(select(OutboxMail).where(OutboxMail.to_address == EMAIL)).all()
    assert any("Raderat" in m.body for m in told)


def test_restriction_and_objection_outcomes(session: Session) -> None:
    subject_id = person(session)
    restriction = open_by_letter(session, subject_id, RequestKind.RESTRICTION)
    with pytest.raises(InvalidInput):
        request_outcomes.complete_request(
            session, DPO, policy=POLICY, request_id=restriction, link_base="x"
        )
    request_outcomes.complete_request(
        session, DPO, policy=POLICY, request_id=restriction, link_base="x", categories=[CONTACT]
    )
    rows = session.scalars(select(Restriction).where(Restriction.subject_id == subject_id)).all()
    assert [r.category for r in rows] == [CONTACT]
    objection = open_by_letter(session, subject_id, RequestKind.OBJECTION)
    with pytest.raises(InvalidInput, match="cannot be objected"):
        request_outcomes.complete_request(
            session,
            DPO,
            policy=POLICY,
            request_id=objection,
            link_base="x",
            purposes=[BOOKKEEPING],
        )
    request_outcomes.complete_request(
        session,
        DPO,
        policy=POLICY,
        request_id=objection,
        link_base="x",
        purposes=[OBJECTABLE_INTEREST],
    )
    assert OBJECTABLE_INTEREST in objections.current_objections(session, subject_id)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        (RequestKind.ACCESS, {}),
        (RequestKind.ERASURE, {}),
        (RequestKind.RESTRICTION, {"categories": [CONTACT]}),
        (RequestKind.OBJECTION, {"purposes": [OBJECTABLE_INTEREST]}),
    ],
)
def test_the_handlers_note_reaches_the_subject(
    session: Session, kind: RequestKind, extra: dict[str, list[str]]
) -> None:
    """Issue 15 item 3: the form says the note is sent to the subject; every kind's mail has it."""
    subject_id = person(session)
    request_id = open_by_letter(session, subject_id, kind)
    note = f"Hör av dig om något är oklart ({kind.value})."
    request_outcomes.complete_request(
        session,
        DPO,
        policy=POLICY,
        request_id=request_id,
        link_base="https://x.example",
        note=note,
        **extra,  # type: ignore[arg-type]
    )
    told = session.scalars(select(OutboxMail).where(OutboxMail.to_address == EMAIL)).all()
    assert any(note in m.body for m in told)


def test_refusal_gives_the_reason(session: Session) -> None:
    request_id = open_by_letter(session, person(session), RequestKind.ACCESS)
    refused = request_outcomes.refuse_request(
        session,
        DPO,
        policy=POLICY,
        request_id=request_id,
        reason="Samma begäran tionde gången i dag",
    )
    assert refused.status is RequestStatus.REFUSED
    assert refused.outcome is not None
    assert "tionde" in refused.outcome
