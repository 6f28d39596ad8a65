"""Transfers to third countries (GDPR chapter V) and the evidence each mechanism needs:

- adequacy (art. 45): the country's adequacy decision; nothing more to keep;
- EU-US Data Privacy Framework (adequacy decision of 10 July 2023): the date someone checked
  that the recipient is on the DPF list, which goes stale (organisations leave the list);
- standard contractual clauses (art. 46.2 c; Commission decision 2021/914 of 4 June 2021): the
  module (1 controller-controller, 2 controller-processor, 3 processor-processor, 4
  processor-controller), the signing date and a transfer impact assessment (Schrems II);
- binding corporate rules (art. 47): the transfer impact assessment.

Pure functions on plain values: `evidence_problems` for what is recorded (refused with the
field), `transfer_problems` for what the checks report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from iso3166 import countries_by_alpha2

from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import ADEQUATE_COUNTRIES, EEA_COUNTRIES, TransferMechanism

# The DPF adequacy decision; no DPF list could be checked before it.
DPF_SINCE = dt.date(2023, 7, 10)
# Decision (EU) 2021/914: the current clauses; the older ones stopped covering transfers on
# 27 December 2022, so an earlier signature is not of these clauses.
SCC_SINCE = dt.date(2021, 6, 4)
SCC_MODULES = (1, 2, 3, 4)
MAX_TIA_REFERENCE = 120


def is_country(code: str) -> bool:
    # ISO 3166-1 alpha-2, upper case, as iso3166 lists them: no regions (EU, UN), no
    # private-use or exceptionally reserved codes (ZZ, QO, IC), Kosovo's XK included.
    return code in countries_by_alpha2


def in_third_country(country: str) -> bool:
    return country not in EEA_COUNTRIES


@dataclass(frozen=True)
class TransferEvidence:
    country: str
    mechanism: TransferMechanism
    dpf_checked_on: dt.date | None = None
    scc_module: int | None = None
    scc_signed_on: dt.date | None = None
    tia_reference: str | None = None


def _not_after_today(value: dt.date | None, field: str, today: dt.date) -> None:
    if value is not None and value > today:
        raise InvalidInput(field, Msg("must not be in the future"))


def evidence_problems(evidence: TransferEvidence, *, today: dt.date) -> None:
    """Raise InvalidInput naming the field when the evidence does not fit the mechanism and
    the country, or is missing: an agreement is recorded complete or not at all."""
    country, mechanism = evidence.country, evidence.mechanism
    if not is_country(country):
        raise InvalidInput("country", Msg("must be an ISO 3166 country code such as SE or US"))
    if mechanism is TransferMechanism.PRIVACY_SHIELD:
        raise InvalidInput(
            "transfer_mechanism",
            Msg(
                "the Privacy Shield was invalidated on 16 July 2020 "
                "(C-311/18); use eu_us_dpf or scc"
            ),
        )
    if not in_third_country(country) and mechanism is not TransferMechanism.NONE:
        raise InvalidInput(
            "transfer_mechanism",
            Msg("the recipient is in the EU/EEA: no transfer mechanism applies"),
        )
    if mechanism is TransferMechanism.ADEQUACY and country not in ADEQUATE_COUNTRIES:
        raise InvalidInput("transfer_mechanism", Msg("the country has no EU adequacy decision"))
    if mechanism is TransferMechanism.EU_US_DPF and country != "US":
        raise InvalidInput("transfer_mechanism", Msg("the DPF covers only US organisations"))
    _only_for(evidence)
    if mechanism is TransferMechanism.EU_US_DPF:
        if evidence.dpf_checked_on is None:
            raise InvalidInput(
                "dpf_checked_on", Msg("the date the DPF list was checked is required")
            )
        _not_after_today(evidence.dpf_checked_on, "dpf_checked_on", today)
        if evidence.dpf_checked_on < DPF_SINCE:
            raise InvalidInput("dpf_checked_on", Msg("the DPF list exists only since 2023-07-10"))
    if mechanism is TransferMechanism.SCC:
        if evidence.scc_module not in SCC_MODULES:
            raise InvalidInput("scc_module", Msg("the SCC module (1, 2, 3 or 4) is required"))
        if evidence.scc_signed_on is None:
            raise InvalidInput("scc_signed_on", Msg("the date the clauses were signed is required"))
        _not_after_today(evidence.scc_signed_on, "scc_signed_on", today)
        if evidence.scc_signed_on < SCC_SINCE:
            raise InvalidInput(
                "scc_signed_on",
                Msg("the current clauses (decision 2021/914) exist since 2021-06-04"),
            )
    if mechanism in (TransferMechanism.SCC, TransferMechanism.BCR) and not evidence.tia_reference:
        raise InvalidInput(
            "tia_reference", Msg("a transfer impact assessment reference is required")
        )


def _only_for(evidence: TransferEvidence) -> None:
    mechanism = evidence.mechanism
    if evidence.dpf_checked_on is not None and mechanism is not TransferMechanism.EU_US_DPF:
        raise InvalidInput("dpf_checked_on", Msg("applies only to the eu_us_dpf mechanism"))
    scc_only = (("scc_module", evidence.scc_module), ("scc_signed_on", evidence.scc_signed_on))
    for field, value in scc_only:
        if value is not None and mechanism is not TransferMechanism.SCC:
            raise InvalidInput(field, Msg("applies only to the scc mechanism"))
    if evidence.tia_reference and mechanism not in (TransferMechanism.SCC, TransferMechanism.BCR):
        raise InvalidInput("tia_reference", Msg("applies only to the scc and bcr mechanisms"))


@dataclass(frozen=True)
class TransferProblem:
    code: str  # transfer_invalid, transfer_evidence_missing, dpf_check_stale
    en: str
    sv: str


def transfer_problems(
    evidence: TransferEvidence, *, today: dt.date, dpf_valid_days: int
) -> list[TransferProblem]:
    """What is wrong with a transfer as the evidence stands today; empty within the EU/EEA."""
    country, mechanism = evidence.country, evidence.mechanism
    if not in_third_country(country):
        return []
    if mechanism in (TransferMechanism.NONE, TransferMechanism.PRIVACY_SHIELD):
        why = (
            "no mechanism" if mechanism is TransferMechanism.NONE else "the invalid Privacy Shield"
        )
        varför = "ingen skyddsåtgärd" if mechanism is TransferMechanism.NONE else "Privacy Shield"
        return [
            TransferProblem(
                "transfer_invalid",
                f"transfer to {country} rests on {why}",
                f"överföringen till {country} vilar på {varför}",
            )
        ]
    if (mechanism is TransferMechanism.ADEQUACY and country not in ADEQUATE_COUNTRIES) or (
        mechanism is TransferMechanism.EU_US_DPF and country != "US"
    ):
        return [
            TransferProblem(
                "transfer_invalid",
                f"{mechanism.value} does not cover a transfer to {country}",
                f"{mechanism.value} täcker inte en överföring till {country}",
            )
        ]
    problems = [_missing(what_en, what_sv) for what_en, what_sv in _missing_evidence(evidence)]
    checked = evidence.dpf_checked_on
    stale = checked is not None and (today - checked).days > dpf_valid_days
    if mechanism is TransferMechanism.EU_US_DPF and checked is not None and stale:
        problems.append(
            TransferProblem(
                "dpf_check_stale",
                f"the DPF list was last checked on {checked.isoformat()}, more than "
                f"{dpf_valid_days} days ago",
                f"DPF-listan kontrollerades senast {checked.isoformat()}, för mer än "
                f"{dpf_valid_days} dagar sedan",
            )
        )
    return problems


def _missing(what_en: str, what_sv: str) -> TransferProblem:
    return TransferProblem(
        "transfer_evidence_missing", f"{what_en} is not recorded", f"{what_sv} är inte registrerat"
    )


def _missing_evidence(evidence: TransferEvidence) -> list[tuple[str, str]]:
    mechanism = evidence.mechanism
    missing = []
    if mechanism is TransferMechanism.EU_US_DPF and evidence.dpf_checked_on is None:
        missing.append(
            ("the date the DPF list was checked", "datumet då DPF-listan kontrollerades")
        )
    if mechanism is TransferMechanism.SCC:
        if evidence.scc_module is None:
            missing.append(("the SCC module", "modulen i standardavtalsklausulerna"))
        if evidence.scc_signed_on is None:
            missing.append(("the SCC signing date", "datumet då klausulerna undertecknades"))
    if mechanism in (TransferMechanism.SCC, TransferMechanism.BCR) and not evidence.tia_reference:
        missing.append(
            ("a transfer impact assessment reference", "en hänvisning till en överföringsanalys")
        )
    return missing
