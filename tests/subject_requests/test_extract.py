"""The registerutdrag is complete: every stored value about the subject, in every mapped
table, and nothing about anyone else (property-based, over random data in every table)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from dataskydd.datamap import queries
from dataskydd.datamap.entries import DATA_MAP
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.register import service
from dataskydd.subject_requests.extract import EXTRACT_SCHEMA, write_extract_json
from tests.subject_requests.builders import add_everything

POLICY = load_bundled_policy()


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
