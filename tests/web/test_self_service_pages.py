"""Mina sidor: sign-in by code, inactivity, own data, rectification, consents, objections,
requests and the portable export."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection, SubjectConsent
from dataskydd.auth.access import AccessContext, staff_context
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.db.base import Base
from dataskydd.policy.schema import Policy
from dataskydd.register.models import ContactPoint, NewsletterSubscription, Rectification
from dataskydd.subject_requests import outcomes as request_outcomes
from dataskydd.subject_requests import requests as request_service
from dataskydd.subject_requests.models import (
    CodePurpose,
    RequestChannel,
    RequestKind,
    SubjectRequest,
    VerificationCode,
)
from tests.policy_keys import (
    ACTIVITIES,
    BOOKKEEPING,
    CONTACT,
    DPO,
    NEWSLETTERS,
    OBJECTABLE_INTEREST,
    USAGE,
)
from tests.web.conftest import csrf_of
from tests.web.test_access_request_pages import EMAIL, code_in, last_mail, make_person

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def sign_in(client: TestClient, session: Session, contact: str = EMAIL) -> None:
    page = client.get("/mina-sidor/logga-in")
    client.post("/mina-sidor/logga-in", data={"contact": contact, "csrf_token": csrf_of(page.text)})
    page = client.get("/mina-sidor/kod")
    answer = client.post(
        "/mina-sidor/kod",
        data={"code": code_in(last_mail(session, EMAIL)), "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/mina-sidor/uppgifter"


def test_needs_sign_in(anonymous: TestClient) -> None:
    answer = anonymous.get("/mina-sidor/uppgifter", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/mina-sidor/logga-in"


def test_sign_in_shows_own_data_with_a_separate_cookie(
    anonymous: TestClient, session: Session
) -> None:
    make_person(session)
    sign_in(anonymous, session)
    assert "dataskydd_subject_session" in anonymous.cookies
    assert "dataskydd_session" not in anonymous.cookies
    page = anonymous.get("/mina-sidor/uppgifter")
    assert page.status_code == 200
    assert "Storgatan 1" in page.text
    # Codes in words (issue 15 item 4): the subject's kind is not shown as "person".
    assert "<td>person</td>" not in page.text
    assert "<td>Privatperson</td>" in page.text
    # Staff pages stay closed to a subject's session.
    assert anonymous.get("/requests", follow_redirects=False).status_code == 303


def test_wrong_code_does_not_sign_in(anonymous: TestClient, session: Session) -> None:
    make_person(session)
    page = anonymous.get("/mina-sidor/logga-in")
    anonymous.post(
        "/mina-sidor/logga-in", data={"contact": EMAIL, "csrf_token": csrf_of(page.text)}
    )
    page = anonymous.get("/mina-sidor/kod")
    answer = anonymous.post(
        "/mina-sidor/kod", data={"code": "00000000", "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 422
    assert "dataskydd_subject_session" not in anonymous.cookies


def test_inactivity_ends_the_session(anonymous: TestClient, session: Session) -> None:
    make_person(session)
    sign_in(anonymous, session)
    for row in session.scalars(
        select(VerificationCode).where(VerificationCode.purpose == CodePurpose.SESSION)
    ):
        row.expires_at = utc_now() - timedelta(seconds=1)
    session.commit()
    answer = anonymous.get("/mina-sidor/uppgifter", follow_redirects=False)
    assert answer.headers["location"] == "/mina-sidor/logga-in?reason=inactivity"


def test_sign_out(anonymous: TestClient, session: Session) -> None:
    make_person(session)
    sign_in(anonymous, session)
    token = anonymous.cookies.get("dataskydd_subject_session")
    page = anonymous.get("/mina-sidor/uppgifter")
    anonymous.post("/mina-sidor/logga-ut", data={"csrf_token": csrf_of(page.text)})
    replay = TestClient(anonymous.app, base_url="https://testserver")
    replay.cookies.set("dataskydd_subject_session", token or "", path="/mina-sidor")
    assert replay.get("/mina-sidor/uppgifter", follow_redirects=False).status_code == 303


def test_correct_contact_details_keeps_history(anonymous: TestClient, session: Session) -> None:
    subject_id = make_person(session)
    sign_in(anonymous, session)
    page = anonymous.get("/mina-sidor/kontaktuppgifter")
    form = {
        "csrf_token": csrf_of(page.text),
        "email": EMAIL,
        "phone": "070-123 45 67",
        "street": "Nygatan 5",
        "postal_code": "11122",
        "city": "Stockholm",
    }
    assert anonymous.post("/mina-sidor/kontaktuppgifter", data=form).status_code == 200
    rows = session.scalars(select(Rectification).where(Rectification.subject_id == subject_id))
    assert any(row.field == "street" for row in rows)
    bad = anonymous.post("/mina-sidor/kontaktuppgifter", data={**form, "email": "not-mail"})
    assert bad.status_code == 422
    # The reason in the page's language (issue 15 item 2), tied to its field.
    phone = anonymous.post("/mina-sidor/kontaktuppgifter", data={**form, "phone": "070-12"})
    assert phone.status_code == 422
    assert "is not a valid phone number" not in phone.text
    assert 'aria-describedby="e-phone"' in phone.text
    emails = session.scalars(
        select(ContactPoint.value).where(ContactPoint.subject_id == subject_id)
    )
    assert EMAIL in list(emails)


def test_forged_form_is_refused(anonymous: TestClient, session: Session) -> None:
    make_person(session)
    sign_in(anonymous, session)
    answer = anonymous.post(
        "/mina-sidor/samtycken",
        data={
            "csrf_token": "forged",
            "what": "objection",
            "key": OBJECTABLE_INTEREST,
            "give": "true",
        },
    )
    assert answer.status_code == 403


def test_consent_is_as_easy_to_withdraw_as_to_give(anonymous: TestClient, session: Session) -> None:
    subject_id = make_person(session)
    session.execute(
        insert(Base.metadata.tables["newsletter_subscription"]).values(
            subject_id=subject_id,
            list_code="nyheter",
            subscribed_at=utc_now(),
            consent_text_version="v1",
        )
    )
    activity = session.execute(
        insert(Base.metadata.tables["activity"]).values(
            code="PANEL", kind="panel", title="Kundpanelen", starts_on=today_in_sweden()
        )
    ).inserted_primary_key[0]
    session.commit()
    sign_in(anonymous, session)
    for what, key, give in (
        ("newsletter", "nyheter", "false"),
        ("newsletter", "nyheter", "true"),
        ("activity", str(activity), "true"),
        ("activity", str(activity), "false"),
        ("objection", OBJECTABLE_INTEREST, "true"),
    ):
        page = anonymous.get("/mina-sidor/samtycken")
        answer = anonymous.post(
            "/mina-sidor/samtycken",
            data={"csrf_token": csrf_of(page.text), "what": what, "key": key, "give": give},
        )
        assert answer.status_code == 200, answer.text
    subs = list(
        session.scalars(
            select(NewsletterSubscription).where(NewsletterSubscription.subject_id == subject_id)
        )
    )
    assert len(subs) == 2
    assert sum(s.unsubscribed_at is None for s in subs) == 1
    objection = session.scalars(select(Objection).where(Objection.subject_id == subject_id)).one()
    assert objection.purpose == OBJECTABLE_INTEREST
    # Each toggle is recorded as the consent the access decision reads (art. 7).
    recorded = {
        (row.purpose, row.via): row.withdrawn_at is None
        for row in session.scalars(
            select(SubjectConsent).where(SubjectConsent.subject_id == subject_id)
        )
    }
    assert recorded == {
        (NEWSLETTERS, "newsletter:nyheter"): True,
        (ACTIVITIES, f"activity:{activity}"): False,
    }
    page = anonymous.get("/mina-sidor/samtycken")
    refused = anonymous.post(
        "/mina-sidor/samtycken",
        data={
            "csrf_token": csrf_of(page.text),
            "what": "objection",
            "key": BOOKKEEPING,
            "give": "true",
        },
    )
    assert refused.status_code == 422


def test_newsletters_by_name_and_every_button_says_what_it_is_for(
    anonymous: TestClient, session: Session, policy: Policy
) -> None:
    """Issue 15 item 4: the policy's names for newsletters, not codes; buttons that a screen
    reader tells apart."""
    make_person(session)
    session.execute(
        insert(Base.metadata.tables["newsletter_subscription"]).values(
            subject_id=make_person(session, email="annan@example.se", given="Annan"),
            list_code="ej-i-policyn",
            subscribed_at=utc_now(),
            consent_text_version="v1",
        )
    )
    session.commit()
    sign_in(anonymous, session)
    page = anonymous.get("/mina-sidor/samtycken").text
    table = page.split('id="newsletters"', 1)[1].split("</table>", 1)[0]
    for declared in policy.newsletter_lists.values():
        assert declared.title.sv in table
    assert "ej-i-policyn" in table  # a list the policy does not name shows its code
    labels = re.findall(r'<span class="visually-hidden">: ([^<]+)</span>', page)
    assert len(labels) == len(set(labels))
    assert len(labels) == len(policy.newsletter_lists) + 1 + len(
        [p for p in policy.purposes.values() if p.objectable]
    )


def test_a_consent_for_an_ended_activity_can_still_be_withdrawn(
    anonymous: TestClient, session: Session
) -> None:
    subject_id = make_person(session)
    today = today_in_sweden()
    activity = session.execute(
        insert(Base.metadata.tables["activity"]).values(
            code="ENKAT",
            kind="survey",
            title="Enkäten i våras",
            starts_on=today - timedelta(days=90),
            ends_on=today - timedelta(days=30),
        )
    ).inserted_primary_key[0]
    session.execute(
        insert(Base.metadata.tables["participation"]).values(
            subject_id=subject_id, activity_id=activity, consented_at=utc_now()
        )
    )
    session.commit()
    sign_in(anonymous, session)
    page = anonymous.get("/mina-sidor/samtycken")
    assert "Enkäten i våras" in page.text
    data = {"csrf_token": csrf_of(page.text), "what": "activity", "key": str(activity)}
    # Taking part again is refused (the activity has ended); withdrawing is not.
    assert anonymous.post("/mina-sidor/samtycken", data=data | {"give": "true"}).status_code == 404
    assert anonymous.post("/mina-sidor/samtycken", data=data | {"give": "false"}).status_code == 200
    part = session.execute(
        select(Base.metadata.tables["participation"].c.withdrawn_at).where(
            Base.metadata.tables["participation"].c.activity_id == activity
        )
    ).scalar_one()
    assert part is not None
    assert "Enkäten i våras" not in anonymous.get("/mina-sidor/samtycken").text


def test_a_completed_request_is_told_in_the_subjects_language(
    anonymous: TestClient, session: Session, policy: Policy
) -> None:
    """Issue 15 item 2: Mina sidor says what came of a request in words, not the handler's
    evidence ("Registerutdrag: 156 rows in 16 tables ...")."""
    subject_id = make_person(session)
    handler = staff_context(policy=policy, username="dpo", role=DPO, user_id=1)
    access = open_by_letter_as(session, policy, handler, subject_id, RequestKind.ACCESS)
    request_outcomes.complete_request(
        session, handler, policy=policy, request_id=access, link_base="https://x.example"
    )
    refused = open_by_letter_as(session, policy, handler, subject_id, RequestKind.RECTIFICATION)
    request_outcomes.refuse_request(
        session, handler, policy=policy, request_id=refused, reason="Uppgiften stämmer redan."
    )
    session.commit()
    sign_in(anonymous, session)
    table = anonymous.get("/mina-sidor/begaran").text.split('id="my-requests"', 1)[1]
    assert "Ditt registerutdrag är klart" in table
    assert "rows in" not in table
    assert "Avslagen: Uppgiften stämmer redan." in table
    assert "Refused" not in table


def open_by_letter_as(
    session: Session, policy: Policy, handler: AccessContext, subject_id: int, kind: RequestKind
) -> int:
    return request_service.register_request(
        session,
        handler,
        policy=policy,
        subject_id=subject_id,
        kind=kind,
        channel=RequestChannel.LETTER,
        identity_check="ID-kort",
    ).id


def test_erasure_request_goes_to_the_queue_once(anonymous: TestClient, session: Session) -> None:
    subject_id = make_person(session)
    sign_in(anonymous, session)
    for expected in (200, 409):
        page = anonymous.get("/mina-sidor/begaran")
        answer = anonymous.post(
            "/mina-sidor/begaran", data={"csrf_token": csrf_of(page.text), "kind": "erasure"}
        )
        assert answer.status_code == expected
    request = session.scalars(
        select(SubjectRequest).where(SubjectRequest.subject_id == subject_id)
    ).one()
    assert request.kind is RequestKind.ERASURE
    page = anonymous.get("/mina-sidor/begaran")
    assert (
        anonymous.post(
            "/mina-sidor/begaran", data={"csrf_token": csrf_of(page.text), "kind": "access"}
        ).status_code
        == 422
    )


def test_portable_export(anonymous: TestClient, session: Session) -> None:
    make_person(session)
    sign_in(anonymous, session)
    export = anonymous.get("/mina-sidor/dataportabilitet.json")
    assert export.status_code == 200
    body = export.json()
    assert body["schema"] == "dataskydd-dataportabilitet/1"
    keys = {c["key"] for c in body["categories"]}
    assert CONTACT in keys
    assert USAGE not in keys
    assert re.search("Storgatan", export.text)
