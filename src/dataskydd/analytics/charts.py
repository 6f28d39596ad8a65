"""Server-rendered SVG charts: line, horizontal bar and heatmap, readable without JavaScript.

Each chart has a <title> and a <desc>, prints its numbers in the picture, and shows a
suppressed cell (fewer than k visitors) as "< k" rather than as zero. Colours are SVG
presentation attributes, not style attributes, so the strict CSP holds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from dataskydd.analytics.reports import Cell
from dataskydd.formatting import format_number

PALETTE = ("#1f5fa8", "#c8501e", "#2e8b57", "#8a3ea8", "#b8860b", "#4a4a4a")
INK = "#1d2430"
MUTED = "#8a94a3"
_ids = itertools.count(1)


def _frame(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    n = next(_ids)
    # Every piece of text in `body` went through escape() in _text or at its f-string.
    return Markup(  # noqa: S704
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-{n}-t chart-{n}-d" font-family="sans-serif" '
        f'font-size="12">'
        f'<title id="chart-{n}-t">{escape(title)}</title>'
        f'<desc id="chart-{n}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, value: object, *, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(str(value))}</text>"
    )


def number(value: float, lang: str = "sv", decimals: int = 0) -> str:
    """`formatting.format_number`, Swedish unless told: 12 345 and 12,5."""
    return format_number(value, lang, decimals)


def _shown(value: int | None, k: int, lang: str = "sv") -> str:
    return f"< {k}" if value is None else number(value, lang)


# Roughly the width of a character at font-size 12 in a sans-serif face, for fitting labels.
CHAR_WIDTH = 7.0


def fitted(label: str, width: float) -> tuple[str, bool]:
    """The label cut with an ellipsis to fit `width` pixels, and whether it was cut."""
    room = max(int(width / CHAR_WIDTH), 4)
    return (label, False) if len(label) <= room else (label[: room - 1] + "…", True)


def _label(x: float, y: float, label: str, width: float, *, anchor: str = "start") -> str:
    """A label that fits `width`; when cut, its whole text is its <title> (a tooltip)."""
    shown, cut = fitted(label, width)
    tip = f"<title>{escape(label)}</title>" if cut else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}">'
        f"{escape(shown)}{tip}</text>"
    )


def x_label_step(labels: Sequence[str], width: float) -> int:
    """Show every n-th x label so that no two overlap: each needs its text's width plus a gap."""
    if not labels:
        return 1
    need = max(len(label) for label in labels) * CHAR_WIDTH + 12
    per_label = width / max(len(labels), 1)
    return max(1, math.ceil(need / per_label))


def bar_chart(
    title: str,
    cells: Sequence[Cell],
    *,
    k: int,
    label_width: int = 220,
    translate: Callable[[str], str] | None = None,
    lang: str = "sv",
) -> Markup:
    row, width = 24, 640
    if translate is not None:
        cells = [Cell(translate(c.label), c.subjects) for c in cells]
    top = max((c.subjects or 0 for c in cells), default=0) or 1
    span = width - label_width - 70
    body: list[str] = []
    for i, cell in enumerate(cells):
        y = i * row
        body.append(_label(0, y + 16, cell.label, label_width - 8))
        length = 3 if cell.subjects is None else max(1.0, cell.subjects / top * span)
        colour = MUTED if cell.subjects is None else PALETTE[0]
        body.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="16" '
            f'fill="{colour}"/>'
        )
        body.append(_text(label_width + length + 6, y + 16, _shown(cell.subjects, k, lang)))
    desc = "; ".join(f"{c.label}: {_shown(c.subjects, k, lang)}" for c in cells)
    return _frame(width, max(row * len(cells), row) + 4, title, desc, body)


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    *,
    k: int,
    lang: str = "sv",
) -> Markup:
    """One line per series; a suppressed point is a gap in the line, not a zero."""
    width, height, left, right, top_pad, bottom = 680, 300, 48, 12, 12, 60
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max((v for _, values in series for v in values if v is not None), default=0) or 1
    step = plot_w / max(len(x_labels) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return left + i * step, top_pad + plot_h - v / top * plot_h

    body = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" '
        f'y2="{top_pad + plot_h}" stroke="{INK}"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" stroke="{INK}"/>',
        _text(left - 6, top_pad + 4, number(top, lang), anchor="end"),
        _text(left - 6, top_pad + plot_h, 0, anchor="end"),
    ]
    every = x_label_step(x_labels, plot_w)
    for i, label in enumerate(x_labels):
        if i % every == 0:
            body.append(_text(left + i * step, top_pad + plot_h + 16, label, anchor="middle"))
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        run: list[str] = []
        for i, v in enumerate([*values, None]):
            if v is not None:
                x, y = xy(i, v)
                run.append(f"{x:.1f},{y:.1f}")
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
            elif run:
                body.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
                run = []
        ly = height - 26 + (n // 3) * 14
        lx = left + (n % 3) * 210
        body.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(_label(lx + 14, ly, name, 190))
    desc = "; ".join(
        f"{name}: "
        + ", ".join(f"{x} {_shown(v, k, lang)}" for x, v in zip(x_labels, values, strict=True))
        for name, values in series
    )
    return _frame(width, height, title, desc, body)


def heatmap(
    title: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[int | None]],
    *,
    k: int,
    lang: str = "sv",
) -> Markup:
    """Darker is more; a suppressed cell is hatched grey and says "< k"."""
    cell_w, cell_h, left, top_pad = 26, 26, 40, 18
    width = left + cell_w * len(col_labels) + 4
    height = top_pad + cell_h * len(row_labels) + 4
    peak = max((v for row in values for v in row if v is not None), default=0) or 1
    body = [
        _text(left + j * cell_w + cell_w / 2, 12, c, anchor="middle")
        for j, c in enumerate(col_labels)
    ]
    for i, (label, row) in enumerate(zip(row_labels, values, strict=True)):
        y = top_pad + i * cell_h
        body.append(_text(0, y + 17, label))
        for j, v in enumerate(row):
            x = left + j * cell_w
            if v is None:
                fill, ink, shown = "#e4e7ec", MUTED, f"<{k}"
            else:
                share = v / peak
                fill = _shade(share)
                ink, shown = ("#ffffff" if share > 0.55 else INK), number(v, lang)
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}">'
                f"<title>{escape(label)} {escape(col_labels[j])}: {escape(shown)}</title></rect>"
            )
            body.append(
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 16}" text-anchor="middle" '
                f'font-size="9" fill="{ink}">{escape(shown)}</text>'
            )
    desc = f"{len(row_labels)} × {len(col_labels)} cells; the largest is {peak}."
    return _frame(width, height, title, desc, body)


def _shade(share: float) -> str:
    """From pale to the accent blue (#1f5fa8)."""
    low, high = (235, 242, 250), (31, 95, 168)
    channel = [round(a + (b - a) * share) for a, b in zip(low, high, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in channel)
