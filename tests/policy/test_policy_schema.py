from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dataskydd.errors import NotFound
from dataskydd.policy import load_bundled_policy, parse_policy
from dataskydd.policy.schema import LegalBasis, RecipientRole, TransferMechanism

WritePolicy = Callable[[dict[str, Any]], Path]

# Other packages (datamap, services) use these keys; renaming one must fail a test.
CATEGORY_RETENTION = {
    "identity": "while_customer",
    "national_id": "while_customer",
    "contact": "while_customer",
    "contract": "while_customer",
    "equipment": "while_customer",
    "connection": "while_customer",
    "billing": "bookkeeping",
    "correspondence": "after_creation",
    "support": "after_creation",
    "participation": "while_consent",
    "newsletter": "while_consent",
    "usage": "after_creation",
    "web_analytics": "after_creation",
    "change_history": "while_customer",
}
PURPOSE_BASIS = {
    "customer_relationship": LegalBasis.CONTRACT,
    "bookkeeping": LegalBasis.LEGAL_OBLIGATION,
    "service_quality": LegalBasis.LEGITIMATE_INTERESTS,
    "abuse_prevention": LegalBasis.LEGITIMATE_INTERESTS,
    "device_experience": LegalBasis.LEGITIMATE_INTERESTS,
    "recommendations": LegalBasis.LEGITIMATE_INTERESTS,
    "marketing": LegalBasis.CONSENT,
    "surveys": LegalBasis.CONSENT,
    "statistics": LegalBasis.LEGITIMATE_INTERESTS,
    "web_analytics": LegalBasis.CONSENT,
    "data_subject_rights": LegalBasis.LEGAL_OBLIGATION,
    "legal_claims_and_authorities": LegalBasis.LEGAL_OBLIGATION,
}


def test_bundled_policy_has_the_agreed_keys_and_rules() -> None:
    policy = load_bundled_policy()
    assert {key: c.retention.kind for key, c in policy.categories.items() if c.retention} == (
        CATEGORY_RETENTION
    )
    assert {key: p.legal_basis for key, p in policy.purposes.items()} == PURPOSE_BASIS


def test_bundled_retention_periods_match_the_policy_text() -> None:
    policy = load_bundled_policy()
    billing = policy.category("billing").retention
    assert billing is not None
    assert billing.kind == "bookkeeping"
    assert billing.years == 7
    contact = policy.category("contact").retention
    assert contact is not None
    assert contact.kind == "while_customer"
    assert contact.grace_months == 24
    support = policy.category("support").retention
    assert support is not None
    assert support.kind == "after_creation"
    assert support.months == 12
    usage = policy.category("usage").retention
    assert usage is not None
    assert usage.kind == "after_creation"
    assert usage.months == 13


def test_every_bundled_purpose_uses_declared_categories() -> None:
    policy = load_bundled_policy()
    for purpose in policy.purposes.values():
        assert set(purpose.categories) <= set(policy.categories)
    everything = set(policy.categories)
    assert set(policy.purpose("data_subject_rights").categories) == everything
    assert set(policy.purpose("legal_claims_and_authorities").categories) == everything


def test_bundled_flags_and_security_defaults() -> None:
    policy = load_bundled_policy()
    assert policy.purpose("recommendations").profiling
    assert policy.purpose("recommendations").objectable
    assert policy.purpose("statistics").aggregates_only
    assert policy.category("national_id").sensitive
    assert policy.security.session_inactivity_minutes == 15
    assert policy.security.k_anonymity == 10
    assert policy.dpo is not None
    assert policy.dpo.email == "karl-fredrik.bjorklund@carler.se"
    roles = {r.role for r in policy.recipients}
    assert roles == {RecipientRole.PROCESSOR, RecipientRole.CONTROLLER, RecipientRole.AUTHORITY}


def test_allows_follows_the_purpose_categories() -> None:
    policy = load_bundled_policy()
    assert policy.allows("marketing", "newsletter")
    assert not policy.allows("marketing", "usage")
    assert policy.allows("bookkeeping", "billing")
    assert "recommendations" in policy.purposes_using("usage")


def test_unknown_keys_raise_not_found_listing_valid_keys() -> None:
    policy = load_bundled_policy()
    with pytest.raises(NotFound, match=r"unknown purpose 'marketting'.*marketing"):
        policy.allows("marketting", "contact")
    with pytest.raises(NotFound, match=r"unknown category 'kontakt'.*contact"):
        policy.allows("marketing", "kontakt")
    with pytest.raises(NotFound, match="unknown recipient"):
        policy.recipient("nobody")


def test_policy_is_immutable() -> None:
    policy = load_bundled_policy()
    with pytest.raises(ValidationError):
        policy.version = "3"  # type: ignore[misc]


def test_norway_is_a_country_not_a_boolean(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    text = write_policy(bundled_data).read_text("utf-8")
    text = text.replace("country: FI", "country: NO")
    policy = parse_policy(text, "policy.yaml")
    assert policy.recipient("hosting").country == "NO"


def test_outdated_mechanism_still_parses(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"][2]["transfer_mechanism"] = "privacy_shield"
    text = write_policy(bundled_data).read_text("utf-8")
    policy = parse_policy(text, "policy.yaml")
    assert policy.recipients[2].transfer_mechanism is TransferMechanism.PRIVACY_SHIELD
