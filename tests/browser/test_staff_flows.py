"""Staff flows in headless Chromium against a real `dataskydd serve` (see conftest.py).

Swedish UI, as the staff use it: sign in with the keyboard, find a customer by e-mail, state
a purpose, read the data grouped by category, correct the postal address with a reason and
see old and new value in the history; and the sign-out after inactivity, both when the server
notices it and when the page's own timer does.
"""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # conftest.py skips (or fails in CI) with the reason
    PlaywrightError = Exception  # type: ignore[misc,assignment]

from tests.browser.conftest import (
    PASSWORD,
    SCREENSHOTS,
    Server,
    new_page,
    screenshots_wanted,
)
from tests.policy_keys import (
    COMPANY,
    CONTACT,
    CUSTOMER_SERVICE,
    contract_purpose_of,
    objectable_purpose,
)

# What customer service states to read a customer's e-mail address and postal address.
PURPOSE = contract_purpose_of(COMPANY, CUSTOMER_SERVICE, CONTACT)
# A purpose with an objection promise on the DPO's page.
OBJECTABLE = objectable_purpose(COMPANY)


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """With the keyboard only: the username field has focus, Tab to the password, Enter."""
    seen: list[str] = []
    page.on("response", lambda r: seen.append(f"{r.request.method} {r.url} → {r.status}"))
    page.goto("/login")
    # autofocus is applied after load, on the browser's schedule: wait for it (a bounded
    # wait that fails the test if the field never gets focus) instead of asking at once
    page.wait_for_function(
        "document.activeElement && document.activeElement.name === 'username'", timeout=5000
    )
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    try:
        page.wait_for_url("**/start")
    except PlaywrightError as error:
        raise AssertionError(f"{username} was not signed in; requests: {seen}") from error


def path_of(page: Any) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


class TestSignIn:
    def test_keyboard_sign_in_in_swedish(self, page: Any) -> None:
        page.goto("/login")
        assert page.locator("html").get_attribute("lang") == "sv"
        assert page.get_by_role("heading", level=1).inner_text() == "Logga in"
        if screenshots_wanted():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)
        sign_in(page, "kundtjanst")
        assert "Välkommen, Kim Kundtjänst" in page.get_by_role("heading", level=1).inner_text()
        assert page.get_by_role("link", name="Sök registrerad").is_visible()

    def test_wrong_password_is_refused_in_swedish(self, page: Any) -> None:
        page.goto("/login")
        page.fill("input[name=username]", "kundtjanst")
        page.fill("input[name=password]", "Fel-lösenord-123")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert path_of(page) == "/login"
        assert "Fel användarnamn eller lösenord" in page.get_by_role("alert").inner_text()

    def test_sign_out(self, page: Any) -> None:
        sign_in(page, "analytiker")
        page.get_by_role("button", name="Logga ut").click()
        page.wait_for_url("**/login?reason=logout")
        page.goto("/start")
        page.wait_for_url("**/login")


class TestWritesAreVisibleToTheNextRequest:
    def test_the_redirect_after_sign_in_finds_the_session(self, server: Server) -> None:
        """A browser follows a 303 at once. If the request's transaction committed only after
        the response was sent, the next request would race the commit (and lose, sometimes:
        signed in, then sent back to the login page). Plain HTTP, a few times."""
        import httpx

        failures = []
        with httpx.Client(base_url=server.base_url, follow_redirects=False) as client:
            for attempt in range(10):  # the login rate limit is 20 per 5 min
                form = client.get("/login")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token is not None
                login_csrf = form.cookies["dataskydd_login_csrf"]
                signed = client.post(
                    "/login",
                    data={"username": "analytiker", "password": PASSWORD, "csrf_token": token[1]},
                    headers={"Cookie": f"dataskydd_login_csrf={login_csrf}"},
                )
                assert signed.status_code == 303, signed.text[:300]
                cookie = signed.cookies["dataskydd_session"]
                start = client.get("/start", headers={"Cookie": f"dataskydd_session={cookie}"})
                if start.status_code != 200:
                    failures.append((attempt, start.status_code, start.headers.get("location")))
                client.cookies.clear()
        assert failures == []


