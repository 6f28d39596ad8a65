"""Readable charts (issue 14): no overlapping x labels, long labels cut with their whole text
as a tooltip, Swedish numbers."""

from __future__ import annotations

import itertools
from xml.etree import ElementTree

from dataskydd.analytics import charts
from dataskydd.analytics.reports import Cell

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def test_swedish_and_english_numbers() -> None:
    assert charts.number(1234567) == "1\u00a0234\u00a0567"
    assert charts.number(12.5, decimals=1) == "12,5"
    assert charts.number(1234567, "en") == "1,234,567"
    svg = charts.bar_chart("x", [Cell("/a", 12345)], k=10)
    assert "12\u00a0345" in svg


def test_a_long_label_is_cut_and_keeps_its_text_as_a_title() -> None:
    long = "/demo-site/" + "mycket-lång-sida/" * 6
    root = parse(charts.bar_chart("x", [Cell(long, 20), Cell("/kort", 15)], k=10))
    texts = list(root.iter(f"{NS}text"))
    cut = texts[0]
    assert cut.text is not None
    assert cut.text.endswith("…")
    assert len(cut.text) * charts.CHAR_WIDTH <= 220
    assert cut.find(f"{NS}title").text == long  # type: ignore[union-attr]
    assert texts[2].text == "/kort"
    assert texts[2].find(f"{NS}title") is None


def test_x_labels_never_overlap() -> None:
    labels = [f"2026-11-{d:02d}" for d in range(1, 31)]
    root = parse(charts.line_chart("t", labels, [("/a", list(range(30)))], k=10))
    xs = [float(t.get("x", 0)) for t in root.iter(f"{NS}text") if t.text in labels]
    assert len(xs) >= 4
    width = len(labels[0]) * charts.CHAR_WIDTH
    assert all(b - a >= width for a, b in itertools.pairwise(xs))
