"""The accessibility tour of tests/browser/test_accessibility.py: every page people meet,
walked in headless Chromium against a real `dataskydd serve` with a demo register, with
axe-core (WCAG 2.1 A and AA) run on each; the findings are kept per page.

axe runs through axe-playwright-python, whose `Axe.run` injects the bundled axe.min.js with
`page.evaluate`: that goes through the DevTools protocol, which the pages' CSP (script-src
'self') does not govern, so no `bypass_csp` context is needed and the CSP stays as served.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from dataskydd import crypto
from dataskydd.auth.models import StaffUser
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.register.enums import UsageKind
from dataskydd.register.models import UsageEvent
from dataskydd.subject_requests.my_data import PAGE_ROWS
from dataskydd.web.pages.demo_site import PAGES as DEMO_SITE
from tests.browser.conftest import ADMIN_PASSWORD, PASSWORD, Server, new_page, running_server
from tests.browser.test_access_request_flow import code_from, next_mail, text_of
from tests.browser.test_consent_banner import CHROME, SETTINGS, banner
from tests.browser.test_staff_flows import sign_in
from tests.conftest import configured_policy_file, load_test_policy, unavailable
from tests.mail.test_service import _Collect
from tests.policy_keys import COMPANY, COMPANY_MAP
from tests.recipient_exports.keys import export_case

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
SHOWN_TARGETS = 3


@dataclass(frozen=True)
class Page:
    """One page of the tour: who sees it, and the route that serves it."""

    who: str
    route: str
    state: str = ""

    @property
    def id(self) -> str:
        return f"{self.who}: {self.route}" + (f" ({self.state})" if self.state else "")


STAFF_ROUTES = {
    "customer service": [
        "/start",
        "/subjects",
        "/subjects/{subject_id}",
        "/subjects/{subject_id}/view",
        "/subjects/{subject_id}/edit",
        "/subjects/{subject_id}/history",
        "/account",
    ],
    "dpo": [
        "/start",
        "/requests",
        "/requests/new",
        "/requests/outbox",
        "/requests/objections",
        "/audit",
        "/promises",
        "/systems",
        "/jobs",
        "/retention",
        "/retention/runs/{run_id}",
        "/breaches",
        "/breaches/{breach_id}",
        "/recipients",
        "/recipients/{key}",
        "/exports",
        "/exports/{export_id}",
        "/disclosures",
        "/disclosures/{disclosure_id}",
        "/policy",
        "/policy/notice",
        "/policy/ropa",
        "/account",
    ],
    "analyst": [
        "/start",
        "/statistics",
        "/analytics",
        "/analytics/overview",
        "/analytics/times",
        "/analytics/paths",
        "/analytics/visits",
        "/analytics/campaigns",
        "/account",
    ],
    "admin": ["/start", "/admin/accounts", "/admin/api-keys", "/account"],
}
PAGES = [
    Page("anonymous", "/login"),
    Page("analyst", "/login/totp"),
    Page("anonymous", "/"),
    Page("anonymous", "/integritetspolicy"),
    Page("anonymous", "/en/privacy"),
    Page("anonymous", "/docs"),
    Page("anonymous", "/en/access-request"),
    Page("anonymous", "/registerutdrag"),
    Page("anonymous", "/registerutdrag/kod"),
    Page("anonymous", "/registerutdrag/kod", "request received"),
    Page("anonymous", "/{missing}", "404"),
    Page("anonymous", "/mina-sidor/{missing}", "404 in the public frame"),
    Page("customer", "/mina-sidor/logga-in"),
    Page("customer", "/mina-sidor/kod"),
    Page("customer", "/mina-sidor/uppgifter"),
    Page("customer", "/mina-sidor/uppgifter", "sections open"),
    Page("customer", "/mina-sidor/uppgifter/rader"),
    Page("customer", "/mina-sidor/kontaktuppgifter"),
    Page("customer", "/mina-sidor/samtycken"),
    Page("customer", "/mina-sidor/begaran"),
    Page("customer", "/mina-sidor"),
    *(Page(who, route) for who, routes in STAFF_ROUTES.items() for route in routes),
    Page("customer service", "/subjects", "search results"),
    Page("customer service", "/breaches", "403"),
    Page("dpo", "/requests/{request_id}"),
    Page("dpo", "/requests/{request_id}", "completed"),
    Page("dpo", "/audit", "chain verified"),
    Page("dpo", "/{missing}", "404"),
    Page("anonymous", "/registerutdrag/hamta/{token}"),
    Page("anonymous", "/registerutdrag/hamta/{token}", "code confirmed"),
    Page("visitor", "/demo-site/", "consent banner"),
    Page("visitor", "/demo-site/", "banner settings open"),
    *(Page("visitor", "/demo-site/{slug}", p.slug) for p in DEMO_SITE if p.slug),
]


def summarise(violations: list[dict[str, Any]]) -> list[str]:
    """Each violation as `rule (impact): the first targets`."""
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        more = f" (+{len(targets) - SHOWN_TARGETS} more)" if len(targets) > SHOWN_TARGETS else ""
        shown = ", ".join(targets[:SHOWN_TARGETS])
        lines.append(f"{violation['id']} ({violation['impact']}): {shown}{more}")
    return lines


class Tour:
    """Runs axe on the page in view and keeps what it found, per page id."""

    def __init__(self) -> None:
        try:
            from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
        except ImportError as error:
            unavailable("axe-playwright-python (pip install -e '.[test]')", error)

        self.axe = Axe()
        self.found: dict[str, list[str]] = {}

    def check(self, page: Any, visit: Page, status: int = 200, response: Any = None) -> None:
        problems = []
        if response is not None and response.status != status:
            problems.append(f"HTTP {response.status}, not {status}, at {page.url}")
        page.wait_for_load_state("load")
        results = self.axe.run(page, options=AXE_OPTIONS)
        problems += summarise(results.response["violations"])
        assert visit.id not in self.found, f"{visit.id} toured twice"
        self.found[visit.id] = problems

    def visit(self, page: Any, visit: Page, url: str, status: int = 200) -> None:
        self.check(page, visit, status, page.goto(url))


@contextmanager
def visitor_page(browser: Any, server: Server) -> Iterator[Any]:
    """An ordinary Chrome user agent: the bot filter hides the banner from HeadlessChrome."""
    context = browser.new_context(base_url=server.base_url, locale="sv-SE", user_agent=CHROME)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _demo_register(server: Server) -> None:
    """Demo customers and web statistics, one of each record a detail page shows, and enough
    rows for the seeded customer that Mina sidor has a page of further rows."""
    server.cli("demo", "--customers", "5", "--no-other-systems")
    policy = load_test_policy(configured_policy_file())
    category = next(iter(policy.categories))
    aware = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    customer = str(server.customer.id)
    server.cli(
        *("breaches", "record", "--title", "Förlorat USB-minne", "--aware", aware),
        *("--nature", "confidentiality", "--description", "Ett USB-minne tappades bort."),
        *("--category", category, "--subject-kind", next(iter(policy.subject_kinds))),
        *("--subjects", "3", "--records", "10", "--consequences", "Risk för bedrägeri."),
        *("--measures-taken", "Polisanmälan.", "--measures-planned", "Kryptering."),
    )
    today = datetime.now(UTC).date().isoformat()
    server.cli(
        *("disclosures", "record", "--authority", "Polismyndigheten", "--kind", "police"),
        *("--ground", "RB 27 kap.", "--reference", "5000-K1", "--category", category),
        *("--description", "Kontaktuppgifter.", "--subject", customer),
        *("--requested-on", today, "--handed-over-on", today),
    )
    case = export_case(COMPANY, COMPANY_MAP)
    out = server.log.parent / "export.csv"
    server.cli(
        *("exports", "create", "--recipient", case.recipient, "--purpose", case.purpose),
        *("--out", str(out), "--subjects", customer),
    )
    server.cli("retention", "run")
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    engine = server.engine()
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(UsageEvent),
                [
                    {
                        "subject_id": server.customer.id,
                        "occurred_at": start + timedelta(hours=n),
                        "kind": UsageKind.VIEW,
                        "device_type": "tv",
                        "item": f"Avsnitt {n:03}",
                    }
                    for n in range(PAGE_ROWS + 5)
                ],
            )
    finally:
        engine.dispose()


def _first_link(page: Any, prefix: str) -> str:
    """The first link to a detail page under `prefix` (`/breaches/` → `/breaches/1`)."""
    hrefs = page.locator(f"main a[href^='{prefix}']").evaluate_all("as => as.map(a => a.href)")
    for href in hrefs:
        path = re.sub(r"^https?://[^/]+", "", href)
        if re.fullmatch(re.escape(prefix) + r"[\w-]+", path):
            return path
    raise AssertionError(f"no link to a page under {prefix} on {page.url}")


def _public(tour: Tour, browser: Any, server: Server, mailbox: _Collect) -> str:
    """The anonymous pages, and a registerutdrag asked for; returns the request's number."""
    who = "anonymous"
    with new_page(browser, server) as page:
        for route in ("/login", "/", "/integritetspolicy", "/en/privacy", "/docs"):
            tour.visit(page, Page(who, route), route)
        tour.visit(page, Page(who, "/en/access-request"), "/en/access-request")
        tour.visit(page, Page(who, "/{missing}", "404"), "/finns-inte", status=404)
        missing = Page(who, "/mina-sidor/{missing}", "404 in the public frame")
        tour.visit(page, missing, "/mina-sidor/finns-inte", status=404)
        tour.visit(page, Page(who, "/registerutdrag"), "/registerutdrag")
        seen = len(mailbox.messages)
        page.get_by_label("E-postadress eller telefonnummer").fill(server.customer.email)
        page.get_by_role("button", name="Skicka kod").click()
        page.wait_for_url("**/registerutdrag/kod")
        tour.check(page, Page(who, "/registerutdrag/kod"))
        page.get_by_label("Kod").fill(code_from(next_mail(mailbox, seen, server.customer.email)))
        page.get_by_role("button", name="Bekräfta begäran").click()
        received = page.locator("#request-received").inner_text()
        tour.check(page, Page(who, "/registerutdrag/kod", "request received"))
    number = re.search(r"(\d+)", received)
    assert number, received
    return number.group(1)