class TestInactivity:
    def test_server_ends_an_idle_session_and_says_why(self, page: Any, server: Server) -> None:
        sign_in(page, "dataskyddsombud")
        assert server.age_sessions("dataskyddsombud", minutes=16) >= 1
        page.reload()
        page.wait_for_url("**/login?reason=inactivity")
        notice = page.locator("#signout-reason").inner_text()
        assert "inaktiv i 15 minuter" in notice
        page.goto("/start")  # the session stays ended
        page.wait_for_url("**/login?reason=inactivity")

    def test_the_page_reloads_itself_when_the_time_is_up(
        self, browser: Any, idle_server: Server
    ) -> None:
        """app.js reloads after the timeout (+2 s), without the user doing anything."""
        with new_page(browser, idle_server) as page:
            sign_in(page, "dataskyddsombud")
            assert page.locator("body").get_attribute("data-inactivity-seconds") == "3"
            page.wait_for_url("**/login?reason=inactivity", timeout=15_000)
            assert "inaktiv" in page.locator("#signout-reason").inner_text()


class TestSubjectFlow:
    def test_find_open_for_a_purpose_correct_the_address_and_see_the_history(
        self, page: Any, server: Server
    ) -> None:
        customer = server.customer
        sign_in(page, "kundtjanst")

        # Search by e-mail.
        page.get_by_role("link", name="Sök registrerad").click()
        page.wait_for_url("**/subjects")
        page.fill("input[name=q]", customer.email)
        page.keyboard.press("Enter")
        page.wait_for_url("**/subjects?q=*")
        hit = page.locator(f"a[href='/subjects/{customer.id}']")
        assert hit.count() == 1
        assert customer.family_name in hit.inner_text()
        assert customer.personnummer not in page.content()  # masked in the result list

        # State a purpose.
        hit.click()
        page.wait_for_url(f"**/subjects/{customer.id}")
        page.select_option("#purpose", PURPOSE)
        page.locator("form[action$='/view'] button[type=submit]").click()
        page.wait_for_url(f"**/subjects/{customer.id}/view?purpose={PURPOSE}")

        # The data, grouped by category, with the purpose and the legal basis stated.
        assert customer.name in page.get_by_role("heading", level=1).inner_text()
        categories = page.locator("section.category")
        assert categories.count() >= 2
        headings = [h.strip() for h in categories.locator("h2").all_inner_texts()]
        assert len(headings) == len(set(headings))
        body = page.locator("main").inner_text()
        assert customer.email in body
        assert customer.street in body
        assert "Rättslig grund" in body
        if screenshots_wanted():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "subject-view.png"), full_page=False)

        # Correct the address, with a reason.
        page.locator(f"a[href='/subjects/{customer.id}/edit']").first.click()
        page.wait_for_url(f"**/subjects/{customer.id}/edit")
        assert page.input_value("#f-street") == customer.street
        page.fill("#f-street", "Hamngatan 3")
        page.fill("#f-postal_code", "47332")
        page.fill("#f-reason", "Kunden har flyttat, enligt samtal")
        page.get_by_role("button", name="Spara ändringarna").click()
        page.wait_for_url(f"**/subjects/{customer.id}/history*")

        # Old and new value in the history, with who and why.
        assert "sparats" in page.get_by_role("status").inner_text()
        rows = page.locator("table tbody tr").all_inner_texts()
        street_rows = [row for row in rows if "Hamngatan 3" in row]
        assert len(street_rows) == 1
        assert customer.street in street_rows[0]
        assert "staff:kundtjanst" in street_rows[0]
        assert "Kunden har flyttat" in street_rows[0]
        assert any("473 32" in row and customer.postal_code in row for row in rows)

        # The server's output carries no personal data (access log off, no values in logs).
        log = server.log_text()
        for value in (customer.email, customer.personnummer, customer.family_name, "Hamngatan"):
            assert value not in log

    def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(
        self, page: Any, server: Server
    ) -> None:
        customer = server.customer
        sign_in(page, "kundtjanst")
        page.goto(f"/subjects/{customer.id}/edit")
        page.fill("#f-email", "inte-en-adress@")
        page.fill("#f-reason", "Test av felaktig adress")
        page.get_by_role("button", name="Spara ändringarna").click()
        page.wait_for_load_state()
        assert path_of(page) == f"/subjects/{customer.id}/edit"
        assert page.get_by_role("alert").first.is_visible()
        assert page.get_attribute("#f-email", "aria-invalid") == "true"
        assert page.locator("#e-email").is_visible()
        page.goto(f"/subjects/{customer.id}/history")
        assert "inte-en-adress" not in page.locator("main").inner_text()

    def test_an_analyst_cannot_open_a_subject(self, page: Any, server: Server) -> None:
        sign_in(page, "analytiker")
        assert page.locator("a[href='/subjects']").count() == 0  # not in the menu
        response = page.goto(f"/subjects/{server.customer.id}/view?purpose={PURPOSE}")
        assert response is not None
        assert response.status == 403
        assert server.customer.email not in page.content()


