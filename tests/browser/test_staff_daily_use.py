"""Issue 15 in headless Chromium (see conftest.py): the DPO takes a request and finds it under
"Mina ärenden"; every checkbox of the admin pages sits on the line of its label."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import ADMIN_PASSWORD, Server
from tests.browser.test_staff_flows import path_of, sign_in

# How far the label's text may start from the checkbox's right edge.
MAX_GAP_PX = 12

# For each checkbox: its box, and the first line box of its label's text (the text after the
# checkbox, measured with a Range so that the label's padding and width do not count).
_MEASURE = """
() => [...document.querySelectorAll('input[type=checkbox]')].map((box) => {
  const label = box.closest('label') || document.querySelector(`label[for="${box.id}"]`);
  const own = box.getBoundingClientRect();
  if (!label) return {name: box.name, label: null};
  const range = document.createRange();
  if (label.contains(box)) {
    range.setStartAfter(box);
    range.setEnd(label, label.childNodes.length);
  } else {
    range.selectNodeContents(label);
  }
  const lines = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
  const first = lines[0];
  return {
    name: box.name, value: box.value,
    box: {top: own.top, bottom: own.bottom, left: own.left, right: own.right},
    line: first ? {top: first.top, bottom: first.bottom, left: first.left} : null,
  };
})
"""


def misaligned(page: Any) -> tuple[int, list[str]]:
    """How many checkboxes the page has, and what is wrong with each misplaced one."""
    problems = []
    found = page.evaluate(_MEASURE)
    for item in found:
        where = f"{item['name']}={item.get('value')}"
        if item.get("line") is None:
            problems.append(f"{where}: no label text")
            continue
        box, line = item["box"], item["line"]
        centre = (box["top"] + box["bottom"]) / 2
        if not line["top"] <= centre <= line["bottom"]:
            problems.append(f"{where}: centre {centre:.1f} outside the line {line}")
        gap = line["left"] - box["right"]
        if not 0 <= gap <= MAX_GAP_PX:
            problems.append(f"{where}: label starts {gap:.1f} px from the checkbox")
    return len(found), problems


class TestCheckboxes:
    def test_every_admin_checkbox_is_on_its_labels_line(self, page: Any) -> None:
        sign_in(page, "admin", ADMIN_PASSWORD)
        counted = 0
        for path in ("/admin/accounts", "/admin/api-keys"):
            for width in (1280, 420):
                page.set_viewport_size({"width": width, "height": 860})
                response = page.goto(path)
                assert response is not None
                assert response.status == 200, path
                count, problems = misaligned(page)
                assert not problems, f"{path} at {width} px: {problems}"
                counted += count
        # The API-key form's purposes and write permission, at two widths.
        assert counted >= 4


class TestRequestOwner:
    def test_the_dpo_takes_a_letter_request_and_finds_it_under_my_cases(
        self, page: Any, server: Server
    ) -> None:
        sign_in(page, "dataskyddsombud")
        page.goto(f"/requests/new?subject_id={server.customer.id}")
        page.get_by_label("Hur identiteten kontrollerades").fill("ID-kort i kassan")
        page.get_by_label("Den registrerades språk").select_option("en")
        page.get_by_role("button", name="Registrera begäran").click()
        page.wait_for_url(re.compile(r".*/requests/\d+$"))
        case = path_of(page)
        assert "ej tilldelad" in page.locator("#owner").inner_text()
        page.get_by_role("button", name="Ta ärendet").click()
        page.wait_for_url(re.compile(r".*/requests/\d+\?done=taken$"))
        assert page.locator("#owner").inner_text() == "Dana Dataskydd"
        assert "Tilldelad: Dana Dataskydd" in page.locator("#history").inner_text()

        page.goto("/requests")
        page.get_by_label("Handläggare").select_option("mine")
        page.get_by_role("button", name="Filtrera").click()
        row = page.locator("#queue tbody tr", has=page.locator(f'a[href="{case}"]'))
        assert row.locator("td.owner").inner_text() == "Dana Dataskydd"
        page.get_by_label("Handläggare").select_option("unassigned")
        page.get_by_role("button", name="Filtrera").click()
        assert page.locator(f'#queue a[href="{case}"]').count() == 0
