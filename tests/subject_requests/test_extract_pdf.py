"""The PDF registerutdrag reads like a letter: Swedish headings, no raw column names, every
category the subject has data in, the subject's requests and choices, and, when a table is
long, its newest rows with a pointer to the JSON for the older ones."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from dataskydd.access import consents
from dataskydd.subject_requests.erasure import erase_subject
from dataskydd.subject_requests.extract_pdf import write_extract_pdf
from tests import factories as f
from tests.policy_keys import BILLING, COMPANY, CONTACT, NEWSLETTERS, OBJECTABLE_INTEREST, USAGE
from tests.subject_requests.test_extract import customer_with_invoice, with_processing_state

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

POLICY = COMPANY


def pdf_text(session: Session, subject_id: int, **options: object) -> str:
    buffer = io.BytesIO()
    write_extract_pdf(session, buffer, policy=POLICY, subject_id=subject_id, **options)  # type: ignore[arg-type]
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    # Words only: table cells wrap, so a phrase may be broken over lines.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


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
        *(POLICY.category(key).title.sv for key in (CONTACT, BILLING, USAGE)),
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


def test_long_tables_show_the_newest_rows_and_point_to_the_json(
    session: Session, factories: None
) -> None:
    subject = f.SubjectFactory()
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    # Inserted newest first, so neither insertion order nor ids decide what is shown.
    for n in reversed(range(7)):
        f.UsageEventFactory(
            subject_id=subject.id, occurred_at=start + timedelta(days=n), item=f"Avsnitt {n:02}"
        )
    text = pdf_text(session, subject.id, rows_per_table=5)
    assert "Här visas de 5 senaste av 7 rader" in text
    assert "även de 2 äldre, finns i filen registerutdrag.json" in text
    assert "Avsnitt 06" in text  # the newest
    assert "Avsnitt 02" in text
    assert "Avsnitt 01" not in text
    assert "Avsnitt 00" not in text
    # Newest first.
    assert text.index("Avsnitt 06") < text.index("Avsnitt 05") < text.index("Avsnitt 02")


def test_short_tables_have_no_pointer(session: Session, factories: None) -> None:
    subject = f.SubjectFactory()
    f.UsageEventFactory(subject_id=subject.id, item="Avsnitt ett")
    text = pdf_text(session, subject.id, rows_per_table=5)
    assert "Avsnitt ett" in text
    assert "senaste av" not in text


def test_requests_and_choices_in_swedish(session: Session) -> None:
    subject_id = customer_with_invoice(session)
    with_processing_state(session, subject_id)
    text = pdf_text(session, subject_id)
    for heading in (
        "Dina begäranden och val",
        "Dina begäranden",
        "Begränsad behandling",
        "Dina invändningar",
        "Dina samtycken",
    ):
        assert heading in text, heading
    assert "Begränsning av behandling" in text
    assert POLICY.purposes[OBJECTABLE_INTEREST].title.sv in text
    assert "Utredning av misstänkt bedrägeri" in text
    assert POLICY.purposes[NEWSLETTERS].title.sv in text
    assert "newsletter:nyheter" in text
    assert "staff:dso" not in text


def test_requests_and_choices_in_english(session: Session) -> None:
    subject_id = customer_with_invoice(session)
    with_processing_state(session, subject_id)
    text = pdf_text(session, subject_id, lang="en")
    for heading in ("Your requests and choices", "Your objections", "Your consents"):
        assert heading in text, heading
    assert POLICY.purposes[OBJECTABLE_INTEREST].title.en in text
    assert "Compelling grounds" in text


def test_long_lists_of_choices_show_the_newest(session: Session, factories: None) -> None:
    subject = f.SubjectFactory()
    for n in range(3):
        consents.give_consent(
            session, subject_id=subject.id, purpose=NEWSLETTERS, channel="staff", via=f"lista-{n}"
        )
    text = pdf_text(session, subject.id, rows_per_table=2)
    assert "Här visas de 2 senaste av 3. Fler finns i filen registerutdrag.json." in text
    assert "lista-2" in text
    assert "lista-0" not in text


def test_a_subject_without_requests_or_choices_is_told_so(
    session: Session, factories: None
) -> None:
    subject = f.SubjectFactory()
    text = pdf_text(session, subject.id)
    assert text.count("Inga.") == 7  # every list of the processing state, each empty


def test_an_erased_subjects_kept_data_says_until_when_and_why(session: Session) -> None:
    subject_id = customer_with_invoice(session, issued_on=date(2025, 1, 15))
    erase_subject(
        session, actor="staff:dso", policy=POLICY, subject_id=subject_id, today=date(2026, 11, 24)
    )
    text = pdf_text(session, subject_id)
    assert "Sparas till och med 2032-12-31" in text
    assert "bokföringslagen" in text
    assert "så länge du är kund" not in text


def test_english(session: Session, factories: None) -> None:
    subject = f.SubjectFactory()
    f.ContractFactory(subject_id=subject.id)
    text = pdf_text(session, subject.id, lang="en")
    assert "Copy of your personal data" in text
    assert "Contract number" in text