class TestPromises:
    def test_the_dpo_sees_every_promise_with_its_evidence(self, page: Any) -> None:
        sign_in(page, "dataskyddsombud")
        page.get_by_role("link", name="Löften").first.click()
        page.wait_for_url("**/promises")
        assert page.get_by_role("heading", level=1).inner_text() == "Löften"
        main = page.locator("main").inner_text()
        # The audit chain's promise, with its live evidence, and the objection promise.
        assert page.locator("#promise-audit_log").is_visible()
        assert page.locator(f"#promise-objection\\.{OBJECTABLE}").count() == 1
        # The browser server's policy has overdue agreement reviews or not; either way the
        # page says which, in Swedish.
        assert "Inget löfte är brutet" in main or re.search(r"\d+ löften? är brut", main)
        if screenshots_wanted():
            page.set_viewport_size({"width": 1100, "height": 900})
            page.screenshot(path=str(SCREENSHOTS / "promises.png"), full_page=False)

    def test_customer_service_cannot_open_the_promises(self, page: Any) -> None:
        sign_in(page, "kundtjanst")
        assert page.locator("a[href='/promises']").count() == 0
        response = page.goto("/promises")
        assert response is not None
        assert response.status == 403


class TestRetention:
    def test_the_dpo_places_and_lifts_a_legal_hold(self, page: Any, server: Server) -> None:
        sign_in(page, "dataskyddsombud")
        summary = page.locator("section.retention-summary")
        assert "Rader kvar efter sin gallringsregel" in summary.inner_text()
        page.get_by_role("link", name="Gallring").first.click()
        page.wait_for_url("**/retention")
        assert page.get_by_role("heading", level=1).inner_text() == "Gallring"
        page.get_by_label("Registrerads id").fill(str(server.customer.id))
        page.locator("#hold-reason").fill("Begäran från Polismyndigheten")
        page.locator("#hold-reference").fill("Dnr 5000-K123-26")
        page.get_by_role("button", name="Bevara", exact=True).click()
        page.wait_for_url("**/retention#holds")
        row = page.locator("#hold-list tbody tr").first
        assert "Dnr 5000-K123-26" in row.inner_text()
        assert "Alla uppgifter" in row.inner_text()
        if screenshots_wanted():
            page.set_viewport_size({"width": 1100, "height": 900})
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(SCREENSHOTS / "retention.png"), full_page=False)
        row.get_by_label("Varför det upphör").fill("Ärendet avslutat")
        row.get_by_role("button", name="Upphäv bevarandet").click()
        page.wait_for_url("**/retention#holds")
        assert "Inget pågående bevarande." in page.locator("main").inner_text()
