from __future__ import annotations

import csv
import io

import pytest

from dataskydd.policy import load_bundled_policy, render_ropa_csv, render_ropa_html, ropa_rows
from dataskydd.policy.records_of_processing import ropa_headers
from dataskydd.policy.schema import Lang


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_csv_has_a_header_and_one_complete_row_per_purpose(lang: Lang) -> None:
    policy = load_bundled_policy()
    rows = list(csv.reader(io.StringIO(render_ropa_csv(policy, lang))))
    assert rows[0] == list(ropa_headers(lang))
    assert [row[0] for row in rows[1:]] == list(policy.purposes)
    for row in rows[1:]:
        assert len(row) == len(rows[0])
        assert all(cell.strip() for cell in row), row


def test_rows_carry_the_article_30_items() -> None:
    policy = load_bundled_policy()
    rows = {row.purpose_key: row for row in ropa_rows(policy, "sv")}
    marketing = rows["marketing"]
    assert "Omilon AB" in marketing.controller
    assert "Karl-Fredrik Björklund" in marketing.controller
    assert "Samtycke (artikel 6.1 a" in marketing.legal_basis
    assert "Kunder" in marketing.subject_kinds
    assert "Besökare" in marketing.subject_kinds
    assert "nyhetsbrev" in marketing.categories
    assert "Example Mail Inc." in marketing.recipients
    assert "Data Privacy Framework" in marketing.transfers
    assert "Sparas tills du återkallar ditt samtycke." in marketing.retention
    assert "15 minuters inaktivitet" in marketing.security
    bookkeeping = rows["bookkeeping"]
    assert "bokföringslagen (1999:1078)" in bookkeeping.legal_basis
    assert "sjunde året" in bookkeeping.retention
    assert rows["web_analytics"].transfers == "Ingen överföring"


def test_html_is_a_table_with_every_purpose() -> None:
    policy = load_bundled_policy()
    html = render_ropa_html(policy, "en")
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert html.count("<tr>") == len(policy.purposes) + 1
    for purpose in policy.purposes.values():
        assert purpose.title.en in html
    assert "Record of processing activities" in html
