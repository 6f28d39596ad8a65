"""The breach register's pages: the DPO records a breach, sees its countdown on the start page,
downloads the draft to IMY, records decisions and tells the subjects; bad input is a 422
naming the field with nothing saved; customer service sees none of it."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.breaches.models import Breach, ImyDecision
from dataskydd.clock import utc_now
from dataskydd.datamap.entries import contact_category
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from tests import factories as f
from tests.breaches.conftest import local, role_key
from tests.web.conftest import ClientFor, csrf_of


def _form(policy: Policy, client: TestClient, **change: Any) -> dict[str, Any]:
    page = client.get("/breaches")
    assert page.status_code == 200
    aware = utc_now() - timedelta(hours=3)
    form: dict[str, Any] = {
        "csrf_token": csrf_of(page.text),
        "title": "Stulen bärbar dator",
        "aware_at": local(aware),
        "occurred_at": local(aware - timedelta(hours=5)),
        "nature": ["confidentiality"],
        "description": "En bärbar dator med en kundlista stals ur en bil.",
        "categories": [contact_category()],
        "subject_kinds": [next(iter(policy.subject_kinds))],
        "subjects_approx": "40",
        "records_approx": "80",
        "consequences": "Risk för nätfiske.",
        "measures_taken": "Datorn är spärrad och fjärrraderad.",
        "measures_planned": "Hårddiskkryptering på alla datorer.",
    }
    return form | change


def _record(policy: Policy, client: TestClient) -> int:
    response = client.post("/breaches", data=_form(policy, client), follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_the_dpo_records_a_breach_and_sees_the_countdown(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    dpo = client_for(role_key(policy, manages=True))
    breach_id = _record(policy, dpo)
    detail = dpo.get(f"/breaches/{breach_id}")
    assert detail.status_code == 200
    assert "Stulen bärbar dator" in detail.text
    assert "min kvar" in detail.text
    start = dpo.get("/start")
    assert "Personuppgiftsincidenter" in start.text
    assert f'href="/breaches/{breach_id}"' in start.text
    assert "68 h" in start.text or "69 h" in start.text  # 72 h less the 3 h since awareness
    assert 'href="/breaches">Incidenter</a>' in start.text
    english = dpo.get("/start?lang=en")
    assert "min left" in english.text


def test_bad_input_is_a_422_naming_the_field_and_nothing_is_saved(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    dpo = client_for(role_key(policy, manages=True))
    for change, field in (
        ({"aware_at": "2026-02-30 10:00"}, "aware_at"),
        ({"aware_at": local(utc_now() + timedelta(days=1))}, "aware_at"),
        ({"categories": ["no_such_category"]}, "categories"),
        ({"nature": []}, "nature"),
    ):
        response = dpo.post("/breaches", data=_form(policy, dpo, **change))
        assert response.status_code == 422, (change, response.status_code)
        assert field in response.text
        assert "Stulen bärbar dator" in response.text  # the form keeps what was typed
    response = dpo.post("/breaches", data=_form(policy, dpo, subjects_approx="many"))
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(Breach)) == 0


def test_draft_decision_and_telling_the_subjects(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    emails = [f.EmailFactory().value for _ in range(2)]
    session.commit()
    dpo = client_for(role_key(policy, manages=True))
    breach_id = _record(policy, dpo)
    pdf = dpo.get(f"/breaches/{breach_id}/imy.pdf?language=sv")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Sannolika konsekvenser" in " ".join(text.split())
    draft = dpo.get(f"/breaches/{breach_id}/imy.json?language=en").json()
    assert draft["art_33_3_c_likely_consequences"] == "Risk för nätfiske."
    assert dpo.get(f"/breaches/{breach_id}/imy.txt").status_code in (404, 422)
    page = dpo.get(f"/breaches/{breach_id}")
    token = csrf_of(page.text)
    refused = dpo.post(
        f"/breaches/{breach_id}/imy-not-notify", data={"csrf_token": token, "reason": ""}
    )
    assert refused.status_code == 422
    decided = dpo.post(
        f"/breaches/{breach_id}/imy-not-notify",
        data={"csrf_token": token, "reason": "Datorn var krypterad; ingen risk."},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    breach = session.get(Breach, breach_id)
    assert breach is not None
    session.refresh(breach)
    assert breach.imy_decision is ImyDecision.NOT_NOTIFIED
    preview = dpo.get(f"/breaches/{breach_id}", params={"category": [contact_category()]})
    assert "2 registrerade har sådana uppgifter" in preview.text
    assert "Registrera beslutet att informera" in preview.text
    dpo.post(
        f"/breaches/{breach_id}/subjects-decision",
        data={"csrf_token": token, "decision": "notify", "reason": "Hög risk."},
    )
    sent = dpo.post(
        f"/breaches/{breach_id}/notify-subjects",
        data={"csrf_token": token, "categories": [contact_category()]},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    dpo.post(
        f"/breaches/{breach_id}/notify-subjects",
        data={"csrf_token": token, "categories": [contact_category()]},
    )
    outbox = session.scalars(select(OutboxMail.to_address)).all()
    assert sorted(outbox) == sorted(emails)  # once each, however often sent
    history = dpo.get(f"/breaches/{breach_id}")
    assert 'id="subjects-told">2<' in history.text


def test_customer_service_sees_none_of_it(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    dpo = client_for(role_key(policy, manages=True))
    breach_id = _record(policy, dpo)
    agent = client_for(role_key(policy, manages=False))
    assert agent.get("/breaches").status_code == 403
    assert agent.get(f"/breaches/{breach_id}").status_code == 403
    assert agent.get(f"/breaches/{breach_id}/imy.json").status_code == 403
    start = agent.get("/start")
    assert start.status_code == 200
    assert "/breaches" not in start.text
    assert "Personuppgiftsincidenter" not in start.text
    token = csrf_of(start.text)
    posted = agent.post(
        f"/breaches/{breach_id}/imy-not-notify", data={"csrf_token": token, "reason": "Ingen risk"}
    )
    assert posted.status_code == 403
