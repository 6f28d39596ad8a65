"""Issue 8's last check, issue 15 item 2: what a request leaves for its subject (the outcome,
the reason of a restriction, the mail that tells them) is in the language they asked in:
Swedish unless they asked in English. Requests are made and completed through the pages; the
registerutdrag's JSON and the outbox are read as the subject gets them."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.auth.access import staff_context
from dataskydd.policy.schema import Lang, Policy
from dataskydd.subject_requests import requests as request_service
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from tests.policy_keys import DPO
from tests.web.conftest import ClientFor, csrf_of
from tests.web.test_access_request_pages import EMAIL, ask, code_in, last_mail, make_person
from tests.web.test_self_service_pages import sign_in

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

ENGLISH = re.compile(
    r"\b(rows?|tables?|Restricted|restricted|Erased|until|case|Objection|Refused|Download|"
    r"found|deleted|Hello|request|answered|Registerutdrag: \d+ row)\b"
)
SWEDISH = re.compile(r"\b(rad|rader|tabeller|ärende|Raderat|begränsad|Hej|till och med|Invänd)")
WORDS = {"sv": ENGLISH, "en": SWEDISH}


def _set_language(client: TestClient, lang: Lang) -> None:
    """The subject's choice on the site: `?lang=` once, remembered in a cookie."""
    client.get(f"/mina-sidor/logga-in?lang={lang}")


def _ask_on_mina_sidor(
    anonymous: TestClient, session: Session, kind: RequestKind, lang: Lang
) -> SubjectRequest:
    _set_language(anonymous, lang)
    sign_in(anonymous, session)
    page = anonymous.get("/mina-sidor/begaran")
    made = anonymous.post(
        "/mina-sidor/begaran", data={"kind": kind.value, "csrf_token": csrf_of(page.text)}
    )
    assert made.status_code == 200, made.text
    return _only_request(session, kind)


def _only_request(session: Session, kind: RequestKind) -> SubjectRequest:
    """Read again after each page: the app's requests end the objects the test held."""
    return session.scalars(select(SubjectRequest).where(SubjectRequest.kind == kind)).one()


