"""axe-core (WCAG 2.1 A and AA) on every page people meet (issue 15: axe stays at 0
violations on every page, including new ones).

accessibility_tour.py walks the public pages, Mina sidor, every staff role's pages, the
download of a registerutdrag and the demo site with its consent banner, running axe on each; a
test per page then reads that page's findings, so a failure names the page (rule, impact,
first targets). The app's own route list says which pages exist: a GET page neither toured
nor in SKIPPED fails `test_every_page_is_toured`, so a new page cannot be forgotten.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from fastapi import routing as fastapi_routing

from dataskydd.config import Settings
from dataskydd.web.app import create_app
from tests.browser.accessibility_tour import PAGES, Page, take_tour
from tests.browser.test_access_request_flow import mailbox_at
from tests.conftest import TEST_SECRET, configured_policy_file, data_map_beside, load_test_policy
from tests.mail.test_service import _Collect

__all__ = ["mailbox_at"]  # the SMTP fixture, shared with the registerutdrag flow

# GET routes that answer with no page (files, JSON). Paths ending in a file suffix and the
# API are left out by NOT_A_PAGE already.
SKIPPED = {
    "/consent/config": "JSON for consent.js",
    "/analytics/export/{table}": "a CSV download",
    "/registerutdrag/hamta/{token}/{name}": "the extract's file",
    "/recipients/{key}/agreements/{agreement_id}/document": "the agreement's document",
}
NOT_A_PAGE = re.compile(r"^/api/|^/openapi\.json$|\.(css|js|json|csv|pdf|gif)$")


@pytest.fixture(scope="module")
def findings(
    browser: Any, mailbox_at: tuple[_Collect, int], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    """The tour's findings. Under pytest-xdist the first worker takes the tour and leaves the
    findings beside the other workers' temporary directories; the others wait and read them."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return take_tour(browser, mailbox_at[0], mailbox_at[1], tmp_path_factory)
    shared = tmp_path_factory.getbasetemp().parent / "axe-findings.json"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shared.exists():
            found: dict[str, list[str]] = json.loads(shared.read_text())
            return found
        found = take_tour(browser, mailbox_at[0], mailbox_at[1], tmp_path_factory)
        shared.write_text(json.dumps(found))
        return found


@pytest.mark.parametrize("visit", PAGES, ids=lambda visit: visit.id)
def test_page_has_no_axe_violations(findings: dict[str, list[str]], visit: Page) -> None:
    assert visit.id in findings, f"the tour did not reach {visit.id}"
    problems = findings[visit.id]
    assert not problems, f"{visit.id}:\n  " + "\n  ".join(problems)


def test_the_tour_covers_every_page_it_names(findings: dict[str, list[str]]) -> None:
    assert sorted(findings) == sorted(visit.id for visit in PAGES)


@cache
def get_pages() -> frozenset[str]:
    """The app's GET routes that answer with a page."""
    policy_file = configured_policy_file()
    settings = Settings(
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        data_map=data_map_beside(policy_file),
    )
    app = create_app(settings, policy=load_test_policy(policy_file))
    # FastAPI ≥ 0.12x includes routers lazily; iter_route_contexts flattens them.
    iterate: Callable[[Any], Any] = getattr(
        fastapi_routing, "iter_route_contexts", lambda routes: routes
    )
    return frozenset(
        route.path
        for route in iterate(app.routes)
        if "GET" in (getattr(route, "methods", None) or ()) and not NOT_A_PAGE.search(route.path)
    )


def test_every_page_is_toured() -> None:
    toured = {visit.route for visit in PAGES}
    forgotten = sorted(get_pages() - toured - set(SKIPPED))
    assert not forgotten, f"GET pages neither toured nor in SKIPPED: {forgotten}"
    stale = sorted(set(SKIPPED) - get_pages())
    assert not stale, f"SKIPPED names routes the app no longer has: {stale}"
