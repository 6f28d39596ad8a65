"""/analytics pages: analyst and DPO only, charts with numbers, k-suppression shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from dataskydd.analytics.models import PageEvent
from dataskydd.clock import utc_now
from tests.policy_keys import ANALYST, COMPANY, CUSTOMER_SERVICE, DPO
from tests.web.conftest import ClientFor

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

PAGES = [
    "/analytics",
    "/analytics/times",
    "/analytics/paths",
    "/analytics/visits",
    "/analytics/campaigns",
]


@pytest.fixture
def events(session: Session) -> None:
    at = utc_now() - timedelta(days=2)
    rows = []
    for n in range(12):
        visitor, visit = f"{n:032x}", f"{n + 100:032x}"
        common = {"visitor_id": visitor, "visit_id": visit, "device": "desktop"}
        rows += [
            {**common, "kind": "view", "path": "/demo-site/", "occurred_at": at},
            {
                **common,
                "kind": "leave",
                "path": "/demo-site/",
                "occurred_at": at,
                "seconds_on_page": 30,
            },
            {
                **common,
                "kind": "view",
                "path": "/demo-site/tv",
                "occurred_at": at,
                "referrer_path": "/demo-site/",
            },
            {
                **common,
                "kind": "pixel",
                "path": "/demo-site/",
                "occurred_at": at,
                "utm_campaign": "vinter",
            },
        ]
    rows.append(
        {
            "visitor_id": "f" * 32,
            "visit_id": "e" * 32,
            "device": "desktop",
            "kind": "view",
            "path": "/demo-site/om-oss",
            "occurred_at": at,
        }
    )
    session.execute(insert(PageEvent), rows)
    session.commit()


@pytest.mark.usefixtures("events")
class TestAnalyticsPages:
    @pytest.mark.parametrize("path", PAGES)
    def test_analyst_sees_charts_and_numbers(self, client_for: ClientFor, path: str) -> None:
        response = client_for(ANALYST).get(path)
        assert response.status_code == 200
        assert "<svg" in response.text
        assert "<title" in response.text
        assert "<table" in response.text
        assert "<style" not in response.text
        assert "style=" not in response.text

    def test_small_groups_are_shown_as_less_than_k(self, client_for: ClientFor) -> None:
        html = client_for(DPO).get("/analytics").text
        assert "/demo-site/tv" in html
        assert f"&lt; {COMPANY.security.k_anonymity}" in html  # /demo-site/om-oss: one visitor
        paths = client_for(ANALYST).get("/analytics/paths").text
        assert "/demo-site/ → /demo-site/tv" in paths

    def test_swedish_by_default(self, client_for: ClientFor) -> None:
        html = client_for(ANALYST).get("/analytics/times").text
        assert "Tider" in html
        assert ">tis<" in html

    @pytest.mark.parametrize("role", [CUSTOMER_SERVICE])
    def test_other_roles_are_refused(self, client_for: ClientFor, role: str) -> None:
        assert client_for(role).get("/analytics").status_code == 403

    @pytest.mark.parametrize(
        "query",
        ["from=2026-05-02&to=2026-05-01", "from=yesterday", "from=2020-01-01&to=2026-01-01"],
    )
    def test_bad_ranges_are_4xx(self, client_for: ClientFor, query: str) -> None:
        assert client_for(ANALYST).get(f"/analytics?{query}").status_code == 422
