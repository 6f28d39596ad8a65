"""The breach flow in headless Chromium against a real `dataskydd serve` (see conftest.py):
the DPO records a breach in Swedish, sees the 72-hour countdown on the start page, downloads
the draft notification to IMY and records the decision not to notify; customer service has
no way in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dataskydd.clock import SWEDEN, utc_now
from tests.browser.conftest import Server, screenshots_wanted
from tests.browser.test_staff_flows import SCREENSHOTS, path_of, sign_in
from tests.conftest import configured_policy_file, load_test_policy


def test_record_countdown_draft_and_decision(page: Any, server: Server) -> None:
    policy = load_test_policy(configured_policy_file())
    sign_in(page, "dataskyddsombud")
    page.get_by_role("link", name="Incidenter").click()
    page.wait_for_url("**/breaches")
    aware = (utc_now() - timedelta(hours=5)).astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
    page.fill("#new-title", "Förlorat USB-minne")
    page.fill("#new-aware", aware)
    page.check("input[name=nature][value=confidentiality]")
    page.fill("#new-description", "Ett okrypterat USB-minne med kundregister tappades bort.")
    first_category = next(iter(policy.categories))
    page.check(f"input[name=categories][value={first_category}]")
    page.check(f"input[name=subject_kinds][value={next(iter(policy.subject_kinds))}]")
    page.fill("#new-subjects", "250")
    page.fill("#new-records", "1000")
    page.fill("#new-consequences", "Risk för identitetsbedrägeri.")
    page.fill("#new-taken", "Polisanmälan gjord.")
    page.fill("#new-planned", "Alla USB-minnen krypteras.")
    page.get_by_role("button", name="Registrera incidenten").click()
    page.wait_for_url("**/breaches/*")
    breach_path = path_of(page)
    assert "min kvar" in page.locator("#deadline").inner_text()

    page.goto("/start")
    countdown = page.locator("#breaches").inner_text()
    assert "Förlorat USB-minne" in countdown
    assert "66 h" in countdown or "67 h" in countdown  # 72 h less the 5 since awareness

    page.goto(breach_path)
    if screenshots_wanted():
        page.set_viewport_size({"width": 1100, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / "breach.png"), full_page=False)
    draft = page.request.get(f"{breach_path}/imy.json?language=sv").json()
    assert draft["art_33_3_a_nature"]["approximate_number_of_subjects"] == 250
    with page.expect_download() as download:
        page.click("#draft-pdf-sv")
    assert download.value.suggested_filename.endswith("-imy-sv.pdf")

    page.fill("#not-notify-reason", "Minnet hittades oöppnat samma dag; ingen risk.")
    page.get_by_role("button", name="Registrera beslutet att inte anmäla till IMY").click()
    page.wait_for_url(f"**{breach_path}#imy")
    assert "Beslut att inte anmäla till IMY" in page.locator("#imy-decision").inner_text()
    page.goto("/start")
    assert "inte anmäld till IMY" in page.locator("#breaches").inner_text()


def test_customer_service_has_no_way_in(page: Any, server: Server) -> None:
    sign_in(page, "kundtjanst")
    assert page.get_by_role("link", name="Incidenter").count() == 0
    assert page.locator("#breaches").count() == 0
    response = page.goto("/breaches")
    assert response.status == 403
