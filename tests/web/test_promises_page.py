"""The DPO's page of promises: the same report as `dataskydd promises`, for audit readers."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Policy
from dataskydd.promises.service import AUDIT_ACTION
from tests.web.conftest import ClientFor


@pytest.fixture
def policy() -> Policy:
    """The bundled policy with two agreements' reviews overdue, so promises are broken (the
    bundled reviews themselves are current)."""
    bundled = load_bundled_policy()
    return bundled.model_copy(
        update={
            "recipients": tuple(
                r.model_copy(update={"review_date": date(2025, 11, 15)})
                if r.key in ("hosting", "newsletter_service")
                else r
                for r in bundled.recipients
            )
        }
    )


def test_dpo_sees_every_promise_with_the_broken_first(
    client_for: ClientFor, session: Session
) -> None:
    dpo = client_for("dpo")
    page = dpo.get("/promises")
    assert page.status_code == 200
    body = page.text
    assert "<h1>Löften</h1>" in body
    # Two agreements' reviews are overdue (the clock is past them).
    assert "löften är brutna" in body
    assert body.index("Brutna (") < body.index("Inte kontrollerade än (") < body.index("Hålls (")
    assert 'id="promise-recipient.hosting"' in body
    assert "<code>recipient:hosting</code>" in body
    assert "Varje läsning av personuppgifter loggas" in body
    assert "rader kvar efter sin gallringsregel: 0" in body
    assert 'href="/promises"' in body


def test_in_english(client_for: ClientFor) -> None:
    page = client_for("dpo").get("/promises", params={"lang": "en"})
    assert page.status_code == 200
    assert "<h1>Promises</h1>" in page.text
    assert "promises are broken." in page.text
    assert "rows kept past their retention rule: 0" in page.text


def test_reading_the_page_is_audited(client_for: ClientFor, session: Session) -> None:
    client_for("dpo", username="dora").get("/promises")
    [entry] = audit_service.list_entries(session, action=AUDIT_ACTION, limit=1)
    assert entry.actor == "staff:dora"
    assert "recipient.hosting" in entry.detail["broken"]


def test_customer_service_and_analysts_may_not(client_for: ClientFor) -> None:
    for role in ("customer_service", "analyst"):
        client: TestClient = client_for(role)
        assert client.get("/promises").status_code == 403
        assert 'href="/promises"' not in client.get("/account").text
