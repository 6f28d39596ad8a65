"""/analytics/overview, its CSV/JSON downloads and /api/v1/analytics: presets, k-anonymity,
Swedish numbers, and keys without the statistics purpose refused."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from dataskydd.analytics import rollups, web_stats
from dataskydd.analytics.models import PageEvent
from dataskydd.auth import api_keys
from dataskydd.clock import SWEDEN, utc_now
from tests.policy_keys import (
    ANALYST,
    COMPANY,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    statistics_purpose,
)
from tests.web.conftest import ClientFor

pytestmark = pytest.mark.every_company

K = COMPANY.security.k_anonymity
MANY = K + 1200  # enough for a thousands separator in the figures


@pytest.fixture
def events(session: Session) -> None:
    """MANY visitors on /demo-site/ two days ago (a bounce each, from google.se), and one
    visitor on /demo-site/ensam."""
    at = utc_now() - timedelta(days=2)
    rows = [
        {
            "visitor_id": f"{n:032x}",
            "visit_id": f"{n + 100_000:032x}",
            "device": "desktop",
            "browser": "firefox",
            "kind": "view",
            "path": "/demo-site/",
            "referrer_site": "google.se",
            "occurred_at": at,
        }
        for n in range(MANY)
    ]
    rows.append(
        {**rows[0], "visitor_id": "f" * 32, "visit_id": "e" * 32, "path": "/demo-site/ensam"}
    )
    session.execute(insert(PageEvent), rows)
    session.commit()


def key_for(session: Session, purpose: str) -> dict[str, str]:
    _row, key = api_keys.create_api_key(
        session, actor="test", policy=COMPANY, name="analytics", purposes=[purpose]
    )
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.usefixtures("events")
class TestOverviewPage:
    @pytest.mark.parametrize("section", ["sources", "devices", "pages", "times"])
    def test_every_section_has_charts_tables_and_downloads(
        self, client_for: ClientFor, section: str
    ) -> None:
        response = client_for(ANALYST).get(f"/analytics/overview?preset=7d&section={section}")
        assert response.status_code == 200, response.text[:300]
        html = response.text
        assert "<svg" in html
        assert "<table" in html
        assert "format=csv" in html
        assert "style=" not in html

    def test_figures_in_swedish_and_small_groups_hidden(self, client_for: ClientFor) -> None:
        html = client_for(ANALYST).get("/analytics/overview?preset=7d&section=pages").text
        assert "Nyckeltal" in html
        assert f"{MANY // 1000}\u00a0{MANY % 1000:03d}" in html  # 1 2xx visitor-days
        assert "/demo-site/ensam" not in html  # one visitor: not listed
        assert "100,0" in html  # bounce rate with a decimal comma

    def test_same_figures_after_the_rollup(self, client_for: ClientFor, session: Session) -> None:
        before = client_for(ANALYST).get("/analytics/export/pages?format=json&preset=7d").json()
        day = (utc_now() - timedelta(days=2)).astimezone(SWEDEN).date()
        rollups.roll_up_day(session, day)
        session.commit()
        after = client_for(ANALYST).get("/analytics/export/pages?format=json&preset=7d").json()
        assert after == before
        assert after["rows"] == [{"label": "/demo-site/", "visitor_days": MANY, "views": MANY}]

    def test_csv_download(self, client_for: ClientFor) -> None:
        response = client_for(ANALYST).get("/analytics/export/referrers?format=csv&preset=30d")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["label", *web_stats.TABLES["referrers"].figures]
        assert rows[1][:3] == ["google.se", str(MANY + 1), str(MANY + 1)]

    @pytest.mark.parametrize(
        "query",
        [
            "preset=week",
            "from=2026-05-02&to=2026-05-01",
            "from=yesterday",
            "preset=7d&from=2026-05-01",
            "section=everything",
        ],
    )
    def test_bad_input_is_a_clear_422(self, client_for: ClientFor, query: str) -> None:
        response = client_for(ANALYST).get(f"/analytics/overview?{query}")
        assert response.status_code == 422
        assert "Traceback" not in response.text

    def test_other_roles_are_refused(self, client_for: ClientFor) -> None:
        client = client_for(CUSTOMER_SERVICE)
        assert client.get("/analytics/overview").status_code == 403
        assert client.get("/analytics/export/pages").status_code == 403


@pytest.mark.usefixtures("events")
class TestApi:
    def test_summary_and_tables(self, anonymous: TestClient, session: Session) -> None:
        headers = key_for(session, statistics_purpose(COMPANY))
        summary = anonymous.get("/api/v1/analytics/summary?preset=7d", headers=headers)
        assert summary.status_code == 200, summary.text
        body = summary.json()
        assert body["visits"]["value"] == MANY + 1
        assert body["bounce_rate"]["value"] == 100.0
        assert "from" in body
        for table in web_stats.TABLES:
            response = anonymous.get(f"/api/v1/analytics/tables/{table}", headers=headers)
            assert response.status_code == 200, (table, response.text)
            for row in response.json()["rows"]:
                assert row["visitor_days"] is None or row["visitor_days"] >= K

    def test_a_key_without_the_purpose_is_refused(
        self, anonymous: TestClient, session: Session
    ) -> None:
        headers = key_for(session, CONTRACT_PURPOSE)
        response = anonymous.get("/api/v1/analytics/tables/pages", headers=headers)
        assert response.status_code == 403
        assert statistics_purpose(COMPANY) in response.json()["detail"]

    def test_no_key_is_401(self, anonymous: TestClient) -> None:
        assert anonymous.get("/api/v1/analytics/summary").status_code == 401

    def test_bad_period_is_422(self, anonymous: TestClient, session: Session) -> None:
        headers = key_for(session, statistics_purpose(COMPANY))
        response = anonymous.get(
            "/api/v1/analytics/summary?from=2026-05-02&to=2026-05-01", headers=headers
        )
        assert response.status_code == 422
        assert "from" in response.text
