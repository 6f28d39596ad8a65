"""The DPO's page of promises: the same report as `dataskydd promises`, for audit readers."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth import api_keys
from dataskydd.policy.schema import Policy
from dataskydd.promises.service import AUDIT_ACTION
from tests.policy_keys import (
    ANALYST,
    COMPANY,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    RIGHTS,
)
from tests.web.conftest import ClientFor, csrf_of

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

# Two agreements of the company under test whose reviews the fixture puts in the past.
OVERDUE = tuple(r.key for r in COMPANY.recipients if r.review_date is not None)[:2]


@pytest.fixture
def policy(policy: Policy) -> Policy:
    """The company's policy with two agreements' reviews overdue, so promises are broken (the
    policy's own reviews are current)."""
    return policy.model_copy(
        update={
            "recipients": tuple(
                r.model_copy(update={"review_date": date(2025, 11, 15)}) if r.key in OVERDUE else r
                for r in policy.recipients
            )
        }
    )


def test_dpo_sees_every_promise_with_the_broken_first(
    client_for: ClientFor, session: Session
) -> None:
    dpo = client_for(DPO)
    page = dpo.get("/promises")
    assert page.status_code == 200
    body = page.text
    assert "<h1>Löften</h1>" in body
    # Two agreements' reviews are overdue (the clock is past them).
    assert "löften är brutna" in body
    assert body.index("Brutna (") < body.index("Hålls (")
    if "Inte kontrollerade än (" in body:
        assert (
            body.index("Brutna (") < body.index("Inte kontrollerade än (") < body.index("Hålls (")
        )
    # No agreement is recorded in this register: the processors' agreements are broken too.
    assert 'id="promise-agreement.' in body
    assert f'id="promise-recipient.{OVERDUE[0]}"' in body
    assert f"<code>recipient:{OVERDUE[0]}</code>" in body
    assert "Varje läsning av personuppgifter loggas" in body
    assert "rader kvar efter sin gallringsregel: 0" in body
    assert 'href="/promises"' in body


def test_in_english(client_for: ClientFor) -> None:
    page = client_for(DPO).get("/promises", params={"lang": "en"})
    assert page.status_code == 200
    assert "<h1>Promises</h1>" in page.text
    assert "promises are broken." in page.text
    assert "rows kept past their retention rule: 0" in page.text


def test_reading_the_page_is_audited(client_for: ClientFor, session: Session) -> None:
    client_for(DPO, username="dora").get("/promises")
    [entry] = audit_service.list_entries(session, action=AUDIT_ACTION, limit=1)
    assert entry.actor == "staff:dora"
    assert f"recipient.{OVERDUE[0]}" in entry.detail["broken"]


def test_customer_service_and_analysts_may_not(client_for: ClientFor) -> None:
    for role in (CUSTOMER_SERVICE, ANALYST):
        client: TestClient = client_for(role)
        assert client.get("/promises").status_code == 403
        assert 'href="/promises"' not in client.get("/account").text


def _promise_section(body: str, key: str) -> str:
    start = body.index(f'id="promise-{key}"')
    return body[start : body.index("</section>", start)]


def test_creating_a_subject_and_listing_requests_are_no_aggregate_reads(
    client_for: ClientFor, anonymous: TestClient, session: Session
) -> None:
    """Both are allowed decisions that name no subject in `subject_id` (the subject does not
    exist yet; the queue's decision lists its subjects in the detail): the k-anonymity
    promise, which counts aggregate reads, must not take them for statistics."""
    _row, key = api_keys.create_api_key(
        session,
        actor="test",
        policy=COMPANY,
        name="crm",
        purposes=[CONTRACT_PURPOSE],
        can_write=True,
    )
    session.commit()
    created = anonymous.post(
        "/api/v1/subjects",
        json={"kind": "person", "given_name": "Nya", "family_name": "Kunden"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert created.status_code == 201, created.text
    dpo = client_for(DPO)
    form = dpo.get("/requests/new")
    registered = dpo.post(
        "/requests/new",
        data={
            "subject_id": created.json()["id"],
            "kind": "access",
            "channel": "letter",
            "identity_check": "Legitimation visad",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert registered.status_code == 200, registered.text
    assert "Nya Kunden" in dpo.get("/requests").text
    subjectless = [
        e
        for e in audit_service.list_entries(session, limit=50)
        if e.subject_id is None and e.purpose and e.detail.get("decision") == "allow"
    ]
    assert {e.purpose for e in subjectless} >= {CONTRACT_PURPOSE, RIGHTS}
    page = dpo.get("/promises", params={"lang": "en"})
    assert page.status_code == 200
    section = _promise_section(page.text, "k_anonymity")
    assert 'class="ok"' in section, section
    assert "aggregate reads: 0, of which under a purpose that is not aggregates-only" in section
