"""The PDF registerutdrag reads like a letter: Swedish headings, no raw column names, every
category the subject has data in, and a pointer to the JSON when a table is long."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy.orm import Session

from dataskydd.policy.loader import load_bundled_policy
from dataskydd.subject_requests.extract_pdf import write_extract_pdf
from tests import factories as f

POLICY = load_bundled_policy()


def pdf_text(session: Session, subject_id: int, **options: object) -> str:
    buffer = io.BytesIO()
    write_extract_pdf(session, buffer, policy=POLICY, subject_id=subject_id, **options)  # type: ignore[arg-type]
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_swedish_letter_with_each_category_and_readable_columns(
    session: Session, factories: None
) -> None:
    subject = f.SubjectFactory(given_name="Åsa", family_name="Öberg")
    f.EmailFactory(subject_id=subject.id, value="asa@example.se")
    f.InvoiceFactory(subject_id=subject.id, invoice_number="F-777")
    f.UsageEventFactory(subject_id=subject.id, item="Sportnytt")
    text = pdf_text(session, subject.id)
    assert "Registerutdrag" in text
    assert "Till: Åsa Öberg" in text
    for heading in (
        "Kontaktuppgifter",
        "Fakturor och betalningar",
        "Användning av tjänsterna",
        "Varför vi behandlar uppgifterna",
        "Hur länge vi sparar dem",
        "Dina rättigheter",
        "Integritetsskyddsmyndigheten",
    ):
        assert heading in text, heading
    assert "asa@example.se" in text
    assert "F-777" in text
    assert "Sportnytt" in text
    assert "Fakturanummer" in text
    for raw in ("invoice_number", "family_name", "occurred_at", "lookup_index"):
        assert raw not in text
    # Categories without data are listed, not given pages of their own.
    assert "har inga sådana om dig" in text


def test_long_tables_point_to_the_json(session: Session, factories: None) -> None:
    subject = f.SubjectFactory()
    for _ in range(7):
        f.UsageEventFactory(subject_id=subject.id)
    text = pdf_text(session, subject.id, rows_per_table=5)
    assert "Ytterligare 2 rader finns i filen registerutdrag.json" in text


def test_english(session: Session, factories: None) -> None:
    subject = f.SubjectFactory()
    f.ContractFactory(subject_id=subject.id)
    text = pdf_text(session, subject.id, lang="en")
    assert "Copy of your personal data" in text
    assert "Contract number" in text
