"""Callers and a ready draft for the disclosure tests, taken from the policy under test (the
bundled one, or the bookshop's with DATASKYDD_TEST_POLICY)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from dataskydd.auth.access import AccessContext, Permission, staff_context
from dataskydd.disclosures.service import DisclosureDraft
from dataskydd.policy.schema import Policy

TODAY = dt.date(2026, 11, 30)


def role_with(policy: Policy, permission: Permission, *, has: bool) -> str:
    return next(
        key
        for key, role in policy.roles.items()
        if (permission in role.permissions) is has and Permission.SUBJECT_READ in role.permissions
    )


def case_purpose(policy: Policy) -> str:
    return next(key for key, purpose in policy.purposes.items() if purpose.case_required)


@pytest.fixture
def dpo(policy: Policy) -> AccessContext:
    """A role that manages disclosures and may use the purpose that needs a case."""
    purpose = case_purpose(policy)
    role = next(
        key
        for key, role in policy.roles.items()
        if Permission.DISCLOSURES_MANAGE in role.permissions and purpose in role.purposes
    )
    return staff_context(policy=policy, username="dina", role=role, user_id=2)


@pytest.fixture
def customer_service(policy: Policy) -> AccessContext:
    role = role_with(policy, Permission.DISCLOSURES_MANAGE, has=False)
    return staff_context(policy=policy, username="kalle", role=role, user_id=1)


def draft(policy: Policy, subject_ids: list[int], **changes: object) -> DisclosureDraft:
    categories = list(policy.purposes[case_purpose(policy)].categories[:2])
    base = DisclosureDraft(
        authority="Polismyndigheten, region Väst",
        authority_kind="police",
        legal_ground="RB 27 kap. 1 §",
        reference="5000-K123456-26",
        categories=categories,
        description="Kontaktuppgifter och avtal för abonnemanget.",
        subjects=", ".join(str(s) for s in subject_ids),
        requested_on="2026-11-02",
        handed_over_on="2026-11-05",
    )
    return replace(base, **changes)  # type: ignore[arg-type]
