"""Mail goes out through a real SMTP server (aiosmtpd on localhost), or stays in the outbox."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from dataskydd.errors import ConfigurationError
from dataskydd.mail import service


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def test_sends_queued_mail_once(session: Session, smtp_server: tuple[str, _Collect]) -> None:
    url, received = smtp_server
    service.queue_mail(session, to="anna@example.se", subject_line="Din kod", body="123456")
    assert service.send_pending(session, smtp_url=url, sender="dpo@omilon.example") == 1
    assert service.send_pending(session, smtp_url=url, sender="dpo@omilon.example") == 0
    (message,) = received.messages
    assert message["To"] == "anna@example.se"
    assert message["Subject"] == "Din kod"
    assert "123456" in message.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_without_smtp_mail_stays_in_the_outbox(session: Session) -> None:
    service.queue_mail(session, to="anna@example.se", subject_line="Hej", body="Text")
    assert service.send_pending(session, smtp_url=None, sender="x@example.se") == 0
    (mail,) = service.list_outbox(session)
    assert mail.sent_at is None


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_bad_smtp_url_is_a_clear_configuration_error(session: Session, url: str) -> None:
    service.queue_mail(session, to="anna@example.se", subject_line="Hej", body="Text")
    with pytest.raises(ConfigurationError, match="DATASKYDD_SMTP_URL"):
        service.send_pending(session, smtp_url=url, sender="x@example.se")
