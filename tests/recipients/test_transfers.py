"""Third-country transfers: the evidence each mechanism needs is required when an agreement is
recorded, and goes stale or missing in the checks (GDPR chapter V)."""

from __future__ import annotations

import datetime as dt

import pytest

from dataskydd.errors import InvalidInput
from dataskydd.policy.schema import TransferMechanism as M
from dataskydd.recipients.transfers import (
    TransferEvidence,
    evidence_problems,
    is_country,
    transfer_problems,
)

TODAY = dt.date(2026, 12, 1)


def test_countries_are_iso_codes() -> None:
    assert is_country("SE")
    assert is_country("US")
    for code in ("EU", "ZZ", "se", "S", "SWE", "QO", "1A"):
        assert not is_country(code), code


@pytest.mark.parametrize(
    ("evidence", "field", "why"),
    [
        (TransferEvidence("XQ", M.NONE), "country", "ISO 3166"),
        (TransferEvidence("US", M.PRIVACY_SHIELD), "transfer_mechanism", "invalidated"),
        (TransferEvidence("FI", M.SCC), "transfer_mechanism", "EU/EEA"),
        (TransferEvidence("AU", M.ADEQUACY), "transfer_mechanism", "no EU adequacy"),
        (TransferEvidence("GB", M.EU_US_DPF, dt.date(2026, 1, 1)), "transfer_mechanism", "US"),
        (TransferEvidence("US", M.EU_US_DPF), "dpf_checked_on", "required"),
        (TransferEvidence("US", M.EU_US_DPF, dt.date(2026, 12, 2)), "dpf_checked_on", "future"),
        (TransferEvidence("US", M.EU_US_DPF, dt.date(2023, 7, 9)), "dpf_checked_on", "2023-07-10"),
        (
            TransferEvidence("AU", M.SCC, scc_signed_on=TODAY, tia_reference="TIA-1"),
            "scc_module",
            "required",
        ),
        (
            TransferEvidence("AU", M.SCC, scc_module=5, scc_signed_on=TODAY, tia_reference="T"),
            "scc_module",
            "1, 2, 3 or 4",
        ),
        (
            TransferEvidence("AU", M.SCC, scc_module=2, tia_reference="T"),
            "scc_signed_on",
            "required",
        ),
        (
            TransferEvidence(
                "AU", M.SCC, scc_module=2, scc_signed_on=dt.date(2020, 5, 1), tia_reference="T"
            ),
            "scc_signed_on",
            "2021-06-04",
        ),
        (
            TransferEvidence("AU", M.SCC, scc_module=2, scc_signed_on=TODAY),
            "tia_reference",
            "required",
        ),
        (TransferEvidence("IN", M.BCR), "tia_reference", "required"),
        (TransferEvidence("GB", M.ADEQUACY, tia_reference="T"), "tia_reference", "only to"),
        (TransferEvidence("US", M.SCC, dt.date(2026, 1, 1)), "dpf_checked_on", "only to"),
        (TransferEvidence("JP", M.ADEQUACY, scc_module=2), "scc_module", "only to"),
    ],
)
def test_evidence_that_does_not_fit_is_refused_naming_the_field(
    evidence: TransferEvidence, field: str, why: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        evidence_problems(evidence, today=TODAY)
    assert refused.value.field == field
    assert why in refused.value.reason


@pytest.mark.parametrize(
    "evidence",
    [
        TransferEvidence("SE", M.NONE),
        TransferEvidence("GB", M.ADEQUACY),
        TransferEvidence("US", M.EU_US_DPF, dt.date(2026, 11, 1)),
        TransferEvidence("AU", M.SCC, scc_module=2, scc_signed_on=TODAY, tia_reference="TIA 7"),
        TransferEvidence("IN", M.BCR, tia_reference="TIA 8"),
    ],
)
def test_complete_evidence_is_accepted_and_has_no_problem(evidence: TransferEvidence) -> None:
    evidence_problems(evidence, today=TODAY)
    assert transfer_problems(evidence, today=TODAY, dpf_valid_days=365) == []


def test_a_dpf_check_goes_stale_after_the_configured_days() -> None:
    checked = TransferEvidence("US", M.EU_US_DPF, dt.date(2025, 12, 1))
    assert transfer_problems(checked, today=TODAY, dpf_valid_days=365) == []
    [stale] = transfer_problems(checked, today=TODAY + dt.timedelta(days=1), dpf_valid_days=365)
    assert stale.code == "dpf_check_stale"
    assert "2025-12-01" in stale.en
    assert "kontrollerades senast 2025-12-01" in stale.sv
    assert transfer_problems(checked, today=TODAY, dpf_valid_days=30)[0].code == "dpf_check_stale"


@pytest.mark.parametrize(
    ("evidence", "codes"),
    [
        (TransferEvidence("AU", M.NONE), ["transfer_invalid"]),
        (TransferEvidence("US", M.PRIVACY_SHIELD), ["transfer_invalid"]),
        (TransferEvidence("US", M.ADEQUACY), ["transfer_invalid"]),
        (TransferEvidence("CA", M.EU_US_DPF), ["transfer_invalid"]),
        (TransferEvidence("US", M.EU_US_DPF), ["transfer_evidence_missing"]),
        (TransferEvidence("AU", M.SCC), ["transfer_evidence_missing"] * 3),
        (TransferEvidence("IN", M.BCR), ["transfer_evidence_missing"]),
        (TransferEvidence("DE", M.PRIVACY_SHIELD), []),  # within the EEA: no transfer
    ],
)
def test_what_the_checks_report(evidence: TransferEvidence, codes: list[str]) -> None:
    found = transfer_problems(evidence, today=TODAY, dpf_valid_days=365)
    assert [problem.code for problem in found] == codes
