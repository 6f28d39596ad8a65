"""Disclosures in the subject's registerutdrag (GDPR art. 15.1 c: the recipients their data was
disclosed to): every disclosure that concerned them, except those confidential by law today.

A confidential disclosure is left out without a trace in the document (the subject must not
learn of a secret investigation from it); the leaving out is kept as evidence instead, one
`disclosure_withheld` row per disclosure and document, with the ground, and one audit entry.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.disclosures.models import (
    AuthorityKind,
    Disclosure,
    DisclosureSubject,
    DisclosureWithheld,
)
from dataskydd.policy.schema import Lang, Policy

AUTHORITY_KINDS: dict[AuthorityKind, tuple[str, str]] = {
    AuthorityKind.COURT: ("Domstol", "Court"),
    AuthorityKind.POLICE: ("Polis eller åklagare", "Police or prosecutor"),
    AuthorityKind.TAX_AGENCY: ("Skatteverket", "Swedish Tax Agency"),
    AuthorityKind.OTHER: ("Annan myndighet", "Other authority"),
}
# Per field shown to a reader (the PDF), its label: Swedish, English.
COLUMNS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("authority", ("Myndighet", "Authority")),
    ("legal_ground", ("Rättslig grund", "Legal ground")),
    ("reference", ("Myndighetens referens", "Their reference")),
    ("categories_text", ("Utlämnade uppgifter", "Data disclosed")),
    ("handed_over_on", ("Utlämnat", "Disclosed on")),
)
TITLE = ("Utlämnanden till myndigheter", "Disclosures to authorities")


def confidential_today(today: date) -> ColumnElement[bool]:
    return and_(
        Disclosure.confidential.is_(True),
        Disclosure.confidentiality_lifted_at.is_(None),
        or_(Disclosure.confidential_until.is_(None), Disclosure.confidential_until >= today),
    )


def _concerning(subject_id: int) -> ColumnElement[bool]:
    return Disclosure.id.in_(
        select(DisclosureSubject.disclosure_id).where(DisclosureSubject.subject_id == subject_id)
    )


def _item(row: Disclosure, policy: Policy, lang: Lang) -> dict[str, Any]:
    keys = [key for key in row.categories.split(",") if key]
    # A key the policy no longer has is shown as stored: the row is evidence.
    titles = [policy.categories[k].title.get(lang) if k in policy.categories else k for k in keys]
    kind = AUTHORITY_KINDS[row.authority_kind]
    return {
        "id": row.id,
        "authority": row.authority,
        "authority_kind": row.authority_kind.value,
        "authority_kind_text": kind[0] if lang == "sv" else kind[1],
        "legal_ground": row.legal_ground,
        "reference": row.reference,
        "categories": keys,
        "categories_text": ", ".join(titles),
        "description": row.description,
        "requested_on": row.requested_on,
        "handed_over_on": row.handed_over_on,
    }


def disclosures_for_extract(
    session: Session,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang,
    limit: int,
    today: date | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The disclosures the registerutdrag shows (how many, and the newest `limit`), after
    recording as evidence which confidential ones it leaves out."""
    today = today or today_in_sweden()
    secret = confidential_today(today)
    concerning = _concerning(subject_id)
    _record_withheld(session, subject_id, secret, concerning, limit)
    shown = and_(concerning, not_(secret))
    total = session.scalar(select(func.count()).select_from(Disclosure).where(shown)) or 0
    newest = (
        select(Disclosure)
        .where(shown)
        .order_by(Disclosure.handed_over_on.desc(), Disclosure.id.desc())
        .limit(limit)
    )
    return total, [_item(row, policy, lang) for row in session.scalars(newest)]


def _record_withheld(
    session: Session,
    subject_id: int,
    secret: ColumnElement[bool],
    concerning: ColumnElement[bool],
    limit: int,
) -> None:
    withheld = session.execute(
        select(Disclosure.id, Disclosure.confidential_ground, Disclosure.confidential_until)
        .where(concerning, secret)
        .order_by(Disclosure.id)
        .limit(limit)
    ).all()
    if not withheld:
        return
    now = utc_now()
    session.add_all(
        DisclosureWithheld(
            disclosure_id=row.id,
            subject_id=subject_id,
            withheld_at=now,
            ground=(row.confidential_ground or "confidential")[:300],
            until=row.confidential_until,
        )
        for row in withheld
    )
    session.flush()
    audit_service.record(
        session,
        actor="system:registerutdrag",
        action="disclosure.withheld",
        subject_id=subject_id,
        detail={"disclosures": [row.id for row in withheld]},
    )