def _my_pages(tour: Tour, browser: Any, server: Server, mailbox: _Collect) -> None:
    who = "customer"
    with new_page(browser, server) as page:
        tour.visit(page, Page(who, "/mina-sidor/logga-in"), "/mina-sidor/logga-in")
        seen = len(mailbox.messages)
        page.get_by_label("E-postadress eller telefonnummer").fill(server.customer.email)
        page.get_by_role("button", name="Skicka kod").click()
        page.wait_for_url("**/mina-sidor/kod")
        tour.check(page, Page(who, "/mina-sidor/kod"))
        page.get_by_label("Kod").fill(code_from(next_mail(mailbox, seen, server.customer.email)))
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_url("**/mina-sidor/uppgifter")
        tour.check(page, Page(who, "/mina-sidor/uppgifter"))
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true })")
        tour.check(page, Page(who, "/mina-sidor/uppgifter", "sections open"))
        more = page.get_by_role("link", name=re.compile("^Visa fler")).first.get_attribute("href")
        assert more is not None
        tour.visit(page, Page(who, "/mina-sidor/uppgifter/rader"), more)
        for route in ("/mina-sidor/kontaktuppgifter", "/mina-sidor/samtycken"):
            tour.visit(page, Page(who, route), route)
        tour.visit(page, Page(who, "/mina-sidor/begaran"), "/mina-sidor/begaran")
        tour.visit(page, Page(who, "/mina-sidor"), "/mina-sidor")


