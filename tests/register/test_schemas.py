"""The request schemas' JSON Schema says what their validators do (tests/web/
test_openapi_contract.py checks the whole API; these are the rules stated by hand)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel, ValidationError

from dataskydd.register.record_schemas import InvoiceCreate
from dataskydd.register.schemas import SubjectCreate

NAMES = {"given_name": "Anna", "family_name": "Svensson"}


def _agree(model: type[BaseModel], body: dict[str, Any]) -> bool:
    """Whether the model accepts the body; asserts its JSON schema gives the same answer."""
    try:
        model.model_validate(body)
        accepted = True
    except ValidationError:
        accepted = False
    validator = jsonschema_rs.validator_for(model.model_json_schema(), validate_formats=True)
    assert validator.is_valid(body) == accepted, body
    return accepted


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        (NAMES, True),
        (NAMES | {"kind": "person", "organisation_name": None}, True),
        (NAMES | {"organisationsnummer": "556036-0793"}, True),  # a sole trader
        ({"kind": "organisation", "organisation_name": "Omilon AB"}, True),
        ({"kind": "organisation", "organisation_name": "Omilon AB", **NAMES}, True),
        ({}, False),
        ({"given_name": "Anna"}, False),
        (NAMES | {"organisation_name": "Omilon AB"}, False),
        ({"organisation_name": "Omilon AB"}, False),  # a person, by default
        ({"kind": "organisation"}, False),
        ({"kind": "organisation", "organisation_name": "O", "personnummer": "811228-9874"}, False),
        ({"given_name": " ", "family_name": "Svensson"}, False),  # stripped, then too short
        ({"given_name": "\u3000Anna ", "family_name": "Svensson"}, True),
    ],
)
def test_a_subject_is_a_person_or_an_organisation(body: dict[str, Any], accepted: bool) -> None:
    assert _agree(SubjectCreate, body) is accepted


INVOICE = {"invoice_number": "F-1", "issued_on": "2026-01-01", "due_on": "2026-01-31"}


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        (399, True),
        (399.5, True),
        (0.07, True),
        (9999999999.99, True),
        ("399", True),
        ("399.50", True),
        ("399.500", True),
        (10_000_000_000, False),
        (1.005, False),
        (-1, False),
        ("1e3", False),
        (".5", False),
        ("5.", False),
        ("+5", False),
        ("1_000", False),
        ("99999999999", False),
        (True, False),
    ],
)
def test_an_amount(amount: object, accepted: bool) -> None:
    assert _agree(InvoiceCreate, INVOICE | {"amount": amount}) is accepted


@pytest.mark.parametrize(
    ("day", "accepted"),
    [("1900-01-01", True), ("2200-12-31", True), ("1899-12-31", False), ("2201-01-01", False)],
)
def test_dates_are_within_the_years_of_the_register(day: str, accepted: bool) -> None:
    assert _agree(InvoiceCreate, INVOICE | {"amount": 1, "issued_on": day, "due_on": day}) is (
        accepted
    )
