"""Customers to export, and the export the company under test can make."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from dataskydd.datamap.entries import DataMap
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service
from tests.recipient_exports.keys import ExportCase, export_case

_numbers = itertools.count(1)


@pytest.fixture
def case(policy: Policy, data_map: DataMap) -> ExportCase:
    return export_case(policy, data_map)


def add_customer(session: Session, given_name: str = "Anna") -> int:
    number = next(_numbers)
    subject = register_service.create_subject(
        session,
        actor="test",
        data={
            "given_name": given_name,
            "family_name": "Svensson",
            "emails": [f"kund{number}@example.se"],
            "phones": ["070-123 45 67"],
            "addresses": [{"street": "=Storgatan 1", "postal_code": "47321", "city": "Henån"}],
        },
    )
    return subject.id
