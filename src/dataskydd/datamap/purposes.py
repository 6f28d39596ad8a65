"""The purposes a staff member may state when opening one subject's page: those the policy
gives their role, except purposes limited to aggregates (SPEC 3: statistics never show one
person). Purposes that need a case say so, and the form asks for it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.auth.access import AccessContext
from dataskydd.policy import labels
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import service as register_service


@dataclass(frozen=True)
class PurposeChoice:
    key: str
    title: str
    legal_basis: str
    categories: list[str]
    case_required: bool = False


def single_subject_purposes(
    policy: Policy, lang: Lang, caller: AccessContext | None = None
) -> list[PurposeChoice]:
    usable = set(access_service.usable_purposes(policy, caller, Action.READ)) if caller else None
    return [
        PurposeChoice(
            key=key,
            title=purpose.title.get(lang),
            legal_basis=labels.legal_basis(purpose.legal_basis, lang),
            categories=[
                policy.categories[c].title.get(lang)
                for c in purpose.categories
                if c in policy.categories
            ],
            case_required=purpose.case_required,
        )
        for key, purpose in policy.purposes.items()
        if not purpose.aggregates_only and (usable is None or key in usable)
    ]


def purposes_for_subject(
    session: Session, *, policy: Policy, caller: AccessContext, subject_id: int, lang: Lang
) -> list[PurposeChoice]:
    """The choices for an existing subject (NotFound otherwise); reads no personal data."""
    register_service.require_subject(session, subject_id)
    return single_subject_purposes(policy, lang, caller)
