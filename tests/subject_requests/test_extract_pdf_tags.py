"""The PDF registerutdrag is a tagged PDF (issue 15): marked as such, in the subject's language,
titled, every piece of text either in the structure tree (headings, paragraphs, tables of
rows and cells, the contents) or an artifact (the footers), each marked-content id reachable
from the parent tree and back, and the headings in the tree in the outline's order.

veraPDF (the PDF/UA validator) is Java and not part of the test tools; these checks read the
structure with pypdf."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import BooleanObject, ContentStream, DictionaryObject
from sqlalchemy.orm import Session

from tests import factories as f
from tests.subject_requests.test_extract_pdf_layout import pdf_bytes, subject_with_a_lot

pytestmark = pytest.mark.every_company


@dataclass
class Marked:
    """Per page: the text of each MCID, the texts shown as artifacts, and any text shown
    outside marked content."""

    by_mcid: dict[int, str] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    unmarked: list[str] = field(default_factory=list)


def _to_unicode(font: DictionaryObject) -> dict[int, str]:
    if "/ToUnicode" not in font:  # ReportLab's Helvetica for its page preamble, unused
        return {}
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    return {
        int(code, 16): chr(int(char, 16))
        for code, char in re.findall(r"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]{4})>", cmap)
    }


def marked_content(reader: PdfReader) -> list[Marked]:
    pages = []
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        maps = {name: _to_unicode(font.get_object()) for name, font in fonts.items()}
        marked = Marked()
        stack: list[tuple[str, int | None]] = []
        font = ""
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"BDC":
                properties = operands[1]
                mcid = properties.get("/MCID") if isinstance(properties, dict) else None
                stack.append((str(operands[0]), mcid))
                if mcid is not None:
                    marked.by_mcid[mcid] = ""
                    marked.tags[mcid] = str(operands[0])
            elif operator == b"BMC":
                stack.append((str(operands[0]), None))
            elif operator == b"EMC":
                stack.pop()
            elif operator == b"Tf":
                font = str(operands[0])
            elif operator == b"Tj":
                shown = operands[0]
                codes = shown if isinstance(shown, bytes) else shown.original_bytes
                text = "".join(maps[font].get(code, "?") for code in codes)
                if not stack:
                    marked.unmarked.append(text)
                elif stack[-1][0] == "/Artifact":
                    marked.artifacts.append(text)
                else:
                    mcid = stack[-1][1]
                    assert mcid is not None, stack
                    marked.by_mcid[mcid] = (marked.by_mcid[mcid] + " " + text).strip()
        assert not stack, "marked content left open at the end of the page"
        pages.append(marked)
    return pages


def elements(node: DictionaryObject) -> Iterator[DictionaryObject]:
    """The structure elements under `node`, in reading order (depth first)."""
    kids = node.get("/K", [])
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object()
        # A structure element has a type (/S); a marked-content reference (/MCR) has not.
        if isinstance(kid, DictionaryObject) and "/S" in kid:
            yield kid
            yield from elements(kid)


def content_of(element: DictionaryObject, page_of: dict[int, int]) -> list[tuple[int, int]]:
    """The element's own marked content: (page index, MCID)."""
    kids = element.get("/K", [])
    found = []
    for kid in kids if isinstance(kids, list) else [kids]:
        if isinstance(kid, int):
            found.append((page_of[element.raw_get("/Pg").idnum], int(kid)))
        else:
            kid = kid.get_object()
            if kid.get("/Type") == "/MCR":
                found.append((page_of[kid.raw_get("/Pg").idnum], int(kid["/MCID"])))
    return found


def read(pdf: bytes) -> tuple[PdfReader, Any, list[Marked], dict[int, int]]:
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    page_of = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    return reader, root, marked_content(reader), page_of


def text_of(element: DictionaryObject, pages: list[Marked], page_of: dict[int, int]) -> str:
    return " ".join(pages[p].by_mcid[m] for p, m in content_of(element, page_of))


def test_marked_titled_in_its_language_and_displayed_by_title(
    session: Session, factories: None
) -> None:
    subject = f.SubjectFactory()
    pdf = pdf_bytes(session, subject.id, lang="en")
    assert pdf.startswith(b"%PDF-1.7")  # page /Tabs are PDF 1.5
    reader, root, _pages, _page_of = read(pdf)
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    assert reader.metadata is not None
    assert reader.metadata.title == "Copy of your personal data"
    for number, page in enumerate(reader.pages):
        assert page["/Tabs"] == "/S"
        assert page["/StructParents"] == number


