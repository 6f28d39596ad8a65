"""`subject export` and `subject erase` from the operator's side."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import insert
from typer.testing import Result

from dataskydd.cli._context import cli_transaction
from dataskydd.db.base import Base
from dataskydd.register import service
from tests.cli.conftest import Run
from tests.policy_keys import BILLING, BOOKKEEPING, CONTACT, CONTRACT_PURPOSE

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def add_customer(invoice_on: date | None = None) -> int:
    with cli_transaction() as session:
        subject = service.create_subject(
            session,
            actor="test",
            data={"given_name": "Nils", "family_name": "Holm", "emails": ["nils@example.se"]},
        )
        if invoice_on:
            session.execute(
                insert(Base.metadata.tables["invoice"]).values(
                    subject_id=subject.id,
                    invoice_number="F-1",
                    issued_on=invoice_on,
                    due_on=invoice_on,
                    amount=100,
                    vat_amount=20,
                    currency="SEK",
                    status="paid",
                )
            )
        return subject.id


def test_export_writes_pdf_and_json(initialised: Result, run: Run, workdir: Path) -> None:
    subject_id = add_customer()
    result = run("subject", "export", str(subject_id), "--out", "utdrag")
    assert result.exit_code == 0, result.output
    document = json.loads((workdir / "utdrag" / "registerutdrag.json").read_text())
    assert document["subject"]["name"] == "Nils Holm"
    pdf = PdfReader(workdir / "utdrag" / "registerutdrag.pdf")
    assert "nils@example.se" in "".join(page.extract_text() for page in pdf.pages)
    log = json.loads(run("audit", "list", "--subject", str(subject_id), "--json").output)
    assert "subject.export" in [entry["action"] for entry in log]


def test_export_of_unknown_subject_and_bad_directory(
    initialised: Result, run: Run, workdir: Path
) -> None:
    assert run("subject", "export", "999", "--out", "x").exit_code == 3
    (workdir / "a-file").write_text("")
    result = run("subject", "export", "1", "--out", "a-file")
    assert result.exit_code == 2
    assert "not a directory" in result.output


def test_erase_dry_run_changes_nothing_then_erase_keeps_invoices(
    initialised: Result, run: Run
) -> None:
    subject_id = add_customer(invoice_on=date.today())
    plan = run("subject", "erase", str(subject_id), "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert "keep (restricted)" in plan.output
    assert "bokföringslagen" in plan.output
    assert json.loads(run("subject", "find", "nils@example.se", "--json").output)
    refused = run("subject", "erase", str(subject_id), input="n\n")
    assert refused.exit_code == 1
    done = run("subject", "erase", str(subject_id), "--yes")
    assert done.exit_code == 0, done.output
    assert "Kept and restricted" in done.output
    shown = run("subject", "show", str(subject_id), "--purpose", CONTRACT_PURPOSE, "--json")
    view = json.loads(shown.output)
    assert all(not group["tables"] for group in view["categories"])
    # What the law keeps is withheld for the restriction's own reason, not "not this purpose's".
    kept = view["withheld_reasons"][BILLING]
    assert f"category {BILLING} is restricted (GDPR art. 18)" in kept
    assert "bokföringslagen" in kept
    asked = run(
        "subject",
        "show",
        str(subject_id),
        "--purpose",
        CONTRACT_PURPOSE,
        "--category",
        CONTACT,
    )
    assert asked.exit_code == 4
    assert f"category {CONTACT} is restricted (GDPR art. 18) since" in asked.output
    # Under bookkeeping the kept data is shown, kept until the restriction's date.
    books = run("subject", "show", str(subject_id), "--purpose", BOOKKEEPING, "--json")
    billing = next(g for g in json.loads(books.output)["categories"] if g["category"] == BILLING)
    assert billing["retention"].startswith("Begränsad (artikel 18) och sparas till och med 20")


def test_erase_without_legal_duty_removes_the_subject(initialised: Result, run: Run) -> None:
    subject_id = add_customer()
    assert run("subject", "erase", str(subject_id), "--yes").exit_code == 0
    assert run("subject", "find", "nils@example.se", "--json").output.strip() == "[]"
    assert run("subject", "show", str(subject_id), "--purpose", BOOKKEEPING).exit_code == 3


def test_reclaim_after_an_erasure(initialised: Result, run: Run) -> None:
    subject_id = add_customer()
    assert run("subject", "erase", str(subject_id), "--yes").exit_code == 0
    result = run("reclaim")
    assert result.exit_code == 0, result.output
    assert "VACUUM" in result.output
