"""An export reads the company's other systems too, with the data map's readers, as the
registerutdrag does: the bookshop's web shop holds the customer's display name and e-mail,
and they go to the recipient with the register's rows, marked with their system."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, insert
from sqlalchemy.orm import Session

from dataskydd.auth.access import operator_context
from dataskydd.datamap.entries import DataMap
from dataskydd.policy.schema import Policy
from dataskydd.recipient_exports import service
from dataskydd.recipient_exports.models import ExportFormat
from dataskydd.register import service as register_service
from tests import company_schemas
from tests.conftest import REPO
from tests.recipient_exports.keys import export_case


@pytest.fixture
def policy_file() -> Path:
    return REPO / "examples" / "bokhandel" / "policy.yaml"


def test_rows_of_another_system_go_with_the_registers(
    session: Session, policy: Policy, data_map: DataMap, other_system_urls: dict[str, str]
) -> None:
    (system,) = data_map.external
    case = export_case(policy, data_map)
    marker = f"Webbnamn-{uuid.uuid4().hex[:8]}"
    email = f"{marker.lower()}@example.se"
    subject = register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Greta", "family_name": "Gran", "emails": [email]},
    )
    shop = create_engine(other_system_urls[system.key])
    table = company_schemas.WEBBUTIK.tables["shop_customer"]
    with shop.begin() as connection:
        connection.execute(insert(table).values(email=email, display_name=marker))
    try:
        out = io.BytesIO()
        order = service.ExportOrder(
            case.recipient, case.purpose, [subject.id], None, ExportFormat.JSON
        )
        service.create_export(
            session, policy=policy, caller=operator_context("cli:test"), order=order, out=out
        )
    finally:
        with shop.begin() as connection:
            connection.execute(delete(table).where(table.c.email == email))
        shop.dispose()
    (only,) = json.loads(out.getvalue())["subjects"]
    found = {
        (t["system"], t["table"], c["category"]): t["rows"]
        for c in only["categories"]
        for t in c["tables"]
    }
    from_shop = {key: rows for key, rows in found.items() if key[0] == system.key}
    assert from_shop, "nothing was read from the other system"
    values = json.dumps(list(from_shop.values()), ensure_ascii=False)
    assert marker in values
    assert email in values
    assert {key[2] for key in found} <= set(case.allowed)
    assert ("register", "contact_point", case.contact) in found
