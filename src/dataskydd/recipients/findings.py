"""What is wrong with a recipient's agreement, as pure functions of the policy's entry, the
stored agreement and the day: the findings `dataskydd recipients findings`, `policy check`,
`dataskydd promises` and the /recipients page share.

The stored agreement, when there is one, is the record: its review date, categories, country
and transfer evidence. Without one, the policy's own dates and mechanism are all there is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from dataskydd.policy.schema import Recipient, RecipientRole, TransferMechanism
from dataskydd.recipients.models import RecipientAgreement
from dataskydd.recipients.transfers import TransferEvidence, transfer_problems

Severity = Literal["error", "warning"]
TRANSFER_CODES = frozenset({"transfer_invalid", "transfer_evidence_missing", "dpf_check_stale"})


@dataclass(frozen=True)
class Thresholds:
    today: dt.date
    notice_days: int = 30
    dpf_valid_days: int = 365


@dataclass(frozen=True)
class RecipientFinding:
    recipient: str
    code: str
    severity: Severity
    en: str
    sv: str
    # True when a stored agreement says so; False when only the policy file does.
    from_register: bool

    def text(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "code": self.code,
            "severity": self.severity,
            "message": self.en,
            "from_register": self.from_register,
        }


def _finding(
    key: str, code: str, severity: Severity, en: str, sv: str, *, stored: bool
) -> RecipientFinding:
    return RecipientFinding(key, code, severity, en, sv, stored)


def _review(
    key: str, review_on: dt.date | None, limits: Thresholds, *, stored: bool
) -> list[RecipientFinding]:
    if review_on is None:
        return []
    day = review_on.isoformat()
    if review_on < limits.today:
        return [
            _finding(
                key,
                "review_overdue",
                "error",
                f"the review of the agreement was due on {day}",
                f"avtalet skulle ha granskats senast {day}",
                stored=stored,
            )
        ]
    if (review_on - limits.today).days <= limits.notice_days:
        return [
            _finding(
                key,
                "review_soon",
                "warning",
                f"the agreement is due for review on {day}",
                f"avtalet ska granskas senast {day}",
                stored=stored,
            )
        ]
    return []


def _categories(recipient: Recipient, agreement: RecipientAgreement) -> list[RecipientFinding]:
    shared, covered = set(recipient.categories), set(agreement.categories)
    found = []
    if shared - covered:
        keys = ", ".join(sorted(shared - covered))
        found.append(
            _finding(
                recipient.key,
                "categories_differ",
                "error",
                f"the policy shares categories the agreement does not cover: {keys}",
                f"policyn delar kategorier som avtalet inte omfattar: {keys}",
                stored=True,
            )
        )
    if covered - shared:
        keys = ", ".join(sorted(covered - shared))
        found.append(
            _finding(
                recipient.key,
                "categories_differ",
                "warning",
                f"the agreement covers categories the policy does not share: {keys}",
                f"avtalet omfattar kategorier som policyn inte delar: {keys}",
                stored=True,
            )
        )
    return found


def _transfer(
    key: str, evidence: TransferEvidence, limits: Thresholds, *, stored: bool
) -> list[RecipientFinding]:
    return [
        _finding(key, problem.code, "error", problem.en, problem.sv, stored=stored)
        for problem in transfer_problems(
            evidence, today=limits.today, dpf_valid_days=limits.dpf_valid_days
        )
    ]


def _without_agreement(recipient: Recipient, limits: Thresholds) -> list[RecipientFinding]:
    key = recipient.key
    found = []
    if recipient.role is RecipientRole.PROCESSOR:
        if recipient.agreement_date is None:
            found.append(
                _finding(
                    key,
                    "no_agreement",
                    "error",
                    "the processor has no data processing agreement (GDPR art. 28.3)",
                    "biträdet har inget personuppgiftsbiträdesavtal (artikel 28.3)",
                    stored=False,
                )
            )
        else:
            day = recipient.agreement_date.isoformat()
            found.append(
                _finding(
                    key,
                    "agreement_not_stored",
                    "warning",
                    f"the policy names an agreement of {day}, but none is recorded with its "
                    "document",
                    f"policyn anger ett avtal från {day}, men inget avtal med dokument är "
                    "registrerat",
                    stored=False,
                )
            )
    evidence = TransferEvidence(
        country=recipient.country,
        mechanism=recipient.transfer_mechanism or TransferMechanism.NONE,
    )
    found += _transfer(key, evidence, limits, stored=False)
    found += _review(key, recipient.review_date, limits, stored=False)
    return found


def recipient_findings(
    key: str,
    recipient: Recipient | None,
    agreement: RecipientAgreement | None,
    limits: Thresholds,
) -> list[RecipientFinding]:
    """Every finding about one recipient: of the policy (`recipient`), of the register
    (`agreement`, the current one), or both."""
    if recipient is None:
        return [
            _finding(
                key,
                "recipient_removed",
                "warning",
                "agreements are recorded for a recipient the policy no longer names; the "
                "history is kept",
                "avtal finns registrerade för en mottagare som policyn inte längre nämner; "
                "historiken sparas",
                stored=True,
            )
        ]
    if agreement is None:
        return _without_agreement(recipient, limits)
    found = _review(key, agreement.review_on, limits, stored=True)
    found += _categories(recipient, agreement)
    if agreement.country != recipient.country:
        found.append(
            _finding(
                key,
                "country_differs",
                "warning",
                f"the agreement says {agreement.country}, the policy {recipient.country}",
                f"avtalet anger {agreement.country}, policyn {recipient.country}",
                stored=True,
            )
        )
    evidence = TransferEvidence(
        country=agreement.country,
        mechanism=agreement.transfer_mechanism,
        dpf_checked_on=agreement.dpf_checked_on,
        scc_module=agreement.scc_module,
        scc_signed_on=agreement.scc_signed_on,
        tia_reference=agreement.tia_reference,
    )
    found += _transfer(key, evidence, limits, stored=True)
    return found