def _customer_service(tour: Tour, page: Any, server: Server) -> None:
    who, subject = "customer service", f"/subjects/{server.customer.id}"
    sign_in(page, "kundtjanst")
    tour.check(page, Page(who, "/start"))
    tour.visit(page, Page(who, "/subjects"), "/subjects")
    tour.visit(
        page, Page(who, "/subjects", "search results"), f"/subjects?q={server.customer.email}"
    )
    tour.visit(page, Page(who, "/subjects/{subject_id}"), subject)
    purpose = page.locator("#purpose option[value]:not([value=''])").first.get_attribute("value")
    tour.visit(page, Page(who, "/subjects/{subject_id}/view"), f"{subject}/view?purpose={purpose}")
    tour.visit(page, Page(who, "/subjects/{subject_id}/edit"), f"{subject}/edit")
    tour.visit(page, Page(who, "/subjects/{subject_id}/history"), f"{subject}/history")
    tour.visit(page, Page(who, "/account"), "/account")
    tour.visit(page, Page(who, "/breaches", "403"), "/breaches", status=403)


DETAILS = {  # a list page, and the detail page its first link leads to
    "/retention": ("/retention/runs/", "/retention/runs/{run_id}"),
    "/breaches": ("/breaches/", "/breaches/{breach_id}"),
    "/recipients": ("/recipients/", "/recipients/{key}"),
    "/exports": ("/exports/", "/exports/{export_id}"),
    "/disclosures": ("/disclosures/", "/disclosures/{disclosure_id}"),
}


