"""Pages laid out in Python and drawn straight onto ReportLab's canvas, for documents of
text and tables (the registerutdrag): no Platypus flowables, whose `Paragraph` per table cell
made the registerutdrag's PDF three quarters of an export's time (issue 13).

`Flow` puts content down the pages: paragraphs wrapped to the line, headings kept on one page
with the start of what follows them, tables with columns sized by their content and their
header row repeated on every page they continue on. `contents` reserves a table of contents
whose page numbers `number_contents` fills in once everything is laid out; `draw` writes the
pages, each with a footer, an outline entry per marked heading and the contents' links.

Everything shown is tagged as it is put down (`pdf_tags`): a paragraph /P, a heading /H1 or
/H2, a table /Table of /TR rows of /TH and /TD cells (its header row repeated on a later page
an artifact), the contents /TOC of /TOCI entries, each a /Link holding its title, page number
and link annotation; rules, fills and footers are artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from dataskydd import pdf_fonts, pdf_tags

# --- the page -----------------------------------------------------------------------------------

_WIDTH, _HEIGHT = A4
_LEFT = 16 * mm
_RIGHT = _WIDTH - 16 * mm
_TOP = _HEIGHT - 16 * mm
_BOTTOM = 16 * mm + 12  # the footer's line below
_ROOM = _RIGHT - _LEFT
_PAD = 2.5  # inside a table cell, each side
_SHORT = 0.18 * _ROOM  # a value this wide (with padding) is kept on one line
_FREE = 0.4  # the share of the line the longest free text gets at least
_GRID = "0.722 0.753 0.8 RG 0.25 w"  # #b8c0cc, hairline
_HEAD_FILL = "0.91 0.929 0.961 rg"  # #e8edf5


@dataclass(frozen=True)
class Style:
    font: str
    size: float
    leading: float
    before: float = 0.0
    after: float = 0.0


def styles() -> dict[str, Style]:
    regular, bold = pdf_fonts.vera()
    return {
        "title": Style(bold, 20, 24, 0, 6),
        "h1": Style(bold, 14, 18, 14, 3),
        "h2": Style(bold, 10.5, 13, 7, 2),
        "body": Style(regular, 9.5, 12.5, 0, 2),
        "cell": Style(regular, 7.5, 9),
        "head": Style(bold, 7.5, 9),
        "foot": Style(regular, 7.5, 9),
    }


@dataclass
class Page:
    graphics: list[str] = field(default_factory=lambda: [_GRID])
    text: list[str] = field(default_factory=list)
    marks: list[tuple[str, str, float]] = field(default_factory=list)  # key, title, top
    # key, title, area, and the /Link element the annotation belongs to
    links: list[tuple[str, str, tuple[float, float, float, float], int]] = field(
        default_factory=list
    )
    owners: list[int] = field(default_factory=list)  # the structure element of each MCID


class Flow:
    """Content flowing down the pages: `y` is the top of the next line on the last page."""

    def __init__(self, writer: pdf_fonts.PageText, styles: dict[str, Style]) -> None:
        self.writer = writer
        self.styles = styles
        self.pages = [Page()]
        self.y = _TOP
        self.tree = pdf_tags.Tree()
        self._marking = pdf_tags.ARTIFACT  # the element what is shown next belongs to
        self._open = False  # whether its marked content is open on this page

    def tagged(self, tag: str, parent: int = 0) -> int:
        """A new structure element, the owner of what is shown next (until the next)."""
        element = self.tree.add(tag, parent)
        self.mark(element)
        return element

    def mark(self, element: int) -> None:
        """What is shown next belongs to `element` (or is `pdf_tags.ARTIFACT`)."""
        self.end_marking()
        self._marking = element

    def end_marking(self) -> None:
        if self._open:
            self.page.text.append("EMC")
            self._open = False

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.end_marking()  # what continues on the next page is marked there again
        self.pages.append(Page())
        self.y = _TOP

    def ensure(self, height: float) -> None:
        """A new page unless `height` fits on this one (a fresh page takes what it gets)."""
        if self.y - height < _BOTTOM and self.y < _TOP:
            self.new_page()

    def show(self, line: str, style: Style, x: float, top: float) -> None:
        baseline = top - 0.8 * style.leading
        if not self._open:
            owners = self.page.owners
            self.page.text.append(self.tree.mark(self._marking, len(self.pages) - 1, owners))
            self._open = True
        self.page.text.append(self.writer.show(line, style.font, style.size, x, baseline))

    def lines(self, text: str, style: Style, indent: float = 0.0) -> list[str]:
        return pdf_fonts.wrap(text, style.font, style.size, _ROOM - indent)

    def paragraph(self, text: str, style: str = "body", indent: float = 0.0) -> None:
        chosen = self.styles[style]
        lines = self.lines(text, chosen, indent)
        if self.y < _TOP:
            self.y -= chosen.before
        self.ensure(min(len(lines), 2) * chosen.leading)  # never one line alone at the foot
        self.tagged("H1" if style == "title" else "P")
        for line in lines:
            if self.y - chosen.leading < _BOTTOM:
                self.new_page()
            self.show(line, chosen, _LEFT + indent, self.y)
            self.y -= chosen.leading
        self.mark(pdf_tags.ARTIFACT)
        self.y -= chosen.after

    def heading(self, text: str, style: str, keep: float, mark: str | None = None) -> None:
        """A heading kept on one page with the first `keep` points of what follows it."""
        chosen = self.styles[style]
        lines = self.lines(text, chosen)
        if self.y < _TOP:
            self.y -= chosen.before
        self.ensure(len(lines) * chosen.leading + chosen.after + keep)
        if mark is not None:
            self.page.marks.append((mark, text, self.y))
        self.tagged("H1" if style == "h1" else "H2")
        for line in lines:
            self.show(line, chosen, _LEFT, self.y)
            self.y -= chosen.leading
        self.mark(pdf_tags.ARTIFACT)
        self.y -= chosen.after

    def height_of(self, text: str, style: str) -> float:
        chosen = self.styles[style]
        return len(self.lines(text, chosen)) * chosen.leading + chosen.before + chosen.after


# --- tables -------------------------------------------------------------------------------------


def _column_widths(
    header: list[str], rows: list[list[str]], styles: dict[str, Style]
) -> list[float]:
    """Widths by content: a column whose longest value fits in its fair share gets just
    that; the columns with longer values share the rest in proportion to their length, and
    the longest (free text) gets at least `_FREE` of the line, taken from the others down to
    what keeps a short value (a date, a code) on one line: free text wraps in a wide
    column, never at a few words a line."""
    cell, head = styles["cell"], styles["head"]
    natural = [pdf_fonts.width(h, head.font, head.size) + 2 * _PAD for h in header]
    for row in rows:
        for index, value in enumerate(row):
            if value:
                wide = pdf_fonts.width(value, cell.font, cell.size) + 2 * _PAD
                if wide > natural[index]:
                    natural[index] = wide
    if sum(natural) <= _ROOM:
        extra = (_ROOM - sum(natural)) / len(natural)
        return [w + extra for w in natural]
    words = [
        max(pdf_fonts.width(w, head.font, head.size) for w in (h.split() or [""])) + 2 * _PAD
        for h in header
    ]
    least = [n if n <= _SHORT else max(w, _SHORT / 2) for n, w in zip(natural, words, strict=True)]
    widths = [0.0] * len(header)
    left, room = set(range(len(header))), _ROOM
    for index in sorted(left, key=natural.__getitem__):
        if natural[index] <= room / len(left):
            widths[index] = natural[index]
            room -= natural[index]
            left.discard(index)
    weight = sum(natural[i] for i in left)
    for index in left:
        widths[index] = max(least[index], room * natural[index] / weight)
    free = max(range(len(header)), key=natural.__getitem__)
    deficit = min(natural[free], _FREE * _ROOM) - widths[free]
    spare = sum(w - m for i, (w, m) in enumerate(zip(widths, least, strict=True)) if i != free)
    if deficit > 0 and spare > 0:
        taken = min(deficit, spare)
        for index in range(len(header)):
            if index != free:
                widths[index] -= (widths[index] - least[index]) * taken / spare
        widths[free] += taken
    scale = min(1.0, _ROOM / sum(widths))
    return [w * scale for w in widths]


def _wrapped(values: list[str], widths: list[float], style: Style) -> list[list[str]]:
    return [
        pdf_fonts.wrap(value, style.font, style.size, width - 2 * _PAD) if value else []
        for value, width in zip(values, widths, strict=True)
    ]


def table(
    flow: Flow, title: str, note: str | None, header: list[str], rows: list[list[str]]
) -> None:
    """A titled table; the title stays with the note and the first rows, the header row is
    repeated at the top of every page the table continues on."""
    styles = flow.styles
    cell, head = styles["cell"], styles["head"]
    widths = _column_widths(header, rows, styles)
    head_lines = _wrapped(header, widths, head)
    head_height = max(len(c) for c in head_lines) * head.leading + 2 * _PAD
    first = rows[:2]
    keep = head_height + sum(
        max(1, *(len(c) for c in _wrapped(r, widths, cell))) * cell.leading + 2 * _PAD
        for r in first
    )
    if note is not None:
        keep += flow.height_of(note, "body")
    flow.heading(title, "h2", keep)
    if note is not None:
        flow.paragraph(note)
    tree = flow.tree
    element = tree.add("Table")
    lefts = [_LEFT]
    for width in widths[:-1]:
        lefts.append(lefts[-1] + width)
    right = lefts[-1] + widths[-1]

    def header_row(first: bool) -> None:
        """The header row: in the structure once, repeated on later pages as an artifact."""
        flow.page.graphics.append(
            f"{_HEAD_FILL} {_LEFT:.2f} {flow.y - head_height:.2f} {right - _LEFT:.2f} "
            f"{head_height:.2f} re f"
        )
        row_at(head_lines, head, head_height, "TH" if first else None)

    def row_at(cells: list[list[str]], style: Style, height: float, tag: str | None) -> None:
        row = tree.add("TR", element) if tag is not None else pdf_tags.ARTIFACT
        flow.mark(pdf_tags.ARTIFACT)
        for x, lines in zip(lefts, cells, strict=True):
            if tag is not None:
                flow.tagged(tag, row)  # an empty cell is an element without content
            top = flow.y - _PAD
            for line in lines:
                flow.show(line, style, x + _PAD, top)
                top -= style.leading
        flow.mark(pdf_tags.ARTIFACT)
        flow.y -= height
        flow.page.graphics.append(f"{_LEFT:.2f} {flow.y:.2f} m {right:.2f} {flow.y:.2f} l S")

    def close(top: float) -> None:
        """The segment's vertical lines, from the header's top to its last row."""
        bottom = flow.y
        flow.page.graphics.append(
            " ".join(f"{x:.2f} {top:.2f} m {x:.2f} {bottom:.2f} l" for x in (*lefts, right))
            + f" S {_LEFT:.2f} {top:.2f} m {right:.2f} {top:.2f} l S"
        )

    flow.y -= 2
    top = flow.y
    header_row(True)
    for values in rows:
        cells = _wrapped(values, widths, cell)
        height = max(1, *(len(c) for c in cells)) * cell.leading + 2 * _PAD
        if flow.y - height < _BOTTOM:
            close(top)
            flow.new_page()
            top = flow.y
            header_row(False)
        row_at(cells, cell, height, "TD")
    close(top)
    flow.y -= 4


def contents(flow: Flow, heading: str, entries: list[tuple[str, str]]) -> list[Any]:
    """The table of contents' lines; their page numbers are filled in once laid out."""
    body = flow.styles["body"]
    flow.heading(heading, "h2", body.leading)
    toc = flow.tree.add("TOC")
    places = []
    for key, title in entries:
        flow.ensure(body.leading)
        end = _LEFT + pdf_fonts.width(title, body.font, body.size)
        item = flow.tagged("Link", flow.tree.add("TOCI", toc))
        places.append((key, title, item, len(flow.pages) - 1, flow.y, end))
        flow.show(title, body, _LEFT, flow.y)
        flow.y -= body.leading
    flow.mark(pdf_tags.ARTIFACT)
    return places


