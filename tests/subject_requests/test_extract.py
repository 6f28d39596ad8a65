"""The registerutdrag is complete: every stored value about the subject, in every mapped
table, and nothing about anyone else (property-based, over random data in every table)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from typer.testing import Result

from dataskydd.access import consents
from dataskydd.access.models import Objection, SubjectConsent
from dataskydd.cli._context import cli_transaction
from dataskydd.clock import today_in_sweden
from dataskydd.datamap import entries, queries
from dataskydd.db.base import Base
from dataskydd.policy.retention import describe_retention, keep_until
from dataskydd.register import service
from dataskydd.retention import holds
from dataskydd.subject_requests import objections, outcomes, requests
from dataskydd.subject_requests.erasure import erase_subject
from dataskydd.subject_requests.extract import EXTRACT_SCHEMA, write_extract_json
from dataskydd.subject_requests.models import RequestChannel, RequestKind
from dataskydd.subject_requests.processing_state import processing_state
from tests.cli import conftest as cli_fixtures
from tests.policy_keys import (
    BILLING,
    COMPANY,
    CONTACT,
    CONTRACT_PURPOSE,
    NEWSLETTERS,
    OBJECTABLE_INTEREST,
    USAGE,
)
from tests.subject_requests.builders import add_everything

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

POLICY = COMPANY


def stored_values(session: Session, subject_id: int) -> dict[tuple[str, str], set[str]]:
    """Every shown personal value of the subject, by table, read row by row."""
    found: dict[tuple[str, str], set[str]] = {}
    for entry in entries.register_tables():
        for category in entry.categories:
            columns = entry.shown_columns(category)
            for row in queries.iter_rows_for_subject(session, entry, subject_id, columns):
                for column in columns:
                    if row[column] is not None:
                        found.setdefault((entry.table, column), set()).add(_text(row[column]))
    return found


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def extract(session: Session, subject_id: int) -> dict[str, Any]:
    buffer = io.StringIO()
    write_extract_json(session, buffer, policy=POLICY, subject_id=subject_id, batch_size=2)
    return json.loads(buffer.getvalue())  # type: ignore[no-any-return]


def extracted_values(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for category in document["categories"]:
        for table in category["tables"]:
            for row in table["rows"]:
                for column, value in row.items():
                    if column != "id" and value is not None:
                        found.setdefault((table["table"], column), set()).add(_text(value))
    return found


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_extract_holds_everything_about_the_subject_and_nothing_else(
    session: Session, data: st.DataObject
) -> None:
    savepoint = session.begin_nested()
    try:
        target = add_everything(session, data.draw, "zqxmålet")
        other = add_everything(session, data.draw, "zqxannan")
        document = extract(session, target)
        assert document["schema"] == EXTRACT_SCHEMA
        got = extracted_values(document)
        for key, values in stored_values(session, target).items():
            assert values <= got.get(key, set()), key
        assert {table for table, _ in got} == {entry.table for entry in entries.register_tables()}
        assert not any("zqxannan" in value for values in got.values() for value in values)
        theirs = extracted_values(extract(session, other))
        assert not any("zqxmålet" in value for values in theirs.values() for value in values)
    finally:
        savepoint.rollback()


def test_every_category_states_purposes_legal_basis_retention_and_recipients(
    session: Session,
) -> None:
    subject = service.create_subject(
        session,
        actor="test",
        data={"given_name": "Anna", "family_name": "Berg", "emails": ["anna@example.se"]},
    )
    document = extract(session, subject.id)
    assert document["dpo"]["email"] == POLICY.dpo.email  # type: ignore[union-attr]
    contact = next(c for c in document["categories"] if c["key"] == CONTACT)
    assert contact["retention"].startswith("Sparas")
    assert {p["key"] for p in contact["purposes"]} >= {CONTRACT_PURPOSE, NEWSLETTERS}
    assert all(p["legal_basis_text"] for p in contact["purposes"])
    assert contact["recipients"]
    (table,) = [t for t in contact["tables"] if t["table"] == "contact_point"]
    assert {c["label"] for c in table["columns"]} == {"Typ", "Uppgift"}
    # A subject who asked for nothing still gets every list, empty.
    assert list(document["processing"]) == [
        "requests",
        "restrictions",
        "objections",
        "consents",
        "holds",
        "disclosures",
        "received",
        *RECOMMENDATIONS_LIST,
    ]
    assert all(part["total"] == 0 for part in document["processing"].values())
    assert all(part["items"] == [] for part in document["processing"].values())


# The registerutdrag lists the subject's recommendations when the policy makes any (issue 16).
RECOMMENDATIONS_LIST = ["recommendations"] if COMPANY.system_purposes.recommendations else []


# --- the subject's processing state and kept categories ---------------------------------------

TODAY = date(2026, 11, 24)


def customer_with_invoice(session: Session, issued_on: date = date(2025, 1, 15)) -> int:
    subject = service.create_subject(
        session,
        actor="test",
        data={"given_name": "Nils", "family_name": "Holm", "emails": ["nils@example.se"]},
    )
    session.execute(
        insert(Base.metadata.tables["invoice"]).values(
            subject_id=subject.id,
            invoice_number=f"F-{subject.id}",
            issued_on=issued_on,
            due_on=issued_on,
            amount=100,
            vat_amount=20,
            currency="SEK",
            status="paid",
        )
    )
    return subject.id


def with_processing_state(session: Session, subject_id: int) -> None:
    """One request, one restriction, an overridden objection and a withdrawn consent, each
    through the service that makes them in the application."""
    request = requests.open_request(
        session,
        actor="staff:dso",
        policy=POLICY,
        subject_id=subject_id,
        kind=RequestKind.RESTRICTION,
        channel=RequestChannel.LETTER,
        identity_check="ID card checked at the counter",
    )
    outcomes.restrict_categories(
        session,
        policy=POLICY,
        actor="staff:dso",
        subject_id=subject_id,
        categories=[USAGE],
        case=request.id,
    )
    objections.record_objections(
        session, policy=POLICY, actor="test", subject_id=subject_id, purposes=[OBJECTABLE_INTEREST]
    )
    # Art. 21.1: no service records compelling grounds yet; the DPO's decision is set directly.
    objection = session.scalars(select(Objection).where(Objection.subject_id == subject_id)).one()
    objection.overridden_at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    objection.overridden_by = "staff:dso"
    objection.override_reason = "Utredning av misstänkt bedrägeri"
    consents.give_consent(
        session,
        subject_id=subject_id,
        purpose=NEWSLETTERS,
        channel="mina_sidor",
        via="newsletter:nyheter",
        text_version="v3",
    )
    consents.withdraw_consent(session, subject_id=subject_id, purpose=NEWSLETTERS)
    holds.place_hold(
        session,
        policy=POLICY,
        subject_id=subject_id,
        category=None,
        reason="Begäran från Polismyndigheten",
        reference="Dnr 5000-K123-26",
        by="staff:dso",
    )
    session.flush()


def test_the_extract_holds_requests_restrictions_objections_and_consents(
    session: Session,
) -> None:
    subject_id = customer_with_invoice(session)
    with_processing_state(session, subject_id)
    state = extract(session, subject_id)["processing"]

    (request,) = state["requests"]["items"]
    assert request["kind"] == "restriction"
    assert request["status"] == "open"
    assert request["channel"] == "letter"
    assert request["kind_text"] == "Begränsning av behandling"
    assert request["channel_text"] == "Brev"
    received = datetime.fromisoformat(request["received_at"]).date()
    assert date.fromisoformat(request["due_on"]) > received
    assert request["completed_at"] is None

    (restriction,) = state["restrictions"]["items"]
    assert restriction["category"] == USAGE
    assert restriction["category_title"] == POLICY.categories[USAGE].title.sv
    assert f"ärende {request['id']}" in restriction["reason"]
    assert restriction["lifted_at"] is None

    (objection,) = state["objections"]["items"]
    assert objection["purpose_title"] == POLICY.purposes[OBJECTABLE_INTEREST].title.sv
    assert objection["overridden_at"] == "2026-11-20T09:00:00+00:00"
    assert objection["override_reason"] == "Utredning av misstänkt bedrägeri"
    assert "overridden_by" not in objection  # a member of staff's name is not the subject's

    (consent,) = state["consents"]["items"]
    assert consent["purpose_title"] == POLICY.purposes[NEWSLETTERS].title.sv
    assert consent["withdrawn_at"] is not None
    assert (consent["channel"], consent["via"], consent["text_version"]) == (
        "mina_sidor",
        "newsletter:nyheter",
        "v3",
    )
    # Disclosures and exports to recipients have their own tests (tests/disclosures,
    # tests/recipient_exports); this subject has none.
    assert {key: state[key]["total"] for key in state} == {
        "requests": 1,
        "restrictions": 1,
        "objections": 1,
        "consents": 1,
        "holds": 1,
        "disclosures": 0,
        "received": 0,
        **dict.fromkeys(RECOMMENDATIONS_LIST, 0),
    }
    (hold,) = state["holds"]["items"]
    assert hold["reference"] == "Dnr 5000-K123-26"
    assert hold["category_title"] == "Alla dina uppgifter"
    assert "placed_by" not in hold  # a member of staff's name is not the subject's data
    # The restricted category itself says so, next to its general retention rule.
    usage = next(c for c in extract(session, subject_id)["categories"] if c["key"] == USAGE)
    assert usage["restriction"]["until"] is None
    assert "begränsad sedan" in usage["retention"]


def test_processing_state_in_english(session: Session) -> None:
    subject_id = customer_with_invoice(session)
    with_processing_state(session, subject_id)
    buffer = io.StringIO()
    write_extract_json(session, buffer, policy=POLICY, subject_id=subject_id, lang="en")
    state = json.loads(buffer.getvalue())["processing"]
    assert state["requests"]["title"] == "Your requests"
    assert state["requests"]["items"][0]["channel_text"] == "Letter"
    assert state["objections"]["items"][0]["purpose_title"] == (
        POLICY.purposes[OBJECTABLE_INTEREST].title.en
    )
    assert state["consents"]["items"][0]["channel_text"] == "My pages"


def test_processing_state_is_the_newest_rows_with_their_count(session: Session) -> None:
    subject_id = customer_with_invoice(session)
    for day in (1, 2, 3):
        consents.give_consent(
            session, subject_id=subject_id, purpose=NEWSLETTERS, channel="staff", via=f"v{day}"
        )
        consent = session.scalars(
            select(SubjectConsent).where(SubjectConsent.via == f"v{day}")
        ).one()
        consent.given_at = datetime(2026, 1, day, tzinfo=UTC)
    session.flush()
    (_, _, _, listed, *_) = processing_state(
        session, policy=POLICY, subject_id=subject_id, lang="sv", limit=2
    )
    assert listed.total == 3
    assert [item["via"] for item in listed.items] == ["v3", "v2"]


def test_an_erased_subjects_kept_categories_say_until_when_and_why(session: Session) -> None:
    subject_id = customer_with_invoice(session, issued_on=date(2025, 1, 15))
    plan = erase_subject(
        session, actor="staff:dso", policy=POLICY, subject_id=subject_id, today=TODAY
    )
    assert {BILLING, CONTACT} <= plan.kept
    document = extract(session, subject_id)
    categories = {c["key"]: c for c in document["categories"]}
    generic = describe_retention(POLICY.categories[CONTACT].retention, "sv")
    for key in (BILLING, CONTACT):
        kept = categories[key]
        # Bookkeeping keeps the 2025 invoice through the 7th year after 2025: 2032-12-31.
        assert kept["restriction"]["until"] == "2032-12-31"
        assert "Sparas till och med 2032-12-31" in kept["retention"]
        assert "bokföringslagen" in kept["retention"]
    assert generic not in categories[CONTACT]["retention"]
    kept_rows = document["processing"]["restrictions"]["items"]
    assert {r["category"] for r in kept_rows} == plan.kept
    assert {r["until"] for r in kept_rows} == {"2032-12-31"}
    # Categories without a restriction keep the policy's rule.
    assert categories[USAGE]["restriction"] is None
    assert categories[USAGE]["retention"] == describe_retention(
        POLICY.categories[USAGE].retention, "sv"
    )


# The operator's command, as in tests/cli (fixtures reused, not copied).
workdir = cli_fixtures.workdir
run = cli_fixtures.run
initialised = cli_fixtures.initialised


def test_subject_export_writes_the_processing_state(
    initialised: Result, run: cli_fixtures.Run, workdir: Path
) -> None:
    with cli_transaction() as session:
        subject_id = customer_with_invoice(session)
        with_processing_state(session, subject_id)
    result = run("subject", "export", str(subject_id), "--out", "utdrag", "--lang", "en")
    assert result.exit_code == 0, result.output
    document = json.loads((workdir / "utdrag" / "registerutdrag.json").read_text())
    assert {key: part["total"] for key, part in document["processing"].items()} == {
        "requests": 1,
        "restrictions": 1,
        "objections": 1,
        "consents": 1,
        "holds": 1,
        "disclosures": 0,
        "received": 0,
        **dict.fromkeys(RECOMMENDATIONS_LIST, 0),
    }
    pdf = PdfReader(workdir / "utdrag" / "registerutdrag.pdf")
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Your requests and choices" in text
    assert POLICY.purposes[OBJECTABLE_INTEREST].title.en in text


def test_subject_export_after_erase_says_until_when_the_kept_data_stays(
    initialised: Result, run: cli_fixtures.Run, workdir: Path
) -> None:
    issued = today_in_sweden() - timedelta(days=40)
    with cli_transaction() as session:
        subject_id = customer_with_invoice(session, issued_on=issued)
    assert run("subject", "erase", str(subject_id), "--yes").exit_code == 0
    result = run("subject", "export", str(subject_id), "--out", "utdrag")
    assert result.exit_code == 0, result.output
    until = keep_until(POLICY.categories[BILLING].retention, created_on=issued)
    assert until is not None
    document = json.loads((workdir / "utdrag" / "registerutdrag.json").read_text())
    contact = next(c for c in document["categories"] if c["key"] == CONTACT)
    assert contact["retention"].startswith(f"Sparas till och med {until.isoformat()}")
    pdf = PdfReader(workdir / "utdrag" / "registerutdrag.pdf")
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert f"Sparas till och med {until.isoformat()}" in text
