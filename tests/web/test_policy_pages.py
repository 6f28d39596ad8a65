"""Policy pages: overview, notice preview, and the record of processing as page and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from tests.policy_keys import ANALYST, COMPANY, CONTRACT_PURPOSE, NAME
from tests.web.conftest import ClientFor

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


@pytest.fixture
def analyst(client_for: ClientFor) -> TestClient:
    return client_for(ANALYST)


class TestOverview:
    def test_lists_purposes_categories_and_recipients(self, analyst: TestClient) -> None:
        page = analyst.get("/policy")
        assert page.status_code == 200
        text = page.text
        assert "Ändamål" in text
        assert "Rättslig grund" in text
        assert "Lagringstid" in text
        assert COMPANY.purpose(CONTRACT_PURPOSE).title.sv in text
        assert "Fullgörande av avtal" in text
        assert COMPANY.category(NAME).title.sv in text
        assert "Mottagare" in text
        for href in ("/policy/notice", "/policy/ropa", "/policy/ropa.csv"):
            assert f'href="{href}' in text

    def test_in_english(self, analyst: TestClient) -> None:
        page = analyst.get("/policy", params={"lang": "en"})
        assert "Legal basis" in page.text
        assert COMPANY.purpose(CONTRACT_PURPOSE).title.en in page.text
        assert "Performance of a contract" in page.text

    def test_needs_sign_in(self, anonymous: TestClient) -> None:
        assert anonymous.get("/policy", follow_redirects=False).status_code == 303


class TestNotice:
    @pytest.mark.parametrize("lang", ["sv", "en"])
    def test_preview_in_each_language(self, analyst: TestClient, lang: str) -> None:
        page = analyst.get("/policy/notice", params={"lang": lang})
        assert page.status_code == 200
        assert COMPANY.notice.title is not None
        assert COMPANY.notice.title.get(lang) in page.text  # type: ignore[arg-type]
        assert 'href="/static/notice.css"' in page.text
        assert "<style" not in page.text

    def test_unknown_language_is_422(self, analyst: TestClient) -> None:
        assert analyst.get("/policy/notice", params={"lang": "de"}).status_code == 422


class TestRecordOfProcessing:
    def test_page_has_one_row_per_purpose(self, analyst: TestClient) -> None:
        page = analyst.get("/policy/ropa")
        assert page.status_code == 200
        assert "Registerförteckning" in page.text
        assert page.text.count('<th scope="row">') == len(COMPANY.purposes)

    @pytest.mark.parametrize(("lang", "header"), [("sv", "Ändamål"), ("en", "Purpose")])
    def test_csv_download(self, analyst: TestClient, lang: str, header: str) -> None:
        response = analyst.get("/policy/ropa.csv", params={"lang": lang})
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            "attachment; filename=registerforteckning.csv"
        )
        rows = list(csv.reader(io.StringIO(response.text)))
        policy = COMPANY
        assert rows[0][1] == header
        assert [row[0] for row in rows[1:]] == list(policy.purposes)

    def test_csv_with_unknown_language_is_422(self, analyst: TestClient) -> None:
        assert analyst.get("/policy/ropa.csv", params={"lang": "fi"}).status_code == 422