def _complete(dpo: TestClient, request_id: int, **chosen: list[str]) -> None:
    page = dpo.get(f"/requests/{request_id}")
    assert page.status_code == 200, page.text
    done = dpo.post(
        f"/requests/{request_id}/complete",
        data={"csrf_token": csrf_of(page.text), "note": "", **chosen},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _extract(session: Session, policy: Policy, subject_id: int, lang: Lang) -> dict[str, Any]:
    buffer = io.StringIO()
    write_extract_json(session, buffer, policy=policy, subject_id=subject_id, lang=lang)
    return json.loads(buffer.getvalue())  # type: ignore[no-any-return]


def _told(
    session: Session, policy: Policy, request: SubjectRequest, lang: Lang, *, erased: bool = False
) -> str:
    """The outcome as the registerutdrag's JSON holds it (the stored one for an erased subject,
    who has no registerutdrag); the outcome mail must hold it too."""
    assert request.subject_id is not None
    outcome = request.outcome or ""
    if not erased:
        document = _extract(session, policy, request.subject_id, lang)
        items = document["processing"]["requests"]["items"]
        (item,) = [i for i in items if i["id"] == request.id]
        assert item["outcome"] == outcome
    assert outcome
    mail = last_mail(session, EMAIL)
    assert outcome in mail.body
    for text in (outcome, mail.subject_line, mail.body):
        wrong = WORDS[lang].findall(text)
        assert not wrong, f"{wrong} in {text!r}"
    return outcome


@pytest.fixture
def dpo(client_for: ClientFor) -> TestClient:
    return client_for(DPO)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_restriction_is_told_in_the_subjects_language(
    anonymous: TestClient, dpo: TestClient, session: Session, policy: Policy, lang: Lang
) -> None:
    subject_id = make_person(session)
    request = _ask_on_mina_sidor(anonymous, session, RequestKind.RESTRICTION, lang)
    assert request.lang == lang
    category = next(iter(policy.categories))
    _complete(dpo, request.id, categories=[category])
    request = _only_request(session, RequestKind.RESTRICTION)
    outcome = _told(session, policy, request, lang)
    # The policy's title in the subject's language, never the key.
    assert policy.categories[category].title.get(lang) in outcome
    assert category not in outcome.split(": ", 1)[1].split(", ")
    document = _extract(session, policy, subject_id, lang)
    (restriction,) = document["processing"]["restrictions"]["items"]
    reason = restriction["reason"]
    assert f"{'ärende' if lang == 'sv' else 'case'} {request.id}" in reason
    assert not WORDS[lang].findall(reason), reason


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_erasure_is_told_in_the_subjects_language(
    anonymous: TestClient, dpo: TestClient, session: Session, policy: Policy, lang: Lang
) -> None:
    make_person(session)
    request = _ask_on_mina_sidor(anonymous, session, RequestKind.ERASURE, lang)
    _complete(dpo, request.id)
    request = _only_request(session, RequestKind.ERASURE)
    outcome = _told(session, policy, request, lang, erased=True)
    assert outcome.startswith("Raderat: " if lang == "sv" else "Erased: ")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_objection_is_told_in_the_subjects_language(
    dpo: TestClient, session: Session, policy: Policy, lang: Lang
) -> None:
    """An objection by letter, registered by staff with the language the subject wrote in."""
    subject_id = make_person(session)
    handler = staff_context(policy=policy, username="dpo", role=DPO, user_id=1)
    request = request_service.register_request(
        session,
        handler,
        policy=policy,
        subject_id=subject_id,
        kind=RequestKind.OBJECTION,
        channel=RequestChannel.LETTER,
        identity_check="Brev med underskrift",
        lang=lang,
    )
    session.commit()
    purpose = next(key for key, p in policy.purposes.items() if p.objectable)
    _complete(dpo, request.id, purposes=[purpose])
    request = _only_request(session, RequestKind.OBJECTION)
    outcome = _told(session, policy, request, lang)
    assert policy.purposes[purpose].title.get(lang) in outcome


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_access_is_told_in_the_subjects_language(
    anonymous: TestClient, dpo: TestClient, session: Session, policy: Policy, lang: Lang
) -> None:
    """Asked on the public page in `lang`; the ready mail and the outcome follow it."""
    make_person(session)
    ask(anonymous, EMAIL, lang=lang)
    page = anonymous.get("/registerutdrag/kod")
    confirmed = anonymous.post(
        "/registerutdrag/kod",
        data={"code": code_in(last_mail(session, EMAIL)), "csrf_token": csrf_of(page.text)},
    )
    assert confirmed.status_code == 200, confirmed.text
    request = _only_request(session, RequestKind.ACCESS)
    assert request.lang == lang
    received = last_mail(session, EMAIL)
    assert not WORDS[lang].findall(received.body), received.body
    _complete(dpo, request.id)
    request = _only_request(session, RequestKind.ACCESS)
    assert request.status is RequestStatus.COMPLETED
    outcome = request.outcome or ""
    assert outcome.startswith("Registerutdrag: ")
    assert not WORDS[lang].findall(outcome), outcome
    ready = last_mail(session, EMAIL)
    assert "/registerutdrag/hamta/" in ready.body
    assert not WORDS[lang].findall(ready.subject_line + ready.body), ready.body


def test_a_refusal_is_told_in_the_subjects_language(
    anonymous: TestClient, dpo: TestClient, session: Session, policy: Policy
) -> None:
    make_person(session)
    number = _ask_on_mina_sidor(anonymous, session, RequestKind.RECTIFICATION, "en").id
    page = dpo.get(f"/requests/{number}")
    refused = dpo.post(
        f"/requests/{number}/refuse",
        data={"csrf_token": csrf_of(page.text), "reason": "The data is already right."},
        follow_redirects=False,
    )
    assert refused.status_code == 303, refused.text
    request = _only_request(session, RequestKind.RECTIFICATION)
    assert request.outcome == "Refused: The data is already right."
    mail = last_mail(session, EMAIL)
    assert "Your request for rectification" in mail.body
    assert not SWEDISH.findall(mail.subject_line + mail.body), mail.body
    # Mina sidor shows it as stored, not with the prefix twice.
    table = anonymous.get("/mina-sidor/begaran").text.split('id="my-requests"', 1)[1]
    assert table.count("Refused:") == 1
