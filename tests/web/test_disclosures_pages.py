"""The log of disclosures (/disclosures): the DPO records one through the form (CSRF-checked,
refused with every field named and nothing written when wrong), reads it, and lifts its
confidentiality; customer service gets 403 and no menu entry. Roles come from the policy."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import Permission
from dataskydd.clock import today_in_sweden
from dataskydd.disclosures.models import Disclosure
from dataskydd.policy.schema import Policy
from tests import factories as f
from tests.web.conftest import ClientFor, csrf_of


def _role(policy: Policy, *, manages: bool) -> str:
    return next(
        key
        for key, role in policy.roles.items()
        if (Permission.DISCLOSURES_MANAGE in role.permissions) is manages
        and Permission.SUBJECT_READ in role.permissions
    )


def _form(token: str, subject_id: int, categories: list[str], **changes: object) -> dict:  # type: ignore[type-arg]
    today = today_in_sweden()
    data = {
        "csrf_token": token,
        "authority": "Göteborgs tingsrätt",
        "authority_kind": "court",
        "legal_ground": "RB 38 kap. 2 §",
        "reference": "T 4711-26",
        "categories": categories,
        "description": "Avtal och fakturor för abonnemanget.",
        "subjects": str(subject_id),
        "requested_on": (today - dt.timedelta(days=3)).isoformat(),
        "handed_over_on": today.isoformat(),
    }
    return data | changes


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Disclosure)) or 0


def test_the_dpo_logs_a_disclosure_and_reads_it(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject_id = f.SubjectFactory().id
    session.commit()
    categories = list(policy.categories)[:2]
    dpo = client_for(_role(policy, manages=True))
    start = dpo.get("/start")
    assert 'href="/disclosures">Utlämnanden</a>' in start.text
    page = dpo.get("/disclosures")
    assert page.status_code == 200
    assert "Inga utlämnanden loggade." in page.text
    posted = dpo.post(
        "/disclosures",
        data=_form(csrf_of(page.text), subject_id, categories),
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    detail = dpo.get(location)
    assert detail.status_code == 200
    assert "Göteborgs tingsrätt (Domstol)" in detail.text
    assert "T 4711-26" in detail.text
    assert policy.categories[categories[0]].title.sv in detail.text
    assert f'href="/subjects/{subject_id}"' in detail.text
    listed = dpo.get("/disclosures", params={"subject": subject_id, "lang": "en"})
    assert "T 4711-26" in listed.text
    assert "Disclosures concerning subject" in listed.text
    assert "T 4711-26" not in dpo.get("/disclosures", params={"subject": subject_id + 999}).text
    assert dpo.get("/disclosures/999999").status_code == 404
    assert session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "disclosure.record")
    )


def test_bad_input_comes_back_with_every_field_named_and_nothing_written(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject_id = f.SubjectFactory().id
    session.commit()
    dpo = client_for(_role(policy, manages=True))
    token = csrf_of(dpo.get("/disclosures").text)
    refused = dpo.post(
        "/disclosures",
        data=_form(
            token,
            subject_id + 50_000,
            ["no_such_category"],
            requested_on="2026-02-30",
            handed_over_on="2999-01-01",
        ),
    )
    assert refused.status_code == 422
    for named in ("Utlämnade uppgifter", "Begärt den", "Utlämnat den", "Registrerades id"):
        assert f"{named}:" in refused.text
    assert "Göteborgs tingsrätt" in refused.text  # the form comes back as typed
    assert _count(session) == 0
    forged = dpo.post("/disclosures", data=_form("forged", subject_id, list(policy.categories)[:1]))
    assert forged.status_code == 403
    hostile = dpo.post(
        "/disclosures",
        data=_form(token, subject_id, list(policy.categories)[:1], reference="T\x00 1"),
    )
    assert hostile.status_code == 422
    assert _count(session) == 0


def test_a_confidential_disclosure_is_marked_and_its_confidentiality_lifted(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject_id = f.SubjectFactory().id
    session.commit()
    dpo = client_for(_role(policy, manages=True))
    token = csrf_of(dpo.get("/disclosures").text)
    posted = dpo.post(
        "/disclosures",
        data=_form(
            token,
            subject_id,
            list(policy.categories)[:1],
            confidential="true",
            confidential_ground="Förundersökningssekretess, OSL 18 kap. 1 §",
        ),
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    page = dpo.get(location)
    assert "Sekretess gäller nu" in page.text
    empty = dpo.post(f"{location}/lift", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422
    assert "Varför sekretessen upphör:" in empty.text
    lifted = dpo.post(
        f"{location}/lift",
        data={"csrf_token": token, "reason": "Förundersökningen nedlagd"},
        follow_redirects=False,
    )
    assert lifted.status_code == 303
    assert "Sekretessen har upphört" in dpo.get(location).text
    again = dpo.post(f"{location}/lift", data={"csrf_token": token, "reason": "Igen, igen"})
    assert again.status_code == 409


def test_customer_service_sees_none_of_it(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject_id = f.SubjectFactory().id
    session.commit()
    staff = client_for(_role(policy, manages=False))
    start = staff.get("/start")
    assert start.status_code == 200
    assert 'href="/disclosures"' not in start.text
    assert staff.get("/disclosures").status_code == 403
    assert staff.get("/disclosures/1").status_code == 403
    page = staff.get("/account")
    token = csrf_of(page.text)
    posted = staff.post("/disclosures", data=_form(token, subject_id, list(policy.categories)[:1]))
    assert posted.status_code == 403
    assert _count(session) == 0


def test_a_subject_is_read_under_the_disclosure_as_its_case(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    concerned, other = f.SubjectFactory().id, f.SubjectFactory().id
    session.commit()
    purpose = next(key for key, p in policy.purposes.items() if p.case_required)
    role = next(
        key
        for key, r in policy.roles.items()
        if Permission.DISCLOSURES_MANAGE in r.permissions and purpose in r.purposes
    )
    dpo = client_for(role)
    token = csrf_of(dpo.get("/disclosures").text)
    posted = dpo.post(
        "/disclosures",
        data=_form(token, concerned, list(policy.purposes[purpose].categories)[:1]),
        follow_redirects=False,
    )
    case = "disclosure:" + posted.headers["location"].rsplit("/", 1)[1]
    allowed = dpo.get(f"/subjects/{concerned}/view", params={"purpose": purpose, "case": case})
    assert allowed.status_code == 200
    refused = dpo.get(f"/subjects/{other}/view", params={"purpose": purpose, "case": case})
    assert refused.status_code == 403
    assert "gäller inte den här registrerade" in refused.text


def test_the_dpo_downloads_what_was_handed_over(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject_id = f.SubjectFactory().id
    session.commit()
    purpose = next(key for key, p in policy.purposes.items() if p.case_required)
    role = next(
        key
        for key, r in policy.roles.items()
        if Permission.DISCLOSURES_MANAGE in r.permissions and purpose in r.purposes
    )
    dpo = client_for(role)
    token = csrf_of(dpo.get("/disclosures").text)
    categories = list(policy.purposes[purpose].categories)[:2]
    location = dpo.post(
        "/disclosures", data=_form(token, subject_id, categories), follow_redirects=False
    ).headers["location"]
    disclosure_id = int(location.rsplit("/", 1)[1])
    page = dpo.get(location)
    assert f"case=disclosure:{disclosure_id}" in page.text
    forged = dpo.post(f"{location}/handover", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    file = dpo.post(f"{location}/handover", data={"csrf_token": token})
    assert file.status_code == 200
    assert "attachment" in file.headers["content-disposition"]
    document = file.json()
    assert document["disclosure"]["id"] == disclosure_id
    (subject,) = document["subjects"]
    assert subject["subject_id"] == subject_id
    assert {group["category"] for group in subject["categories"]} == set(categories)
    assert session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "disclosure.handover")
    )
