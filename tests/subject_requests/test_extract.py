"""The registerutdrag is complete: every stored value about the subject, in every mapped
table, and nothing about anyone else (property-based, over random data in every table)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.orm import Session

from dataskydd.datamap import queries
from dataskydd.datamap.entries import DATA_MAP
from dataskydd.db.base import Base
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.register import service
from dataskydd.subject_requests.extract import EXTRACT_SCHEMA, write_extract_json

POLICY = load_bundled_policy()
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö ÅÄÖ-", min_size=1, max_size=30)
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 1, 1))


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def add_everything(session: Session, draw: Any, tag: str) -> int:
    """One subject with rows in every mapped table; text values carry `tag`."""
    subject = service.create_subject(
        session,
        actor="test",
        data={
            "given_name": f"{tag}{draw(words)}".strip()[:90],
            "family_name": f"{tag}-efternamn",
            "emails": [f"{tag}@example.se"],
            "phones": ["0701234567"],
            "addresses": [{"street": f"{tag} gatan 1", "postal_code": "47321", "city": "Henån"}],
        },
    )
    sid = subject.id
    t = Base.metadata.tables

    def add(table: str, **values: Any) -> int:
        return int(session.execute(insert(t[table]).values(**values)).inserted_primary_key[0])

    day = draw(days)
    service_id = add(
        "service",
        code=f"svc-{tag}",
        name=f"Fiber {tag}",
        kind="connectivity",
        is_addon=False,
        monthly_price=399,
    )
    activity_id = add(
        "activity", code=f"act-{tag}", kind="survey", title=f"Enkät {tag}", starts_on=day
    )
    contract = add(
        "contract",
        subject_id=sid,
        contract_number=f"A-{tag}",
        signed_on=day,
        starts_on=day,
        status="active",
        created_at=_moment(day),
        updated_at=_moment(day),
    )
    add("subscription", contract_id=contract, service_id=service_id, starts_on=day)
    add(
        "equipment",
        subject_id=sid,
        kind="router",
        model=f"Router {tag}",
        serial_number=f"SN-{tag}",
        mac_address="00:1a:2b:3c:4d:5e",
        installed_on=day,
    )
    connection = add(
        "connection",
        subject_id=sid,
        access_kind="fibre",
        street=f"{tag} väg 2",
        postal_code="473 21",
        city="Henån",
        activated_on=day,
    )
    add(
        "ip_assignment",
        connection_id=connection,
        ip_address="198.51.100.7",
        assigned_at=_moment(day),
    )
    invoice = add(
        "invoice",
        subject_id=sid,
        invoice_number=f"F-{tag}",
        issued_on=day,
        due_on=day + timedelta(days=30),
        amount=499,
        vat_amount=99.8,
        currency="SEK",
        status="paid",
    )
    add(
        "payment", invoice_id=invoice, paid_on=day, amount=499, method="swish", reference=f"R-{tag}"
    )
    add(
        "correspondence",
        subject_id=sid,
        kind="email",
        direction="inbound",
        received_at=_moment(day),
        subject_line=f"Fråga {tag}",
        body=f"{tag} {draw(words)}",
    )
    case = add(
        "support_case",
        subject_id=sid,
        channel="phone",
        topic=f"Ärende {tag}",
        opened_at=_moment(day),
    )
    add(
        "support_message",
        case_id=case,
        sent_at=_moment(day),
        direction="inbound",
        body=f"Hjälp {tag}",
    )
    add(
        "participation",
        subject_id=sid,
        activity_id=activity_id,
        consented_at=_moment(day),
        answers=json.dumps({"hushåll": tag}),
    )
    add(
        "newsletter_subscription",
        subject_id=sid,
        list_code=f"nyheter-{tag}",
        subscribed_at=_moment(day),
        consent_text_version="v1",
    )
    for n in range(draw(st.integers(min_value=1, max_value=5))):
        add(
            "usage_event",
            subject_id=sid,
            occurred_at=_moment(day) + timedelta(minutes=n),
            kind="view",
            device_type="tv",
            item=f"Program {tag} {n}",
        )
    other_org = service.create_subject(
        session,
        actor="test",
        data={"kind": "organisation", "organisation_name": f"Bolag {tag}"},
    )
    add("subject_relation", organisation_id=other_org.id, person_id=sid, title=f"VD {tag}")
    service.update_subject(
        session,
        actor="test",
        subject_id=sid,
        changes={"family_name": f"{tag}-nytt", "reason": f"Rättelse {tag}"},
    )
    return sid


def stored_values(session: Session, subject_id: int) -> dict[tuple[str, str], set[str]]:
    """Every shown personal value of the subject, by table, read row by row."""
    found: dict[tuple[str, str], set[str]] = {}
    for entry in DATA_MAP:
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
        assert {table for table, _ in got} == {entry.table for entry in DATA_MAP}
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
    contact = next(c for c in document["categories"] if c["key"] == "contact")
    assert contact["retention"].startswith("Sparas")
    assert {p["key"] for p in contact["purposes"]} >= {"customer_relationship", "marketing"}
    assert all(p["legal_basis_text"] for p in contact["purposes"])
    assert contact["recipients"]
    (table,) = [t for t in contact["tables"] if t["table"] == "contact_point"]
    assert {c["label"] for c in table["columns"]} == {"Typ", "Uppgift"}
