"""The DPO's exports to recipients (/exports): only the categories the export may hold are
offered, the file downloads with exactly those, a tampered form asking for a category the
recipient may not receive is refused with nothing logged, the log and an export's page list
what went; customer service gets 403 and no menu entry. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.datamap import entries
from dataskydd.policy.schema import Policy
from dataskydd.recipient_exports.models import RecipientExport
from dataskydd.register.models import Restriction
from tests import policy_keys
from tests.recipient_exports.conftest import add_customer
from tests.recipient_exports.keys import ExportCase, export_case
from tests.web.conftest import ClientFor, csrf_of


def _case(policy: Policy) -> ExportCase:
    return export_case(policy, entries.current())


def _form(client: object, case: ExportCase) -> tuple[str, str]:
    page = client.get(  # type: ignore[attr-defined]
        "/exports", params={"recipient": case.recipient, "purpose": case.purpose}
    )
    assert page.status_code == 200
    return page.text, csrf_of(page.text)


def test_the_dpo_exports_a_csv_with_only_the_allowed_categories(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    case = _case(policy)
    first, second = add_customer(session), add_customer(session, "Bo")
    session.commit()
    dpo = client_for(policy_keys.dpo_role(policy))
    start = dpo.get("/exports")
    assert start.status_code == 200
    assert 'href="/recipients"' in start.text  # the menu entry; exports are found there
    assert "Exporter till mottagare" in start.text
    html, token = _form(dpo, case)
    offered = {c for c in policy.categories if f'name="categories" value="{c}"' in html}
    assert offered == set(case.allowed)
    response = dpo.post(
        "/exports",
        data={
            "csrf_token": token,
            "recipient": case.recipient,
            "purpose": case.purpose,
            "categories": [case.name, case.contact],
            "subjects": f"{first}\n{second}",
            "format": "csv",
        },
    )
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))[1:]
    assert {row[1] for row in rows} == {case.name, case.contact}
    export_id, sha256, by = session.execute(
        select(RecipientExport.id, RecipientExport.sha256, RecipientExport.created_by)
    ).one()
    assert sha256 == hashlib.sha256(response.content).hexdigest()
    assert by.startswith("staff:")
    listed = dpo.get("/exports")
    assert f'href="/exports/{export_id}"' in listed.text
    detail = dpo.get(f"/exports/{export_id}", params={"lang": "en"})
    assert detail.status_code == 200
    assert sha256 in detail.text
    assert f'href="/subjects/{first}"' in detail.text
    assert "Subjects in the file" in detail.text
    assert dpo.get("/exports/2147483647").status_code == 404


def test_a_json_export_downloads(client_for: ClientFor, policy: Policy, session: Session) -> None:
    case = _case(policy)
    subject = add_customer(session)
    session.commit()
    dpo = client_for(policy_keys.dpo_role(policy))
    _html, token = _form(dpo, case)
    response = dpo.post(
        "/exports",
        data={
            "csrf_token": token,
            "recipient": case.recipient,
            "purpose": case.purpose,
            "subjects": str(subject),
            "format": "json",
        },
    )
    assert response.status_code == 200, response.text[:500]
    document = json.loads(response.content)
    assert document["categories"] == list(case.allowed)
    assert document["subjects"][0]["subject_id"] == subject


def test_a_tampered_category_is_refused_and_nothing_is_logged(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    case = _case(policy)
    subject = add_customer(session)
    session.commit()
    dpo = client_for(policy_keys.dpo_role(policy))
    _html, token = _form(dpo, case)
    form = {
        "csrf_token": token,
        "recipient": case.recipient,
        "purpose": case.purpose,
        "categories": [case.contact, case.forbidden],
        "subjects": str(subject),
        "format": "csv",
    }
    refused = dpo.post("/exports", data=form)
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert f"may not receive category {case.forbidden}" in refused.text
    assert session.scalar(select(RecipientExport.id)) is None
    assert session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "recipient_export.refused")
    )
    bad = dpo.post("/exports", data=form | {"categories": [case.contact], "subjects": "1,x"})
    assert bad.status_code == 422
    assert "subjects" in bad.text
    forged = dpo.post("/exports", data=form | {"csrf_token": "x", "categories": []})
    assert forged.status_code == 403
    assert session.scalar(select(RecipientExport.id)) is None


def test_a_restricted_subject_refuses_the_export(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    case = _case(policy)
    free, restricted = add_customer(session), add_customer(session)
    session.add(Restriction(subject_id=restricted, category=case.contact, reason="Tvist"))
    session.commit()
    dpo = client_for(policy_keys.dpo_role(policy))
    _html, token = _form(dpo, case)
    refused = dpo.post(
        "/exports",
        data={
            "csrf_token": token,
            "recipient": case.recipient,
            "purpose": case.purpose,
            "subjects": f"{free},{restricted}",
            "format": "csv",
        },
    )
    assert refused.status_code == 403
    assert "1 av 2 får inte exporteras" in refused.text
    assert session.scalar(select(RecipientExport.id)) is None


def test_customer_service_sees_none_of_it(
    client_for: ClientFor, policy: Policy, session: Session
) -> None:
    staff = client_for(policy_keys.customer_service_role(policy))
    assert staff.get("/exports").status_code == 403
    assert staff.get("/exports/1").status_code == 403
    start = staff.get("/start")
    assert 'href="/exports"' not in start.text
    page = staff.get("/account")
    refused = staff.post("/exports", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403


def test_an_admin_sees_the_log_but_may_state_no_purpose(
    client_for: ClientFor, policy: Policy
) -> None:
    admin = client_for(policy_keys.admin_role(policy))
    page = admin.get("/exports")
    assert page.status_code == 200
    assert "Din roll får inte ange något ändamål" in page.text


def test_the_page_in_english(client_for: ClientFor, policy: Policy) -> None:
    case = _case(policy)
    dpo = client_for(policy_keys.dpo_role(policy))
    page = dpo.get(
        "/exports", params={"recipient": case.recipient, "purpose": case.purpose, "lang": "en"}
    )
    assert page.status_code == 200
    assert "Exports to recipients" in page.text
    assert "Create and download" in page.text
    assert policy.recipient(case.recipient).name in page.text
    unknown = dpo.get("/exports", params={"recipient": "nobody", "purpose": case.purpose})
    assert unknown.status_code == 200
    assert 'id="export-form"' not in unknown.text  # nothing to choose for an unknown pair
