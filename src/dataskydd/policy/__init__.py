"""Policy-as-code: the privacy policy as a typed file that the rest of the system obeys."""

from dataskydd.policy.checks import Finding, check_policy, has_errors
from dataskydd.policy.loader import (
    PolicyDocument,
    PolicyError,
    load_bundled_document,
    load_bundled_policy,
    load_policy,
    load_policy_document,
    parse_policy,
    parse_policy_document,
)
from dataskydd.policy.notice import render_notice
from dataskydd.policy.records_of_processing import render_ropa_csv, render_ropa_html, ropa_rows
from dataskydd.policy.retention import describe_retention, is_due, keep_until
from dataskydd.policy.schema import Category, LegalBasis, Policy, Purpose, Recipient

__all__ = [
    "Category",
    "Finding",
    "LegalBasis",
    "Policy",
    "PolicyDocument",
    "PolicyError",
    "Purpose",
    "Recipient",
    "check_policy",
    "describe_retention",
    "has_errors",
    "is_due",
    "keep_until",
    "load_bundled_document",
    "load_bundled_policy",
    "load_policy",
    "load_policy_document",
    "parse_policy",
    "parse_policy_document",
    "render_notice",
    "render_ropa_csv",
    "render_ropa_html",
    "ropa_rows",
]
