"""Registerutdrag end to end in headless Chromium against a real `dataskydd serve` that mails
through a real SMTP server (aiosmtpd on localhost): the subject asks on the public page, types
the code that arrived by mail, the DPO completes the request, and the subject downloads the
PDF after a fresh code; the PDF's text is checked."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from tests.browser.conftest import Server, new_page, running_server
from tests.browser.test_staff_flows import path_of, sign_in
from tests.mail.test_service import _Collect, free_port


@pytest.fixture(scope="module")
def mailbox_at() -> Iterator[tuple[_Collect, int]]:
    handler, port = _Collect(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def mailbox(mailbox_at: tuple[_Collect, int]) -> _Collect:
    return mailbox_at[0]


@pytest.fixture(scope="module")
def mailing_server(
    browser: Any, mailbox_at: tuple[_Collect, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    smtp_url = f"smtp://127.0.0.1:{mailbox_at[1]}"
    with running_server(tmp_path_factory, smtp_url=smtp_url) as running:
        yield running


def next_mail(mailbox: _Collect, seen: int, to: str, timeout: float = 15) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.messages[seen:]:
            if message["To"] == to:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no mail to the subject within {timeout} s")


def text_of(message: Message) -> str:
    return message.get_payload(decode=True).decode()  # type: ignore[union-attr]


def code_from(message: Message) -> str:
    found = re.search(r"\b(\d{8})\b", text_of(message))
    assert found, "the mail holds no code"
    return found.group(1)


def test_request_code_complete_download(
    browser: Any, mailing_server: Server, mailbox: _Collect
) -> None:
    customer = mailing_server.customer
    with new_page(browser, mailing_server) as page:
        page.goto("/registerutdrag")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Begär registerutdrag")
        seen = len(mailbox.messages)
        page.get_by_label("E-postadress eller telefonnummer").fill(customer.email.upper())
        page.get_by_role("button", name="Skicka kod").click()
        page.wait_for_url("**/registerutdrag/kod")
        code = code_from(next_mail(mailbox, seen, customer.email))
        page.get_by_label("Kod").fill(code)
        page.get_by_role("button", name="Bekräfta begäran").click()
        received = page.locator("#request-received").inner_text()
        number = re.search(r"ärende (\d+)", received)
        assert number, received

    with new_page(browser, mailing_server) as staff:
        sign_in(staff, "dataskyddsombud")
        staff.goto("/requests?view=open")
        staff.get_by_role("link", name=number.group(1), exact=True).click()
        assert path_of(staff) == f"/requests/{number.group(1)}"
        seen = len(mailbox.messages)
        staff.locator("#complete").click()
        staff.wait_for_url("**done=completed")
        link_mail = next_mail(mailbox, seen, customer.email)

    link = re.search(r"(/registerutdrag/hamta/\S+)", text_of(link_mail))
    assert link
    with new_page(browser, mailing_server) as page:
        page.goto(link.group(1))
        seen = len(mailbox.messages)
        page.get_by_role("button", name="Skicka kod").click()
        code = code_from(next_mail(mailbox, seen, customer.email))
        page.get_by_label("Kod").fill(code)
        page.get_by_role("button", name="Bekräfta").click()
        with page.expect_download() as pending:
            page.get_by_role("link", name="registerutdrag.pdf").click()
        pdf = pending.value
        with open(pdf.path(), "rb") as handle:
            reader = PdfReader(io.BytesIO(handle.read()))
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert "Registerutdrag" in text
        assert customer.name in text
        assert customer.street in text
