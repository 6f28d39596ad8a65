"""Links in mail sent by commands start with DATASKYDD_PUBLIC_BASE_URL (docs/scaling.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dataskydd.cli import _context
from dataskydd.clock import utc_now
from dataskydd.config import get_settings
from dataskydd.mail.models import OutboxMail
from dataskydd.register import service as register_service
from dataskydd.subject_requests import requests as request_service
from dataskydd.subject_requests.models import RequestChannel, RequestKind
from tests.cli.conftest import Run


def _request_due_soon() -> None:
    with _context.cli_transaction() as session:
        subject = register_service.create_subject(
            session,
            actor="test",
            data={"given_name": "Ada", "family_name": "Berg", "emails": ["ada@example.se"]},
        )
        request_service.open_request(
            session,
            actor="test",
            policy=_context.current_policy(),
            subject_id=subject.id,
            kind=RequestKind.ACCESS,
            channel=RequestChannel.LETTER,
            identity_check="ID card",
            received_at=utc_now() - timedelta(days=28),
        )


def _last_body() -> str:
    with _context.cli_transaction() as session:
        body = session.scalars(select(OutboxMail.body).order_by(OutboxMail.id.desc())).first()
    assert body is not None
    return body


def test_the_reminder_links_to_the_queue_at_the_public_address(
    initialised: object, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATASKYDD_PUBLIC_BASE_URL", "https://dataskydd.example.se/")
    get_settings.cache_clear()
    _request_due_soon()
    assert run("requests", "remind").exit_code == 0
    assert _last_body().endswith("\n\nhttps://dataskydd.example.se/requests")