def _dpo(tour: Tour, page: Any, server: Server, number: str) -> None:
    who = "dpo"
    sign_in(page, "dataskyddsombud")
    tour.check(page, Page(who, "/start"))
    for route in STAFF_ROUTES[who][1:]:
        if "{" in route:
            continue
        url = (
            f"/requests/new?subject_id={server.customer.id}" if route == "/requests/new" else route
        )
        tour.visit(page, Page(who, route), url)
        if route in DETAILS:
            prefix, detail = DETAILS[route]
            tour.visit(page, Page(who, detail), _first_link(page, prefix))
    page.goto("/audit")
    page.locator("form[action='/audit/verify'] button").click()
    page.wait_for_url("**/audit/verify")
    tour.check(page, Page(who, "/audit", "chain verified"))
    tour.visit(page, Page(who, "/{missing}", "404"), "/finns-inte", status=404)
    tour.visit(page, Page(who, "/requests/{request_id}"), f"/requests/{number}")
    page.locator("#complete").click()
    page.wait_for_url("**done=completed")
    tour.check(page, Page(who, "/requests/{request_id}", "completed"))


def _role(tour: Tour, page: Any, who: str, username: str, password: str) -> None:
    sign_in(page, username, password)
    tour.check(page, Page(who, "/start"))
    for route in STAFF_ROUTES[who][1:]:
        tour.visit(page, Page(who, route), route)


def _second_factor(tour: Tour, browser: Any, server: Server) -> None:
    """The analyst turns on TOTP (written as the account page would), then signs in again."""
    workdir = server.log.parent
    crypto.install_keyring(crypto.Keyring(crypto.read_key_file(workdir / "dataskydd.key")))
    engine = server.engine()
    try:
        with transaction(make_session_factory(engine)) as session:
            user = session.scalars(select(StaffUser).where(StaffUser.username == "analytiker"))
            user.one().totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    finally:
        engine.dispose()
        crypto.install_keyring(None)
    with new_page(browser, server) as page:
        page.goto("/login")
        page.fill("input[name=username]", "analytiker")
        page.fill("input[name=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/login/totp")
        tour.check(page, Page("analyst", "/login/totp"))


def _download(tour: Tour, browser: Any, server: Server, mailbox: _Collect, seen: int) -> None:
    link = re.search(
        r"(/registerutdrag/hamta/\S+)", text_of(next_mail(mailbox, seen, server.customer.email))
    )
    assert link
    who = "anonymous"
    with new_page(browser, server) as page:
        tour.visit(page, Page(who, "/registerutdrag/hamta/{token}"), link.group(1))
        seen = len(mailbox.messages)
        page.get_by_role("button", name="Skicka kod").click()
        page.get_by_label("Kod").fill(code_from(next_mail(mailbox, seen, server.customer.email)))
        page.get_by_role("button", name="Bekräfta").click()
        page.get_by_role("link", name="registerutdrag.pdf").wait_for()
        tour.check(page, Page(who, "/registerutdrag/hamta/{token}", "code confirmed"))


def _demo_site(tour: Tour, browser: Any, server: Server) -> None:
    who = "visitor"
    with visitor_page(browser, server) as page:
        page.goto("/demo-site/")
        banner(page).wait_for()
        tour.check(page, Page(who, "/demo-site/", "consent banner"))
        banner(page).get_by_role("button", name=SETTINGS).click()
        page.locator("#dsk-settings").wait_for()
        tour.check(page, Page(who, "/demo-site/", "banner settings open"))
        for slug in (p.slug for p in DEMO_SITE if p.slug):
            tour.visit(page, Page(who, "/demo-site/{slug}", slug), f"/demo-site/{slug}")


def take_tour(
    browser: Any, mailbox: _Collect, smtp_port: int, factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    """The whole tour on a server of its own; for each page visited, what axe found."""
    tour = Tour()
    with running_server(factory, smtp_url=f"smtp://127.0.0.1:{smtp_port}") as server:
        _demo_register(server)
        number = _public(tour, browser, server, mailbox)
        _my_pages(tour, browser, server, mailbox)
        with new_page(browser, server) as page:
            _customer_service(tour, page, server)
        seen = len(mailbox.messages)
        with new_page(browser, server) as page:
            _dpo(tour, page, server, number)
        _download(tour, browser, server, mailbox, seen)
        with new_page(browser, server) as page:
            _role(tour, page, "analyst", "analytiker", PASSWORD)
        with new_page(browser, server) as page:
            _role(tour, page, "admin", "admin", ADMIN_PASSWORD)
        _second_factor(tour, browser, server)
        _demo_site(tour, browser, server)
    return tour.found
