"""`dataskydd requests list|remind` and `dataskydd outbox`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dataskydd.cli import _context
from dataskydd.clock import utc_now
from dataskydd.register import service as register_service
from dataskydd.subject_requests import requests as request_service
from dataskydd.subject_requests.models import RequestChannel, RequestKind
from tests.cli.conftest import Run
from tests.policy_keys import COMPANY

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


@pytest.fixture
def cli(initialised: object, run: Run) -> Run:
    return run


def _request(days_ago: int) -> int:
    with _context.cli_transaction() as session:
        subject = register_service.create_subject(
            session,
            actor="test",
            data={"given_name": "Ada", "family_name": "Berg", "emails": ["ada@example.se"]},
        )
        created = request_service.open_request(
            session,
            actor="test",
            policy=_context.current_policy(),
            subject_id=subject.id,
            kind=RequestKind.ACCESS,
            channel=RequestChannel.LETTER,
            identity_check="ID card",
            received_at=utc_now() - timedelta(days=days_ago),
        )
        return created.id


def test_list_marks_overdue(cli: Run) -> None:
    old = _request(40)
    result = cli("requests", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["id"] == old
    assert rows[0]["overdue"] is True
    assert "OVERDUE" in cli("requests", "list").output


def test_remind_once_then_outbox_shows_it(cli: Run) -> None:
    _request(28)
    first = cli("requests", "remind")
    assert "Reminded of 1 request" in first.output
    assert "Reminded of 0 request" in cli("requests", "remind").output
    shown = cli("outbox")
    assert COMPANY.dpo is not None
    assert COMPANY.dpo.email in shown.output  # the reminder goes to the DPO
    sent = cli("outbox", "--send")
    assert "mail stays in the outbox" in sent.output
