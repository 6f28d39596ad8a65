"""The contact details staff can rectify on one form (GDPR art. 16): names, primary e-mail,
phone and postal address. Reading them for the form is a purpose-checked, audited read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.auth.access import AccessContext
from dataskydd.datamap.entries import contact_category, name_category
from dataskydd.policy.schema import Policy
from dataskydd.register import repository, service
from dataskydd.register.enums import ContactKind, SubjectKind


def form_categories() -> list[str]:
    """The categories the contact form shows and changes: name and contact details."""
    return [name_category(), contact_category()]


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
    caller: AccessContext,
    policy: Policy,
    subject_id: int,
    purpose: str | None = None,
) -> ContactDetails:
    """For the form; without a purpose, the policy's rectification purpose."""
    access_service.decide(
        session,
        policy,
        caller,
        action=Action.READ,
        purpose=purpose or policy.system_purpose("rectification"),
        subject_id=subject_id,
        categories=form_categories(),
        audit_action="subject.show",
        audit_detail={"view": "rectification_form"},
    )
    return _load(session, subject_id)


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
    caller: AccessContext,
    policy: Policy,
    subject_id: int,
    submitted: Mapping[str, str | None],
    reason: str,
    purpose: str | None = None,
) -> list[str]:
    """Rectify from the form; returns the changed `table.field` names. Validates everything
    before writing, so an InvalidInput leaves the database untouched."""
    access_service.decide(
        session,
        policy,
        caller,
        action=Action.WRITE,
        purpose=purpose or policy.system_purpose("rectification"),
        subject_id=subject_id,
        categories=form_categories(),
        audit_action="subject.rectify.decision",
    )
    changes = _changes(_load(session, subject_id), submitted)
    if not changes:
        return []
    return service.update_subject(
        session, actor=caller.actor, subject_id=subject_id, changes={**changes, "reason": reason}
    )
