"""The contact details staff can rectify on one form (GDPR art. 16): names, primary e-mail,
phone and postal address. Reading them for the form is a purpose-checked, audited read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.errors import AccessRefused
from dataskydd.policy.schema import Policy
from dataskydd.register import repository, service
from dataskydd.register.enums import ContactKind, SubjectKind

FORM_CATEGORIES = ("identity", "contact")
NAME_FIELDS = ("given_name", "family_name", "organisation_name")
ADDRESS_FIELDS = ("care_of", "street", "postal_code", "city")


@dataclass(frozen=True)
class ContactDetails:
    subject_id: int
    kind: SubjectKind
    given_name: str = ""
    family_name: str = ""
    organisation_name: str = ""
    email: str = ""
    phone: str = ""
    care_of: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""

    def values(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k not in ("subject_id", "kind")}


def _load(session: Session, subject_id: int) -> ContactDetails:
    subject = service.get_subject(session, subject_id)
    email = repository.primary_contact(session, subject_id, ContactKind.EMAIL)
    phone = repository.primary_contact(session, subject_id, ContactKind.PHONE)
    address = repository.primary_address(session, subject_id)
    return ContactDetails(
        subject_id=subject.id,
        kind=subject.kind,
        given_name=subject.given_name or "",
        family_name=subject.family_name or "",
        organisation_name=subject.organisation_name or "",
        email=email.value if email else "",
        phone=phone.value if phone else "",
        care_of=(address.care_of or "") if address else "",
        street=address.street if address else "",
        postal_code=address.postal_code if address else "",
        city=address.city if address else "",
    )


def current_contact_details(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    subject_id: int,
    purpose: str = "customer_relationship",
) -> ContactDetails:
    stated = policy.purpose(purpose)
    details = _load(session, subject_id)
    denied = [c for c in FORM_CATEGORIES if c not in stated.categories]
    if stated.aggregates_only or denied:
        why = f"purpose {purpose} may not use categories {', '.join(FORM_CATEGORIES)}"
        audit_service.record(
            session,
            actor=actor,
            action="subject.show.refused",
            subject_id=subject_id,
            purpose=purpose,
            detail={"reason": why},
        )
        raise AccessRefused(why)
    audit_service.record(
        session,
        actor=actor,
        action="subject.show",
        subject_id=subject_id,
        purpose=purpose,
        detail={"categories": list(FORM_CATEGORIES), "view": "rectification_form"},
    )
    return details


def _changes(current: ContactDetails, submitted: Mapping[str, str | None]) -> dict[str, Any]:
    """Only what differs from the stored value. A field left out keeps its value; a field
    sent empty is passed on, so that validation names it instead of keeping the old value."""
    now = current.values()
    given = dict(now)
    for key, value in submitted.items():
        if key in given and value is not None:
            given[key] = value.strip()
    names = ("organisation_name",) if current.kind is SubjectKind.ORGANISATION else NAME_FIELDS[:2]
    changes: dict[str, Any] = {
        k: given[k] for k in (*names, "email", "phone") if given[k] != now[k]
    }
    for key in ("email", "phone"):
        if key in changes and not changes[key] and not now[key]:
            del changes[key]
    if any(given[k] != now[k] for k in ADDRESS_FIELDS):
        changes["address"] = {k: given[k] for k in ADDRESS_FIELDS}
        changes["address"]["care_of"] = given["care_of"] or None
    return changes


def rectify_contact_details(
    session: Session,
    *,
    actor: str,
    subject_id: int,
    submitted: Mapping[str, str | None],
    reason: str,
) -> list[str]:
    """Rectify from the form; returns the changed `table.field` names. Validates everything
    before writing, so an InvalidInput leaves the database untouched."""
    changes = _changes(_load(session, subject_id), submitted)
    if not changes:
        return []
    return service.update_subject(
        session, actor=actor, subject_id=subject_id, changes={**changes, "reason": reason}
    )
