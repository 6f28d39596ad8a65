"""Mina sidor's "my data" in headless Chromium (issue 15): a customer with hundreds of rows
signs in with the code from their mail and gets an overview of every category they have data
in, each linking to its section; with the sections closed the page stays short, a section
opens from the keyboard, and a long table is read further on a page of its own.

axe checks the page (closed and with every section open) in test_accessibility.py; the checks
of structure that matter here (one h1, captions, the details' open state) are made directly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from dataskydd.register.models import Invoice, InvoiceStatus, UsageEvent, UsageKind
from dataskydd.subject_requests.my_data import PAGE_ROWS
from tests.browser.conftest import Server, new_page, running_server
from tests.browser.test_access_request_flow import code_from, mailbox, mailbox_at, next_mail
from tests.mail.test_service import _Collect

__all__ = ["mailbox", "mailbox_at"]  # the SMTP fixtures, shared with the registerutdrag flow

USAGE_ROWS = 400
INVOICES = 60
MAX_CLOSED_HEIGHT = 3000


@pytest.fixture(scope="module")
def busy_server(
    browser: Any, mailbox_at: tuple[_Collect, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server whose customer has hundreds of rows in several categories."""
    smtp_url = f"smtp://127.0.0.1:{mailbox_at[1]}"
    with running_server(tmp_path_factory, smtp_url=smtp_url) as running:
        customer_id = running.customer.id
        start = datetime(2025, 1, 1, 8, tzinfo=UTC)
        engine = running.engine()
        try:
            with engine.begin() as connection:
                connection.execute(
                    insert(UsageEvent),
                    [
                        {
                            "subject_id": customer_id,
                            "occurred_at": start + timedelta(hours=n),
                            "kind": UsageKind.VIEW,
                            "device_type": "tv",
                            "item": f"Avsnitt {n:03}",
                        }
                        for n in range(USAGE_ROWS)
                    ],
                )
                connection.execute(
                    insert(Invoice),
                    [
                        {
                            "subject_id": customer_id,
                            "invoice_number": f"F-{n:04}",
                            "issued_on": date(2021, 1, 28) + timedelta(days=30 * n),
                            "due_on": date(2021, 2, 27) + timedelta(days=30 * n),
                            "amount": Decimal("499.00"),
                            "vat_amount": Decimal("99.80"),
                            "currency": "SEK",
                            "status": InvoiceStatus.PAID,
                        }
                        for n in range(INVOICES)
                    ],
                )
        finally:
            engine.dispose()
        yield running


def sign_in_to_my_pages(page: Any, server: Server, mailbox: _Collect) -> None:
    page.goto("/mina-sidor/logga-in")
    seen = len(mailbox.messages)
    page.get_by_label("E-postadress eller telefonnummer").fill(server.customer.email)
    page.get_by_role("button", name="Skicka kod").click()
    code = code_from(next_mail(mailbox, seen, server.customer.email))
    page.get_by_label("Kod").fill(code)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/mina-sidor/uppgifter")


def test_overview_links_to_closed_sections_and_the_page_stays_short(
    browser: Any, busy_server: Server, mailbox: _Collect
) -> None:
    with new_page(browser, busy_server) as page:
        sign_in_to_my_pages(page, busy_server, mailbox)
        assert page.locator("h1").count() == 1
        overview = page.locator("table.overview")
        links = overview.locator("tbody th a")
        listed = links.all_inner_texts()
        sections = page.locator("section.category")
        assert len(listed) >= 3
        # Every category with items is in the overview, in the order of its sections.
        assert listed == sections.locator("h2").all_inner_texts()
        counts = [int(c) for c in overview.locator("tbody td:nth-child(2)").all_inner_texts()]
        assert USAGE_ROWS in counts
        assert INVOICES in counts
        assert all(count > 0 for count in counts)
        for caption in page.locator("table").all():
            assert caption.locator("caption").count() == 1
        # All closed: the page of hundreds of rows is a short page.
        assert page.locator("details[open]").count() == 0
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < MAX_CLOSED_HEIGHT, height

        # A link in the overview jumps to its section: the page scrolls until the section's
        # heading is in view (the last sections cannot reach the top of a short page).
        last = links.nth(len(listed) - 1)
        target = last.get_attribute("href")
        assert target is not None
        assert re.fullmatch(r"#c-[\w-]+", target)
        assert page.evaluate("window.scrollY") == 0
        last.click()
        page.wait_for_function(f"location.hash === '{target}'")
        top = page.evaluate(f"document.getElementById('{target[1:]}').getBoundingClientRect().top")
        assert page.evaluate("window.scrollY") > 0
        assert 0 <= top < page.evaluate("window.innerHeight") - 100, top


def test_a_section_opens_from_the_keyboard_and_long_tables_read_on(
    browser: Any, busy_server: Server, mailbox: _Collect
) -> None:
    with new_page(browser, busy_server) as page:
        sign_in_to_my_pages(page, busy_server, mailbox)
        usage = page.locator("section.category", has_text="Avsnitt 399")
        details = usage.locator("details")
        assert not details.evaluate("d => d.open")
        summary = usage.locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        assert details.evaluate("d => d.open")
        assert usage.get_by_role("cell", name="Avsnitt 399", exact=True).is_visible()
        assert usage.get_by_role("cell", name="Avsnitt 374", exact=True).count() == 0
        assert usage.get_by_role("link", name="Till toppen").is_visible()

        usage.get_by_role("link", name=re.compile("^Visa fler")).click()
        page.wait_for_url(re.compile(r"/mina-sidor/uppgifter/rader\?.*sida=2"))
        table = page.locator("table")
        assert table.get_by_role("cell", name="Avsnitt 374", exact=True).is_visible()
        assert table.locator("tbody tr").count() == PAGE_ROWS
        assert "Sida 2 av 16" in page.locator("main").inner_text()
        page.get_by_role("link", name="Visa fler").click()
        page.wait_for_url(re.compile(r"sida=3"))
        assert page.get_by_role("cell", name="Avsnitt 349", exact=True).is_visible()
