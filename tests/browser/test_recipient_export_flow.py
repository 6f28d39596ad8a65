"""An export to a recipient in headless Chromium against a real `dataskydd serve`, in Swedish,
as the DPO makes it: the menu entry, a recipient and purpose chosen, only the categories the
export may hold offered, the file downloaded and the export in the log with its subject."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.conftest import Server
from tests.browser.test_staff_flows import sign_in
from tests.policy_keys import COMPANY, COMPANY_MAP
from tests.recipient_exports.keys import export_case

CASE = export_case(COMPANY, COMPANY_MAP)


def test_the_dpo_exports_a_file_to_a_recipient(page: Any, server: Server, tmp_path: Path) -> None:
    sign_in(page, "dataskyddsombud")
    page.get_by_role("navigation").get_by_role("link", name="Mottagare", exact=True).click()
    page.wait_for_url("**/recipients")
    page.get_by_role("link", name="Exporter till mottagare", exact=True).click()
    page.wait_for_url("**/exports")
    assert page.get_by_role("heading", level=1).inner_text() == "Exporter till mottagare"
    page.locator(f"#choose-{CASE.recipient}-{CASE.purpose}").click()
    page.wait_for_url("**/exports?*")
    boxes = page.locator("#export-form input[name=categories]")
    offered = {boxes.nth(i).get_attribute("value") for i in range(boxes.count())}
    assert offered == set(CASE.allowed)
    # Only the name's and the contact details' categories, as JSON.
    for i in range(boxes.count()):
        if boxes.nth(i).get_attribute("value") not in (CASE.name, CASE.contact):
            boxes.nth(i).uncheck()
    page.fill("#export-subjects", str(server.customer.id))
    page.get_by_label("JSON").check()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Skapa och ladda ned").click()
    download = downloading.value
    assert download.suggested_filename.endswith(f"-{CASE.recipient}.json")
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["categories"] == [c for c in CASE.allowed if c in (CASE.name, CASE.contact)]
    (subject,) = document["subjects"]
    assert subject["subject_id"] == server.customer.id
    text = json.dumps(document, ensure_ascii=False)
    assert server.customer.email in text
    # The personnummer is not a category asked for, in no spelling.
    digits = server.customer.personnummer.replace("-", "")
    assert digits[2:] not in text.replace("-", "")
    page.goto("/exports")
    log = page.locator("#export-list tbody tr")
    assert log.count() == 1
    log.first.get_by_role("link").click()
    page.wait_for_url("**/exports/*")
    assert page.locator("#export-subjects").inner_text().count(str(server.customer.id)) >= 1
