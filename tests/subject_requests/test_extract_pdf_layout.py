"""The PDF registerutdrag's layout (issue 15 item 8): a contents list with the page of every
category the subject has data in, categories flowing on without a page each, headings kept
with what follows them, free text wrapping within the page in a wide column, and the PDF
made from the JSON's pass (one read for the package) the same as the one read on its own."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy.orm import Session

from dataskydd import pdf_fonts
from dataskydd.subject_requests.extract import Collected, write_extract_json
from dataskydd.subject_requests.extract_pdf import write_extract_pdf
from tests import factories as f
from tests.policy_keys import COMPANY, USAGE

POLICY = COMPANY
PAGE_WIDTH = 595.27
RIGHT_MARGIN = PAGE_WIDTH - 16 * 72 / 25.4
HEADING_SIZE = 10.5  # the smallest heading; body text is 9.5, table cells 7.5
FOOTER_Y = 16 * 72 / 25.4 + 1


@dataclass(frozen=True)
class Piece:
    text: str
    x: float
    y: float
    size: float


def pdf_bytes(session: Session, subject_id: int, **options: object) -> bytes:
    buffer = io.BytesIO()
    write_extract_pdf(session, buffer, policy=POLICY, subject_id=subject_id, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def pieces(pdf: bytes) -> list[list[Piece]]:
    """Per page, each string shown, where, and in which size."""
    pages: list[list[Piece]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            pages[-1].append(Piece(text.strip(), tm[4], tm[5], size))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        pages.append([])
        page.extract_text(visitor_text=visit)
    return pages


def subject_with_a_lot(session: Session) -> int:
    """Enough rows in several categories that the document runs over many pages."""
    subject = f.SubjectFactory(given_name="Lång", family_name="Historia")
    f.EmailFactory(subject_id=subject.id, value="lang@example.se")
    for n in range(40):
        f.InvoiceFactory(subject_id=subject.id, invoice_number=f"F-{n:03}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(150):
        f.UsageEventFactory(
            subject_id=subject.id, occurred_at=start + timedelta(hours=n), item=f"Avsnitt {n}"
        )
    return int(subject.id)


def categories_with_data(session: Session, subject_id: int) -> tuple[list[str], list[str]]:
    """The titles of the categories the subject has rows in, and of the others (the JSON)."""
    out = io.StringIO()
    write_extract_json(session, out, policy=POLICY, subject_id=subject_id)
    document = json.loads(out.getvalue())
    categories = document["categories"]
    with_rows = [c["title"] for c in categories if any(t["rows"] for t in c["tables"])]
    return with_rows, [c["title"] for c in categories if c["title"] not in with_rows]


def test_the_contents_list_every_category_with_data_and_its_page(
    session: Session, factories: None
) -> None:
    subject_id = subject_with_a_lot(session)
    with_rows, without = categories_with_data(session, subject_id)
    assert len(with_rows) >= 3
    assert without
    pages = pieces(pdf_bytes(session, subject_id))
    cover = pages[0]
    top = next(p for p in cover if p.text == "Innehåll").y
    # The contents: the lines below its heading, down to the first category's heading.
    bottom = max(p.y for p in cover if p.size >= 14 and p.y < top)
    listed = [p for p in cover if bottom < p.y < top]
    titles = [p.text for p in listed if not p.text.isdigit()]
    assert titles == [*with_rows, "Dina begäranden och val", "Dina rättigheter"]
    for entry in (p for p in listed if not p.text.isdigit()):
        # Its page number stands to the right on the same line, and the page has the heading.
        number = next(p for p in listed if p.text.isdigit() and abs(p.y - entry.y) < 1)
        assert number.x > 400
        headings = [p.text for p in pages[int(number.text) - 1] if p.size >= 14]
        assert entry.text in headings, (entry.text, number.text)


def test_categories_flow_on_and_no_page_ends_in_a_heading(
    session: Session, factories: None
) -> None:
    subject_id = subject_with_a_lot(session)
    pages = pieces(pdf_bytes(session, subject_id))
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        content = [p for p in page if p.y > FOOTER_Y]
        assert any(p.size < HEADING_SIZE for p in content), f"page {number}: headings only"
        lowest = min(content, key=lambda p: p.y)
        assert lowest.size < HEADING_SIZE, f"page {number} ends in heading {lowest.text!r}"
        if number < len(pages):
            # No forced break: every page but the last is filled to its lower half.
            assert lowest.y < 842 / 2, f"page {number} half empty"
    # The first page holds the letter, the contents and the first category's beginning.
    first_category = POLICY.categories[next(iter(POLICY.categories))].title.sv
    headings = [p.text for p in pages[0] if p.size >= 14]
    assert any(h == first_category for h in headings) or len(headings) > 1


def test_long_free_text_wraps_within_the_page_in_a_wide_column(
    session: Session, factories: None
) -> None:
    subject = f.SubjectFactory()
    words = [f"ord{n}" for n in range(400)]
    f.CorrespondenceFactory(subject_id=subject.id, body=" ".join(words))
    pages = pieces(pdf_bytes(session, subject.id))
    lines = [p for page in pages for p in page if re.fullmatch(r"ord\d+( ord\d+)*", p.text)]
    assert len(lines) > 10
    regular, _bold = pdf_fonts.vera()
    for line in lines:
        assert line.x + pdf_fonts.width(line.text, regular, line.size) <= RIGHT_MARGIN + 0.5
    # Every word is there, in order, and a line holds far more than two or three words.
    shown = " ".join(line.text for line in lines).split()
    assert shown == words
    assert min(len(line.text.split()) for line in lines[:-1]) >= 8


def test_the_pdf_from_the_jsons_pass_is_the_one_read_on_its_own(
    session: Session, factories: None
) -> None:
    subject_id = subject_with_a_lot(session)
    alone = pdf_bytes(session, subject_id, rows_per_table=50)
    collected = Collected(newest=50)
    write_extract_json(
        session, io.StringIO(), policy=POLICY, subject_id=subject_id, collect=collected
    )
    buffer = io.BytesIO()
    write_extract_pdf(
        session,
        buffer,
        policy=POLICY,
        subject_id=subject_id,
        rows_per_table=50,
        collected=collected,
    )

    def texts(pdf: bytes) -> list[str]:
        # The creation time differs; what is shown must not.
        return [
            re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages
        ]

    assert texts(buffer.getvalue()) == texts(alone)
    assert "Här visas de 50 senaste av 150 rader" in " ".join(texts(alone))


def test_the_document_language_and_outline_are_set(session: Session, factories: None) -> None:
    subject_id = subject_with_a_lot(session)
    reader = PdfReader(io.BytesIO(pdf_bytes(session, subject_id, lang="en")))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert POLICY.category(USAGE).title.en in outline
    assert "Your rights" in outline
