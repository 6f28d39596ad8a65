"""An export the company under test can make, found by what the keys mean: a recipient and a
purpose the DPO may use whose shared categories hold the subject's name and contact details,
a category that recipient may not receive, and an objectable purpose with a recipient."""

from __future__ import annotations

from dataclasses import dataclass

from dataskydd.datamap.entries import DataMap
from dataskydd.policy.schema import LegalBasis, Policy
from dataskydd.recipient_exports.scope import allowed_categories
from tests import policy_keys


@dataclass(frozen=True)
class ExportCase:
    recipient: str
    purpose: str
    allowed: tuple[str, ...]
    name: str  # the category of the subject's name
    contact: str  # the category of contact points
    forbidden: str  # a category of the policy the recipient may not receive


def export_case(policy: Policy, data_map: DataMap) -> ExportCase:
    dpo = policy.role(policy_keys.dpo_role(policy))
    name = policy_keys.name_category(data_map)
    contact = policy_keys.contact_category(data_map)
    for recipient in policy.recipients:
        for key in dpo.purposes:
            purpose = policy.purposes[key]
            if purpose.legal_basis is LegalBasis.CONSENT or purpose.case_required:
                continue
            if purpose.aggregates_only:
                continue
            allowed = allowed_categories(policy, recipient, key)
            forbidden = [c for c in policy.categories if c not in recipient.categories]
            if {name, contact} <= set(allowed) and forbidden:
                return ExportCase(recipient.key, key, allowed, name, contact, forbidden[0])
    raise AssertionError("the policy has no recipient the DPO could export names and contacts to")


def objectable_case(policy: Policy) -> tuple[str, str]:
    """(recipient, purpose): an objectable purpose that needs no consent, shared with one."""
    for key, purpose in policy.purposes.items():
        if not purpose.objectable or purpose.legal_basis is LegalBasis.CONSENT:
            continue
        if purpose.aggregates_only or purpose.case_required:
            continue
        for recipient in policy.recipients:
            if allowed_categories(policy, recipient, key):
                return recipient.key, key
    raise AssertionError("the policy has no objectable purpose shared with a recipient")


def consent_case(policy: Policy) -> tuple[str, str]:
    """(recipient, purpose): a purpose on consent shared with a recipient."""
    for key, purpose in policy.purposes.items():
        if purpose.legal_basis is not LegalBasis.CONSENT or purpose.aggregates_only:
            continue
        for recipient in policy.recipients:
            if allowed_categories(policy, recipient, key):
                return recipient.key, key
    raise AssertionError("the policy has no consent-based purpose shared with a recipient")
