from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataskydd.policy import check_policy, load_bundled_document, load_policy_document
from dataskydd.policy.checks import Finding, has_errors

WritePolicy = Callable[[dict[str, Any]], Path]


def _findings(data: dict[str, Any], write_policy: WritePolicy) -> list[Finding]:
    document = load_policy_document(write_policy(data))
    return check_policy(document.policy, raw_locations=document.locations)


def _only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, findings
    return matching[0]


def test_bundled_policy_has_no_findings() -> None:
    document = load_bundled_document()
    assert check_policy(document.policy, raw_locations=document.locations) == []


def test_as_published_policy_is_flagged_for_outdated_law(as_published: Path) -> None:
    document = load_policy_document(as_published)
    findings = check_policy(document.policy, raw_locations=document.locations)
    assert has_errors(findings)
    codes = {f.code for f in findings}
    assert {
        "privacy_shield_invalid",
        "outdated_authority",
        "repealed_law",
        "missing_legal_basis",
        "missing_retention",
    } <= codes
    shield = _only(findings, "privacy_shield_invalid")
    assert "C-311/18" in shield.message
    assert "16 July 2020" in shield.message
    assert "Data Privacy Framework" in shield.message
    assert "10 July 2023" in shield.message
    assert shield.path == "recipients[1].transfer_mechanism"
    assert shield.line is not None
    authority = [f for f in findings if f.code == "outdated_authority"]
    assert any(f.path == "supervisory_authority.name.sv" for f in authority)
    assert all("Integritetsskyddsmyndigheten (IMY)" in f.message for f in authority)
    assert all("1 January 2021" in f.message for f in authority)


