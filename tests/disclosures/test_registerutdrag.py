"""The registerutdrag (JSON and PDF) shows the disclosures that concerned the subject; one
confidential by law is left out, the leaving out is kept as evidence with its ground, and it
appears once the confidentiality is lifted or its last day has passed."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext
from dataskydd.clock import today_in_sweden
from dataskydd.disclosures import service
from dataskydd.disclosures.models import DisclosureWithheld
from dataskydd.policy.schema import Policy
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.extract_pdf import write_extract_pdf
from tests import factories as f
from tests.disclosures.conftest import draft

SECRET_GROUND = "Förundersökningssekretess, OSL 18 kap. 1 §"


def _extract(session: Session, policy: Policy, subject_id: int, lang: str = "sv") -> Any:
    out = io.StringIO()
    write_extract_json(session, out, policy=policy, subject_id=subject_id, lang=lang)  # type: ignore[arg-type]
    return json.loads(out.getvalue())


def _pdf_text(session: Session, policy: Policy, subject_id: int) -> str:
    out = io.BytesIO()
    write_extract_pdf(session, out, policy=policy, subject_id=subject_id)
    out.seek(0)
    return "\n".join(page.extract_text() for page in PdfReader(out).pages)


def _record(
    session: Session, policy: Policy, dpo: AccessContext, subject_id: int, **kw: Any
) -> int:
    return service.record_disclosure(
        session, dpo, policy=policy, draft=draft(policy, [subject_id], **kw)
    ).id


def test_a_disclosure_is_shown_with_authority_ground_reference_and_categories(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    other = f.SubjectFactory().id
    disclosure_id = _record(session, policy, dpo, subject_id, authority_kind="tax_agency")
    listed = _extract(session, policy, subject_id)["processing"]["disclosures"]
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert item["id"] == disclosure_id
    assert item["authority"] == "Polismyndigheten, region Väst"
    assert item["authority_kind_text"] == "Skatteverket"
    assert item["legal_ground"] == "RB 27 kap. 1 §"
    assert item["reference"] == "5000-K123456-26"
    assert item["handed_over_on"] == "2026-11-05"
    keys = item["categories"]
    assert item["categories_text"] == ", ".join(policy.categories[k].title.sv for k in keys)
    english = _extract(session, policy, subject_id, "en")["processing"]["disclosures"]
    assert english["title"] == "Disclosures to authorities"
    assert english["items"][0]["authority_kind_text"] == "Swedish Tax Agency"
    assert _extract(session, policy, other)["processing"]["disclosures"]["total"] == 0
    pdf = _pdf_text(session, policy, subject_id)
    assert "Utlämnanden till myndigheter" in pdf
    assert "5000-K123456-26" in pdf


def test_a_confidential_disclosure_is_left_out_and_the_leaving_out_kept_as_evidence(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    shown = _record(session, policy, dpo, subject_id, reference="Mål T 1234-26")
    secret = _record(
        session,
        policy,
        dpo,
        subject_id,
        reference="5000-K999-26",
        confidential=True,
        confidential_ground=SECRET_GROUND,
        confidential_until=(today_in_sweden() + dt.timedelta(days=90)).isoformat(),
    )
    document = _extract(session, policy, subject_id)
    listed = document["processing"]["disclosures"]
    assert (listed["total"], [i["id"] for i in listed["items"]]) == (1, [shown])
    text = json.dumps(document, ensure_ascii=False)
    assert "5000-K999-26" not in text
    assert SECRET_GROUND not in text
    assert "5000-K999-26" not in _pdf_text(session, policy, subject_id)
    evidence = session.scalars(
        select(DisclosureWithheld).where(DisclosureWithheld.subject_id == subject_id)
    ).all()
    assert [(e.disclosure_id, e.ground) for e in evidence] == [(secret, SECRET_GROUND)] * 2
    audited = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "disclosure.withheld", AuditEntry.subject_id == subject_id
        )
    ).all()
    assert len(audited) == 2
    assert all(entry.detail == {"disclosures": [secret]} for entry in audited)
    assert service.get_disclosure(session, dpo, secret).times_withheld == 2


def test_it_appears_once_the_confidentiality_is_lifted(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    secret = _record(
        session, policy, dpo, subject_id, confidential=True, confidential_ground=SECRET_GROUND
    )
    assert _extract(session, policy, subject_id)["processing"]["disclosures"]["total"] == 0
    service.lift_confidentiality(session, dpo, disclosure_id=secret, reason="Åtal väckt")
    listed = _extract(session, policy, subject_id)["processing"]["disclosures"]
    assert [i["id"] for i in listed["items"]] == [secret]


def test_it_appears_the_day_after_its_last_day_of_secrecy(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    today = today_in_sweden()
    secret = _record(
        session,
        policy,
        dpo,
        subject_id,
        confidential=True,
        confidential_ground=SECRET_GROUND,
        confidential_until=today.isoformat(),
    )
    assert _extract(session, policy, subject_id)["processing"]["disclosures"]["total"] == 0
    # Time passes: the last day of secrecy was yesterday.
    disclosure = service.get_disclosure(session, dpo, secret).disclosure
    disclosure.confidential_until = today - dt.timedelta(days=1)
    session.flush()
    listed = _extract(session, policy, subject_id)["processing"]["disclosures"]
    assert [i["id"] for i in listed["items"]] == [secret]
