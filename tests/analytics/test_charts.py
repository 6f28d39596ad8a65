"""SVG charts: accessible names, the numbers in the picture, suppressed cells, escaping."""

from __future__ import annotations

from xml.etree import ElementTree

from dataskydd.analytics import charts
from dataskydd.analytics.reports import Cell

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def test_bar_chart_has_a_title_values_and_suppressed_cells() -> None:
    svg = charts.bar_chart("Besökare <per> sida", [Cell("/a", 42), Cell("/b&c", None)], k=10)
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{NS}title").text == "Besökare <per> sida"  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert texts == ["/a", "42", "/b&c", "< 10"]
    assert "/b&c: < 10" in (root.find(f"{NS}desc").text or "")  # type: ignore[union-attr]


def test_line_chart_leaves_gaps_for_suppressed_points() -> None:
    svg = charts.line_chart(
        "Trafik", ["v1", "v2", "v3", "v4"], [("/start", [12, None, 15, 20])], k=10
    )
    root = parse(svg)
    polylines = list(root.iter(f"{NS}polyline"))
    assert len(polylines) == 2  # [12] and [15, 20]: the gap splits the line
    assert len(list(root.iter(f"{NS}circle"))) == 3
    assert "v2 < 10" in (root.find(f"{NS}desc").text or "")  # type: ignore[union-attr]


def test_heatmap_labels_every_cell() -> None:
    grid = [[None, 10], [20, 40]]
    root = parse(charts.heatmap("Tider", ["mån", "tis"], ["0", "1"], grid, k=10))
    rect_titles = [r.find(f"{NS}title").text for r in root.iter(f"{NS}rect")]  # type: ignore[union-attr]
    assert rect_titles == ["mån 0: <10", "mån 1: 10", "tis 0: 20", "tis 1: 40"]


def test_translate_applies_to_labels() -> None:
    svg = charts.bar_chart("x", [Cell("under 10 s", 11)], k=10, translate=str.upper)
    assert "UNDER 10 S" in svg