def test_purpose_with_undeclared_category(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["purposes"]["marketing"]["categories"].append("shoe_size")
    finding = _only(_findings(bundled_data, write_policy), "undeclared_category")
    assert finding.severity == "error"
    assert finding.path == "purposes.marketing.categories[4]"
    assert "shoe_size" in finding.message
    assert finding.line is not None


def test_category_without_retention(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    del bundled_data["categories"]["support"]["retention"]
    path = write_policy(bundled_data)
    document = load_policy_document(path)
    finding = _only(
        check_policy(document.policy, raw_locations=document.locations), "missing_retention"
    )
    assert finding.path == "categories.support.retention"
    # Reported at the category, since the missing key has no line of its own.
    assert finding.line == document.locations[("categories", "support")]


@pytest.mark.parametrize("mechanism", ["none", None])
def test_third_country_without_safeguard(
    bundled_data: dict[str, Any], write_policy: WritePolicy, mechanism: str | None
) -> None:
    recipient = bundled_data["recipients"][2]
    if mechanism is None:
        del recipient["transfer_mechanism"]
    else:
        recipient["transfer_mechanism"] = mechanism
    finding = _only(_findings(bundled_data, write_policy), "transfer_without_safeguard")
    assert finding.path == "recipients[2].transfer_mechanism"
    assert "outside the EU/EEA" in finding.message


@pytest.mark.parametrize(
    ("country", "flagged"),
    [("AU", True), ("US", True), ("JP", False), ("GB", False), ("CH", False)],
)
def test_adequacy_only_where_the_commission_decided_it(
    bundled_data: dict[str, Any], write_policy: WritePolicy, country: str, flagged: bool
) -> None:
    bundled_data["recipients"][3].update(country=country, transfer_mechanism="adequacy")
    codes = [f.code for f in _findings(bundled_data, write_policy)]
    assert ("no_adequacy_decision" in codes) is flagged


def test_us_adequacy_points_to_the_data_privacy_framework(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"][2]["transfer_mechanism"] = "adequacy"
    finding = _only(_findings(bundled_data, write_policy), "no_adequacy_decision")
    assert "eu_us_dpf" in finding.message


def test_dpf_is_only_for_us_recipients(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"][3]["transfer_mechanism"] = "eu_us_dpf"
    _only(_findings(bundled_data, write_policy), "dpf_outside_us")


def test_eea_recipients_need_no_mechanism(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"][1].update(country="NO")
    del bundled_data["recipients"][1]["transfer_mechanism"]
    assert _findings(bundled_data, write_policy) == []


def test_privacy_shield_is_an_error_citing_schrems_ii(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"][2]["transfer_mechanism"] = "privacy_shield"
    finding = _only(_findings(bundled_data, write_policy), "privacy_shield_invalid")
    assert finding.severity == "error"
    assert "C-311/18" in finding.message
    assert "standard contractual clauses" in finding.message


def test_datainspektionen_anywhere_is_an_error(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["notice"]["profiling"]["en"] += " Complaints go to DATAINSPEKTIONEN."
    finding = _only(_findings(bundled_data, write_policy), "outdated_authority")
    assert finding.path == "notice.profiling.en"
    assert "IMY" in finding.message


def test_personuppgiftslagen_is_an_error(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["purposes"]["bookkeeping"]["description"]["sv"] += " Enligt personuppgiftslagen."
    finding = _only(_findings(bundled_data, write_policy), "repealed_law")
    assert finding.path == "purposes.bookkeeping.description.sv"
    assert "25 May 2018" in finding.message
    assert "2018:218" in finding.message


def test_legitimate_interests_need_the_interest_stated(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    del bundled_data["purposes"]["statistics"]["legitimate_interest"]
    finding = _only(_findings(bundled_data, write_policy), "missing_legitimate_interest")
    assert finding.path == "purposes.statistics.legitimate_interest"


def test_processor_needs_an_agreement_date(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    del bundled_data["recipients"][0]["agreement_date"]
    finding = _only(_findings(bundled_data, write_policy), "processor_without_agreement")
    assert finding.path == "recipients[0].agreement_date"


def test_controllers_and_authorities_need_no_agreement_date(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    assert "agreement_date" not in bundled_data["recipients"][4]
    assert _findings(bundled_data, write_policy) == []


def test_recipient_with_undeclared_category(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"][0]["categories"].append("health")
    finding = _only(_findings(bundled_data, write_policy), "recipient_undeclared_category")
    assert finding.path == "recipients[0].categories[3]"


def test_consent_must_be_withdrawable(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["purposes"]["marketing"]["objectable"] = False
    finding = _only(_findings(bundled_data, write_policy), "consent_not_withdrawable")
    assert "art. 7.3" in finding.message


def test_profiling_on_legitimate_interests_must_be_objectable(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["purposes"]["recommendations"]["objectable"] = False
    _only(_findings(bundled_data, write_policy), "profiling_not_objectable")


def test_dpo_needs_an_email(bundled_data: dict[str, Any], write_policy: WritePolicy) -> None:
    del bundled_data["dpo"]["email"]
    finding = _only(_findings(bundled_data, write_policy), "dpo_without_email")
    assert finding.path == "dpo.email"


def test_purpose_without_legal_basis(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    del bundled_data["purposes"]["surveys"]["legal_basis"]
    finding = _only(_findings(bundled_data, write_policy), "missing_legal_basis")
    assert finding.path == "purposes.surveys.legal_basis"


MINIMAL = """\
version: "1"
controller:
  name: Exempel AB
  postal_address: {street: Storgatan 1, postal_code: 111 22, city: Stockholm}
  phone: 08-123 45 67
dpo: {name: Dora Dataskydd, email: dpo@example.se}
supervisory_authority:
  name: {sv: Integritetsskyddsmyndigheten (IMY), en: IMY}
  website: www.imy.se
subject_kinds:
  customer: {title: {sv: Kunder, en: Customers}}
categories:
  contact:
    title: {sv: Kontaktuppgifter, en: Contact details}
    description: {sv: E-post., en: E-mail.}
purposes:
  support:
    title: {sv: Support, en: Support}
    description: {sv: Hjälpa dig., en: Helping you.}
    legal_basis: contract
    categories: [contact, phone]
recipients:
  - key: mailer
    name: Example Mail Inc.
    role: processor
    description: {sv: E-post., en: E-mail.}
    categories: [contact]
    agreement_date: 2024-01-01
    country: US
    transfer_mechanism: none
"""


def test_minimal_policy_findings_carry_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "minimal.yaml"
    path.write_text(MINIMAL, "utf-8")
    document = load_policy_document(path)
    findings = {f.code: f for f in check_policy(document.policy, raw_locations=document.locations)}
    assert set(findings) == {
        "missing_retention",
        "undeclared_category",
        "transfer_without_safeguard",
        # Nothing says who may use the policy's purposes, nor which the software runs under.
        "no_roles",
        "missing_system_purpose",
    }
    lines = MINIMAL.splitlines()
    assert lines[findings["missing_retention"].line - 1] == "  contact:"
    assert lines[findings["undeclared_category"].line - 1].endswith("[contact, phone]")
    assert findings["undeclared_category"].path == "purposes.support.categories[1]"
    transfer = findings["transfer_without_safeguard"]
    assert lines[transfer.line - 1] == "    transfer_mechanism: none"
    assert findings["transfer_without_safeguard"].path == "recipients[0].transfer_mechanism"


def _drop_admin(data: dict[str, Any]) -> None:
    for role in data["roles"].values():
        role["permissions"] = [p for p in role["permissions"] if p != "accounts.admin"]


ACCESS_MISTAKES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "role_undeclared_purpose",
        lambda d: d["roles"]["analyst"]["purposes"].append("gossip"),
        "roles.analyst.purposes[2]",
        "gossip",
    ),
    ("no_roles", lambda d: d.pop("roles"), "roles", "nobody can sign in"),
    ("no_admin_role", _drop_admin, "roles", "accounts.admin"),
    (
        "api_undeclared_purpose",
        lambda d: d["api_access"]["write_purposes"].append("gossip"),
        "api_access.write_purposes[5]",
        "gossip",
    ),
    (
        "missing_system_purpose",
        lambda d: d["system_purposes"].pop("rectification"),
        "system_purposes.rectification",
        "corrections",
    ),
    (
        "system_purpose_undeclared",
        lambda d: d["system_purposes"].update(newsletters="gossip"),
        "system_purposes.newsletters",
        "gossip",
    ),
    (
        "subject_rights_incomplete",
        lambda d: d["purposes"]["data_subject_rights"]["categories"].remove("usage"),
        "purposes.data_subject_rights.categories",
        "usage",
    ),
    (
        "subject_rights_not_on_restricted",
        lambda d: d["purposes"]["data_subject_rights"].update(allowed_on_restricted=False),
        "purposes.data_subject_rights.allowed_on_restricted",
        "18.2",
    ),
    (
        "statistics_not_aggregate",
        lambda d: d["purposes"]["statistics"].update(aggregates_only=False),
        "purposes.statistics.aggregates_only",
        "aggregates",
    ),
    (
        "direct_marketing_not_objectable",
        lambda d: d["purposes"]["marketing"].update(objectable=False),
        "purposes.marketing.objectable",
        "21.2",
    ),
]


@pytest.mark.parametrize(
    ("code", "mistake", "path", "named"),
    [pytest.param(*case, id=case[0]) for case in ACCESS_MISTAKES],
)
def test_access_mistakes_are_errors(
    bundled_data: dict[str, Any],
    write_policy: WritePolicy,
    code: str,
    mistake: Callable[[dict[str, Any]], None],
    path: str,
    named: str,
) -> None:
    """Roles, API access and system purposes (policy/checks.py `_access`)."""
    mistake(bundled_data)
    finding = _only(_findings(bundled_data, write_policy), code)
    assert finding.severity == "error"
    assert finding.path == path
    assert named in finding.message


def test_findings_without_locations_have_no_line(as_published: Path) -> None:
    document = load_policy_document(as_published)
    findings = check_policy(document.policy)
    assert findings
    assert all(f.line is None for f in findings)


def test_kept_on_erasure_needs_a_legal_obligation(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["purposes"]["marketing"]["kept_on_erasure"] = True
    finding = _only(_findings(bundled_data, write_policy), "kept_on_erasure_without_obligation")
    assert finding.path == "purposes.marketing.kept_on_erasure"
    assert "17.3" in finding.message
