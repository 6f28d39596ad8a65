"""The register of recipients as the DPO sees it: every recipient of the policy, and every one
the policy no longer names but agreements were recorded for, with the current agreement, its
findings and one status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.config import Settings
from dataskydd.policy.checks import Finding
from dataskydd.policy.loader import Locations, line_of
from dataskydd.policy.schema import Policy, Recipient
from dataskydd.recipients import agreements
from dataskydd.recipients.findings import (
    TRANSFER_CODES,
    RecipientFinding,
    Thresholds,
    recipient_findings,
)
from dataskydd.recipients.models import RecipientAgreement


class Status(StrEnum):
    OK = "ok"
    REVIEW_SOON = "review_soon"
    OVERDUE = "overdue"
    NO_AGREEMENT = "no_agreement"
    TRANSFER_PROBLEM = "transfer_problem"
    REMOVED = "removed"  # no longer in the policy; its history is kept


@dataclass(frozen=True)
class RecipientState:
    key: str
    recipient: Recipient | None
    agreement: RecipientAgreement | None
    findings: tuple[RecipientFinding, ...]

    @property
    def review_on(self) -> dt.date | None:
        if self.agreement is not None:
            return self.agreement.review_on
        return self.recipient.review_date if self.recipient is not None else None

    @property
    def status(self) -> Status:
        codes = {finding.code for finding in self.findings}
        if self.recipient is None:
            return Status.REMOVED
        if codes & TRANSFER_CODES:
            return Status.TRANSFER_PROBLEM
        if "review_overdue" in codes:
            return Status.OVERDUE
        if codes & {"no_agreement", "agreement_not_stored"}:
            return Status.NO_AGREEMENT
        if "review_soon" in codes:
            return Status.REVIEW_SOON
        return Status.OK

    def as_dict(self) -> dict[str, Any]:
        agreement = self.agreement
        return {
            "key": self.key,
            "name": self.recipient.name if self.recipient else None,
            "role": self.recipient.role.value if self.recipient else None,
            "in_policy": self.recipient is not None,
            "status": self.status.value,
            "review_on": self.review_on.isoformat() if self.review_on else None,
            "agreement": agreement_dict(agreement) if agreement is not None else None,
            "findings": [finding.as_dict() for finding in self.findings],
        }


def agreement_dict(agreement: RecipientAgreement) -> dict[str, Any]:
    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": agreement.id,
        "signed_on": day(agreement.signed_on),
        "review_on": day(agreement.review_on),
        "categories": list(agreement.categories),
        "country": agreement.country,
        "transfer_mechanism": agreement.transfer_mechanism.value,
        "dpf_checked_on": day(agreement.dpf_checked_on),
        "scc_module": agreement.scc_module,
        "scc_signed_on": day(agreement.scc_signed_on),
        "tia_reference": agreement.tia_reference,
        "document": agreement.document_id,
        "recorded_by": agreement.recorded_by,
        "recorded_at": agreement.recorded_at.isoformat(),
    }


def thresholds(settings: Settings, today: dt.date) -> Thresholds:
    return Thresholds(
        today=today,
        notice_days=settings.recipient_review_notice_days,
        dpf_valid_days=settings.dpf_check_valid_days,
    )


def recipient_states(session: Session, policy: Policy, limits: Thresholds) -> list[RecipientState]:
    """The policy's recipients in its order, then removed ones by key."""
    current = agreements.current_agreements(session)
    states = []
    for recipient in policy.recipients:
        agreement = current.get(recipient.key)
        found = recipient_findings(recipient.key, recipient, agreement, limits)
        states.append(RecipientState(recipient.key, recipient, agreement, tuple(found)))
    named = {recipient.key for recipient in policy.recipients}
    for key in sorted(set(current) - named):
        found = recipient_findings(key, None, current[key], limits)
        states.append(RecipientState(key, None, current[key], tuple(found)))
    return states


def recipient_state(
    session: Session, policy: Policy, key: str, limits: Thresholds
) -> RecipientState | None:
    for state in recipient_states(session, policy, limits):
        if state.key == key:
            return state
    return None


def reviews_due(session: Session, policy: Policy, limits: Thresholds) -> int:
    """How many recipients' reviews are overdue or due within the notice period (the DPO's
    start page)."""
    return sum(
        1
        for state in recipient_states(session, policy, limits)
        if state.recipient is not None
        and any(f.code in ("review_overdue", "review_soon") for f in state.findings)
    )


# Findings `policy check` already makes from the policy file alone (policy/checks.py), and the
# policy's own review dates, which the `recipient` promise reports.
_FROM_POLICY_FILE = frozenset({"no_agreement", "transfer_invalid", "review_overdue"})


def _for_policy_check(finding: RecipientFinding, *, in_use: bool) -> bool:
    if finding.code == "review_soon":
        return False
    if finding.from_register:
        return True
    return in_use and finding.code not in _FROM_POLICY_FILE


def policy_check_findings(
    session: Session, policy: Policy, limits: Thresholds, locations: Locations | None = None
) -> list[Finding]:
    """The register's findings in `policy check`'s form: what the stored agreements show, and,
    once the register is in use (an agreement recorded), the processors and third-country
    transfers it lacks. Review dates of the policy file itself, and reviews merely due soon,
    are left to `dataskydd promises` and `dataskydd recipients findings`."""
    in_use = agreements.any_recorded(session)
    positions = {recipient.key: index for index, recipient in enumerate(policy.recipients)}
    found = []
    for state in recipient_states(session, policy, limits):
        for finding in state.findings:
            if not _for_policy_check(finding, in_use=in_use):
                continue
            position = positions.get(state.key)
            path: tuple[str | int, ...] = (
                ("recipients", position) if position is not None else ("recipients",)
            )
            found.append(
                Finding(
                    severity=finding.severity,
                    code=f"register_{finding.code}",
                    path=f"recipients[{position}]" if position is not None else "recipients",
                    message=f"register: recipient {state.key!r}: {finding.en}",
                    line=line_of(locations or {}, path),
                )
            )
    return found