def number_contents(flow: Flow, places: list[Any]) -> None:
    """Each entry's page number, marked as part of its entry, and its link."""
    flow.end_marking()
    body = flow.styles["body"]
    where = {
        key: (number, top) for number, page in enumerate(flow.pages) for key, _, top in page.marks
    }
    for key, title, item, index, top, end in places:
        number = str(where[key][0] + 1)
        page = flow.pages[index]
        right = _RIGHT - pdf_fonts.width(number, body.font, body.size)
        page.text.append(flow.tree.mark(item, index, page.owners))
        page.text.append(
            flow.writer.show(number, body.font, body.size, right, top - 0.8 * body.leading)
        )
        page.text.append("EMC")
        baseline = top - 0.8 * body.leading
        page.graphics.append(
            f"[0.5 2] 0 d {end + 4:.2f} {baseline:.2f} m {right - 4:.2f} {baseline:.2f} l S [] 0 d"
        )
        page.links.append((key, title, (_LEFT, top - body.leading, _RIGHT, top), item))


def draw(canvas: Canvas, flow: Flow, footer: str, paging: str) -> None:
    """The pages onto the canvas, and their structure tree; `paging` is the footer's
    "page {page} of {pages}"."""
    flow.end_marking()
    foot = flow.styles["foot"]
    pages = len(flow.pages)
    for number, page in enumerate(flow.pages, start=1):
        numbered = paging.format(page=number, pages=pages)
        x = _RIGHT - pdf_fonts.width(numbered, foot.font, foot.size)
        page.text.append("/Artifact <</Type /Pagination>> BDC")
        page.text.append(flow.writer.show(numbered, foot.font, foot.size, x, 16 * mm))
        page.text.append(flow.writer.show(footer, foot.font, foot.size, _LEFT, 16 * mm))
        page.text.append("EMC")
        canvas.addLiteral("/Artifact BMC " + " ".join(page.graphics) + " EMC")
        canvas.addLiteral("BT 0 g " + " ".join(page.text) + " ET")
        for key, title, top in page.marks:
            canvas.bookmarkHorizontalAbsolute(key, top)
            canvas.addOutlineEntry(title, key, 0)
        for key, title, rect, item in page.links:
            name = flow.tree.link(item, number - 1)
            canvas.linkAbsolute(title, key, Rect=rect, name=name)  # its Contents: the title
        canvas.showPage()
    pdf_tags.write(canvas, flow.tree, [page.owners for page in flow.pages])
