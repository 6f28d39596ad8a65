"""The register of recipients' agreements (/recipients): statuses, a recipient's history and
findings, recording an agreement with its PDF through the CSRF-checked form, the document's
download with safe headers, refusals naming the field with nothing saved, bodies bounded
before they are read; only `recipients.manage` (DPO, admin) gets in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth import sessions
from dataskydd.auth.access import Permission
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.policy.schema import Policy
from dataskydd.recipients.models import RecipientAgreement, RecipientDocument
from dataskydd.web.app import create_app
from dataskydd.web.body_limits import PAGE_BODY_LIMIT
from dataskydd.web.deps import SESSION_COOKIE, get_session
from tests.conftest import TEST_SECRET
from tests.recipients.conftest import pdf_bytes, processor
from tests.web.conftest import BASE_URL, ClientFor, csrf_of, make_staff

TODAY = dt.date.today()  # the pages read the clock; dates are relative to it
SIGNED = (TODAY - dt.timedelta(days=10)).isoformat()
REVIEW = (TODAY + dt.timedelta(days=365)).isoformat()
SMALL_LIMIT = 4096
NO_FILE = b"no file"  # sentinel: the form's file field left out


def _role(policy: Policy, *, manages: bool) -> str:
    return next(
        key
        for key, role in policy.roles.items()
        if (Permission.RECIPIENTS_MANAGE in role.permissions) is manages
        and Permission.OWN_ACCOUNT in role.permissions
    )


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _form(key: str, policy: Policy, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "signed_on": SIGNED,
        "review_on": REVIEW,
        "categories": list(processor(policy).categories),
        "country": processor(policy).country,
        "transfer_mechanism": "none",
    }
    data.update(changes)
    return data


def _post(
    client: TestClient,
    key: str,
    data: dict[str, object],
    content: bytes | None,
    name: str = "Avtal.pdf",
) -> httpx.Response:
    page = client.get(f"/recipients/{key}")
    files = {"document": (name, content, "application/pdf")} if content is not None else None
    answer: httpx.Response = client.post(
        f"/recipients/{key}/agreements",
        data={**data, "csrf_token": csrf_of(page.text)},
        files=files,
        follow_redirects=False,
    )
    return answer


@pytest.fixture
def dpo(client_for: ClientFor, policy: Policy) -> TestClient:
    return client_for(_role(policy, manages=True))


def test_the_dpo_sees_every_recipient_with_its_status(dpo: TestClient, policy: Policy) -> None:
    page = dpo.get("/recipients")
    assert page.status_code == 200
    for recipient in policy.recipients:
        assert f'id="recipient-{recipient.key}"' in page.text
    key = processor(policy).key
    assert f'id="recipient-{key}" data-status="no_agreement"' in page.text
    assert "Inget avtal registrerat" in page.text
    assert '<a href="/recipients">Mottagare</a>' in dpo.get("/start").text
    detail = dpo.get(f"/recipients/{key}?lang=en")
    assert detail.status_code == 200
    assert 'data-code="agreement_not_stored"' in detail.text
    assert 'enctype="multipart/form-data"' in detail.text


def test_an_agreement_is_recorded_with_its_pdf_and_downloaded_safely(
    dpo: TestClient, policy: Policy, session: Session
) -> None:
    key = processor(policy).key
    content = pdf_bytes("Biträdesavtal")
    answer = _post(dpo, key, _form(key, policy), content, name="../Avtal <2026>.pdf")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/recipients/{key}"
    [agreement] = session.scalars(select(RecipientAgreement)).all()
    agreement_id = agreement.id
    assert agreement.review_on.isoformat() == REVIEW
    assert agreement.recorded_by.startswith("staff:")

    page = dpo.get("/recipients")
    assert f'id="recipient-{key}" data-status="ok"' in page.text
    detail = dpo.get(f"/recipients/{key}")
    link = f"/recipients/{key}/agreements/{agreement_id}/document"
    assert link in detail.text
    assert "Avtal _2026.pdf" in detail.text

    download = dpo.get(link)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="Avtal _2026.pdf"'
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "no-store"
    actions = list(session.scalars(select(AuditEntry.action)))
    assert "recipient.document.upload" in actions
    assert "recipient.agreement.record" in actions
    assert "recipient.document.download" in actions


@pytest.mark.parametrize(
    ("changes", "content", "needle"),
    [
        ({}, b"<html>not a pdf</html>", "document: är inte en PDF"),
        ({}, b"", "document: är tom"),
        ({}, NO_FILE, "document: ett personuppgiftsbiträdesavtal behöver sitt undertecknade"),
        ({"signed_on": "2026-02-30"}, None, "signed_on: är inte ett datum som finns"),
        ({"review_on": SIGNED}, None, "review_on: måste vara efter datumet då avtalet"),
        ({"categories": ["hobbies"]}, None, "categories: inte kategorier i policyn"),
        ({"transfer_mechanism": "privacy_shield"}, None, "transfer_mechanism:"),
        ({"scc_module": "7"}, None, "scc_module: måste vara 1, 2, 3 eller 4"),
    ],
)
def test_bad_input_is_a_422_page_naming_the_field_and_nothing_is_saved(
    dpo: TestClient,
    policy: Policy,
    session: Session,
    changes: dict[str, str],
    content: bytes | None,
    needle: str,
) -> None:
    key = processor(policy).key
    document = pdf_bytes() if content is None else None if content is NO_FILE else content
    answer = _post(dpo, key, _form(key, policy, **changes), document)
    assert answer.status_code == 422
    assert needle in answer.text
    assert _count(session, RecipientAgreement) == 0
    assert _count(session, RecipientDocument) == 0


def test_a_form_without_its_csrf_token_is_refused(
    dpo: TestClient, policy: Policy, session: Session
) -> None:
    key = processor(policy).key
    answer = dpo.post(
        f"/recipients/{key}/agreements",
        data=_form(key, policy),
        files={"document": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert answer.status_code == 403
    assert _count(session, RecipientAgreement) == 0


@pytest.fixture
def small_app(
    engine: Engine, session: Session, policy: Policy, data_map_dir: Path | None
) -> Iterator[FastAPI]:
    """The app with a small document limit, to send documents past it cheaply."""
    settings = Settings(
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        public_base_url=BASE_URL,
        data_map=data_map_dir,
        recipient_document_max_bytes=SMALL_LIMIT,
    )
    application = create_app(settings, policy=policy, engine=engine)

    def test_session() -> Iterator[Session]:
        with transaction(lambda: session) as db_session:  # type: ignore[arg-type]
            yield db_session

    application.dependency_overrides[get_session] = test_session
    yield application
    application.dependency_overrides.clear()


def test_documents_past_the_limit_are_refused_before_and_after_parsing(
    small_app: FastAPI, session: Session, policy: Policy
) -> None:
    user = make_staff(session, _role(policy, manages=True))
    _record, token = sessions.start_session(session, user)
    session.commit()
    client = TestClient(small_app, base_url=BASE_URL)
    client.cookies.set(SESSION_COOKIE, token)
    key = processor(policy).key
    over = b"%PDF-1.7\n" + b"0" * SMALL_LIMIT + b"\n%%EOF\n"
    answer = _post(client, key, _form(key, policy), over)
    assert answer.status_code == 422
    assert f"document: är större än gränsen på {SMALL_LIMIT} byte" in answer.text
    huge = b"%PDF-1.7\n" + b"0" * (SMALL_LIMIT + PAGE_BODY_LIMIT) + b"\n%%EOF\n"
    answer = _post(client, key, _form(key, policy), huge)
    assert answer.status_code == 413
    assert _count(session, RecipientAgreement) == 0
    assert _count(session, RecipientDocument) == 0


def test_the_start_page_counts_the_reviews_due(
    dpo: TestClient, policy: Policy, session: Session
) -> None:
    key = processor(policy).key
    soon = (TODAY + dt.timedelta(days=10)).isoformat()
    before = dpo.get("/start").text
    assert _post(dpo, key, _form(key, policy, review_on=soon), pdf_bytes()).status_code == 303
    after = dpo.get("/start?lang=en").text
    assert 'id="recipient-reviews-due"' in after
    assert "agreement review" in after
    assert before.count("agreement review") == 0 or 'id="recipient-reviews-due"' in before


def test_unknown_and_malformed_keys(dpo: TestClient) -> None:
    assert dpo.get("/recipients/no_such_recipient").status_code == 404
    assert dpo.get("/recipients/Bad-Key").status_code == 422
    assert dpo.get("/recipients/no_such/agreements/1/document").status_code == 404


def test_customer_service_sees_none_of_it(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    other = client_for(_role(policy, manages=False))
    key = processor(policy).key
    assert other.get("/recipients").status_code == 403
    assert other.get(f"/recipients/{key}").status_code == 403
    assert other.get(f"/recipients/{key}/agreements/1/document").status_code == 403
    answer = other.post(
        f"/recipients/{key}/agreements",
        data=_form(key, policy),
        files={"document": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert answer.status_code == 403
    assert 'href="/recipients"' not in other.get("/start").text
    assert _count(session, RecipientAgreement) == 0
