"""The purposes a staff member may state when opening one subject's page: every purpose of
the policy except those limited to aggregates (SPEC 3: statistics never show one person)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dataskydd.policy import labels
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import service as register_service


@dataclass(frozen=True)
class PurposeChoice:
    key: str
    title: str
    legal_basis: str
    categories: list[str]


def single_subject_purposes(policy: Policy, lang: Lang) -> list[PurposeChoice]:
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
        )
        for key, purpose in policy.purposes.items()
        if not purpose.aggregates_only
    ]


def purposes_for_subject(
    session: Session, *, policy: Policy, subject_id: int, lang: Lang
) -> list[PurposeChoice]:
    """The choices for an existing subject (NotFound otherwise); reads no personal data."""
    register_service.get_subject(session, subject_id)
    return single_subject_purposes(policy, lang)