def test_every_text_is_tagged_or_an_artifact_and_the_footers_are_artifacts(
    session: Session, factories: None
) -> None:
    subject_id = subject_with_a_lot(session)
    _reader, root, pages, _page_of = read(pdf_bytes(session, subject_id))
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert page.unmarked == [], f"page {number}"
        assert f"Sida {number} av {len(pages)}" in page.artifacts
        assert f"Sida {number} av" not in " ".join(page.by_mcid.values())
    tags = [str(e["/S"]) for e in elements(root["/StructTreeRoot"])]
    assert tags[0] == "/Document"
    for tag in ("/H1", "/H2", "/P", "/Table", "/TR", "/TH", "/TD", "/TOC", "/TOCI", "/Link"):
        assert tag in tags, tag


def test_every_mcid_is_in_the_parent_tree_and_its_element_holds_it(
    session: Session, factories: None
) -> None:
    subject_id = subject_with_a_lot(session)
    _reader, root, pages, page_of = read(pdf_bytes(session, subject_id))
    tree = root["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    assert tree["/ParentTreeNextKey"] > len(pages)  # the pages', then the links' keys
    held = set()
    for element in elements(tree):
        held.update(content_of(element, page_of))
    for number, page in enumerate(pages):
        owners = parents[number]
        assert sorted(page.by_mcid) == list(range(len(owners)))
        for mcid, tag in page.tags.items():
            owner = owners[mcid].get_object()
            assert str(owner["/S"]) == tag
            assert (number, mcid) in content_of(owner, page_of)
            assert (number, mcid) in held
    assert held == {(n, m) for n, page in enumerate(pages) for m in page.by_mcid}


def test_the_contents_links_are_link_elements_of_their_entries(
    session: Session, factories: None
) -> None:
    subject_id = subject_with_a_lot(session)
    reader, root, pages, page_of = read(pdf_bytes(session, subject_id))
    tree = root["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    links = [link.get_object() for page in reader.pages for link in page.get("/Annots", [])]
    assert len(links) >= 4
    assert tree["/ParentTreeNextKey"] == len(pages) + len(links)
    for annotation in links:
        element = parents[annotation["/StructParent"]].get_object()
        assert element["/S"] == "/Link"
        assert element["/P"]["/S"] == "/TOCI"
        kids = element["/K"]
        objects = [k.get_object() for k in kids if not isinstance(k, int)]
        assert any(
            o.get("/Type") == "/OBJR"
            and o.raw_get("/Obj").idnum == annotation.indirect_reference.idnum
            for o in objects
        )
        # The entry's title, then its page number, are the link's text.
        title, page_number = text_of(element, pages, page_of).rsplit(" ", 1)
        assert annotation["/Contents"] == title
        assert page_number.isdigit()


def test_tables_have_header_cells_once_and_a_row_per_value(
    session: Session, factories: None
) -> None:
    subject_id = subject_with_a_lot(session)
    _reader, root, pages, page_of = read(pdf_bytes(session, subject_id))
    tables = {}
    for element in elements(root["/StructTreeRoot"]):
        if element["/S"] == "/Table":
            cells = [text_of(e, pages, page_of) for e in elements(element) if e["/S"] == "/TD"]
            for value in ("F-007", "Avsnitt 149"):
                if value in cells:
                    tables[value] = element
    for value, rows_shown in (("F-007", 40), ("Avsnitt 149", 150)):
        table = tables[value]
        rows = [e for e in elements(table) if e["/S"] == "/TR"]
        headers = [e for e in elements(table) if e["/S"] == "/TH"]
        pages_of_cells = {p for e in elements(table) for p, _m in content_of(e, page_of)}
        # The header row once, though the usage table's is repeated on every page it is on.
        assert len(rows) == 1 + rows_shown, value
        assert headers
        assert all(e["/A"]["/Scope"] == "/Column" for e in headers)
    assert len(pages_of_cells) >= 2
    assert "Fakturanummer" in [text_of(e, pages, page_of) for e in headers_of(tables["F-007"])]


def headers_of(table: DictionaryObject) -> list[DictionaryObject]:
    return [e for e in elements(table) if e["/S"] == "/TH"]


def test_headings_in_the_tree_follow_the_outline(session: Session, factories: None) -> None:
    subject_id = subject_with_a_lot(session)
    reader, root, pages, page_of = read(pdf_bytes(session, subject_id))
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    headings = [
        text_of(e, pages, page_of) for e in elements(root["/StructTreeRoot"]) if e["/S"] == "/H1"
    ]
    assert headings[0] == "Registerutdrag"
    assert len(outline) >= 4
    assert [h for h in headings if h in outline] == outline
