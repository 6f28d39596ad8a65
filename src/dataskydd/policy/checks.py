"""Findings about a policy: broken references, missing rules, and outdated law.

Each check is a small generator over the policy; `check_policy` runs them all and attaches the
line in the file when the loader's location map is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from dataskydd.policy.loader import Locations, YamlPath, format_path, line_of
from dataskydd.policy.schema import (
    ADEQUATE_COUNTRIES,
    OPTIONAL_SYSTEM_PURPOSES,
    SYSTEM_PURPOSE_NEEDS,
    LegalBasis,
    Permission,
    Policy,
    RecipientRole,
    TransferMechanism,
)

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    path: str
    message: str
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Raw:
    severity: Severity
    code: str
    path: YamlPath
    message: str


def _error(code: str, path: YamlPath, message: str) -> _Raw:
    return _Raw("error", code, path, message)


def _warning(code: str, path: YamlPath, message: str) -> _Raw:
    return _Raw("warning", code, path, message)


def check_policy(policy: Policy, *, raw_locations: Locations | None = None) -> list[Finding]:
    locations = raw_locations or {}
    findings = []
    for check in _CHECKS:
        for raw in check(policy):
            findings.append(
                Finding(
                    severity=raw.severity,
                    code=raw.code,
                    path=format_path(raw.path),
                    message=raw.message,
                    line=line_of(locations, raw.path),
                )
            )
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(finding.severity == "error" for finding in findings)


def _undeclared_references(policy: Policy) -> Iterator[_Raw]:
    for key, purpose in policy.purposes.items():
        for index, category in enumerate(purpose.categories):
            if category not in policy.categories:
                yield _error(
                    "undeclared_category",
                    ("purposes", key, "categories", index),
                    f"purpose {key!r} uses category {category!r}, which is not declared "
                    "under categories",
                )
        for index, kind in enumerate(purpose.subject_kinds):
            if kind not in policy.subject_kinds:
                yield _error(
                    "undeclared_subject_kind",
                    ("purposes", key, "subject_kinds", index),
                    f"purpose {key!r} names subject kind {kind!r}, which is not declared "
                    "under subject_kinds",
                )
    seen: set[str] = set()
    for position, recipient in enumerate(policy.recipients):
        if recipient.key in seen:
            yield _error(
                "duplicate_recipient",
                ("recipients", position, "key"),
                f"recipient key {recipient.key!r} is used twice",
            )
        seen.add(recipient.key)
        for index, category in enumerate(recipient.categories):
            if category not in policy.categories:
                yield _error(
                    "recipient_undeclared_category",
                    ("recipients", position, "categories", index),
                    f"recipient {recipient.key!r} receives category {category!r}, which is "
                    "not declared under categories",
                )


def _retention(policy: Policy) -> Iterator[_Raw]:
    for key, category in policy.categories.items():
        if category.retention is None:
            yield _error(
                "missing_retention",
                ("categories", key, "retention"),
                f"category {key!r} has no retention rule (storage limitation, GDPR art. 5.1 e; "
                "the notice must state the period, art. 13.2 a)",
            )


def _legal_bases(policy: Policy) -> Iterator[_Raw]:
    for key, purpose in policy.purposes.items():
        path: YamlPath = ("purposes", key)
        basis = purpose.legal_basis
        if basis is None:
            yield _error(
                "missing_legal_basis",
                (*path, "legal_basis"),
                f"purpose {key!r} states no legal basis (GDPR art. 6.1; the notice must name "
                "it, art. 13.1 c)",
            )
        if purpose.kept_on_erasure and basis is not LegalBasis.LEGAL_OBLIGATION:
            yield _error(
                "kept_on_erasure_without_obligation",
                (*path, "kept_on_erasure"),
                f"purpose {key!r} keeps data after an erasure request, which GDPR art. 17.3 b "
                "allows only for a legal obligation (legal_basis: legal_obligation)",
            )
        if basis is LegalBasis.LEGITIMATE_INTERESTS and purpose.legitimate_interest is None:
            yield _error(
                "missing_legitimate_interest",
                (*path, "legitimate_interest"),
                f"purpose {key!r} rests on legitimate interests but does not say which "
                "interest (GDPR art. 13.1 d)",
            )
        if basis is LegalBasis.CONSENT and not purpose.objectable:
            yield _error(
                "consent_not_withdrawable",
                (*path, "objectable"),
                f"purpose {key!r} rests on consent, which the subject may withdraw at any "
                "time (GDPR art. 7.3): set objectable: true",
            )
        if (
            purpose.profiling
            and basis is LegalBasis.LEGITIMATE_INTERESTS
            and not (purpose.objectable)
        ):
            yield _error(
                "profiling_not_objectable",
                (*path, "objectable"),
                f"purpose {key!r} profiles on legitimate interests; the subject has the right "
                "to object (GDPR art. 21.1): set objectable: true",
            )
        if purpose.automated_decision and basis not in (
            LegalBasis.CONTRACT,
            LegalBasis.CONSENT,
            LegalBasis.LEGAL_OBLIGATION,
        ):
            yield _warning(
                "automated_decision_basis",
                (*path, "automated_decision"),
                f"purpose {key!r} takes automated decisions; GDPR art. 22.2 allows that only "
                "for a contract, by law, or with explicit consent",
            )


def _recipients(policy: Policy) -> Iterator[_Raw]:
    for position, recipient in enumerate(policy.recipients):
        path: YamlPath = ("recipients", position)
        name = recipient.key
        if recipient.role is RecipientRole.PROCESSOR and recipient.agreement_date is None:
            yield _error(
                "processor_without_agreement",
                (*path, "agreement_date"),
                f"processor {name!r} has no agreement_date (personuppgiftsbiträdesavtal, "
                "GDPR art. 28.3)",
            )
        yield from _transfer(policy, position)


def _transfer(policy: Policy, position: int) -> Iterator[_Raw]:
    recipient = policy.recipients[position]
    path: YamlPath = ("recipients", position, "transfer_mechanism")
    name, country, mechanism = recipient.key, recipient.country, recipient.transfer_mechanism
    if mechanism is TransferMechanism.PRIVACY_SHIELD:
        yield _error(
            "privacy_shield_invalid",
            path,
            f"recipient {name!r} relies on the EU-US Privacy Shield, which the EU Court of "
            "Justice invalidated on 16 July 2020 (case C-311/18, Schrems II); use the EU-US "
            "Data Privacy Framework (adequacy decision of 10 July 2023) for a certified US "
            "recipient, or standard contractual clauses (scc)",
        )
        return
    if not recipient.in_third_country:
        return
    if mechanism in (None, TransferMechanism.NONE):
        yield _error(
            "transfer_without_safeguard",
            path,
            f"recipient {name!r} is in {country}, outside the EU/EEA, but no transfer "
            "mechanism is given (GDPR chapter V: adequacy, eu_us_dpf, scc or bcr)",
        )
    elif mechanism is TransferMechanism.ADEQUACY and country not in ADEQUATE_COUNTRIES:
        hint = " (for the US use eu_us_dpf)" if country == "US" else ""
        yield _error(
            "no_adequacy_decision",
            path,
            f"recipient {name!r} is in {country}, which has no EU adequacy decision{hint}",
        )
    elif mechanism is TransferMechanism.EU_US_DPF and country != "US":
        yield _error(
            "dpf_outside_us",
            path,
            f"recipient {name!r} is in {country}; the EU-US Data Privacy Framework covers "
            "only US organisations",
        )


def _dpo(policy: Policy) -> Iterator[_Raw]:
    if policy.dpo is None:
        yield _warning(
            "missing_dpo",
            ("dpo",),
            "no data protection officer declared; if one is appointed the notice must give "
            "their contact details (GDPR art. 13.1 b)",
        )
    elif not policy.dpo.email:
        yield _error(
            "dpo_without_email",
            ("dpo", "email"),
            "the data protection officer has no e-mail address (GDPR art. 37.7, 13.1 b)",
        )


_OUTDATED: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "outdated_authority",
        re.compile(r"datainspektionen", re.IGNORECASE),
        "names Datainspektionen, which was renamed Integritetsskyddsmyndigheten (IMY) on "
        "1 January 2021 (www.imy.se)",
    ),
    (
        "repealed_law",
        re.compile(r"personuppgiftslag(?:en)?\b", re.IGNORECASE),
        "refers to personuppgiftslagen (PuL), repealed on 25 May 2018 and replaced by the "
        "GDPR and dataskyddslagen (2018:218)",
    ),
)


def _outdated_references(policy: Policy) -> Iterator[_Raw]:
    for path, text in _strings(policy.model_dump(mode="json"), ()):
        for code, pattern, message in _OUTDATED:
            if pattern.search(text):
                yield _error(code, path, f"the text {message}")


def _strings(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _banner_purposes(policy: Policy) -> Iterator[_Raw]:
    banner = policy.consent_banner
    if banner is None:
        return
    for key, purpose in banner.purposes.items():
        target = purpose.policy_purpose
        if target is not None and target not in policy.purposes:
            yield _error(
                "banner_undeclared_purpose",
                ("consent_banner", "purposes", key, "policy_purpose"),
                f"banner choice {key!r} maps to policy purpose {target!r}, which is not "
                "declared under purposes",
            )
        elif target is None and not purpose.necessary:
            yield _error(
                "banner_unmapped_purpose",
                ("consent_banner", "purposes", key, "policy_purpose"),
                f"banner choice {key!r} is not necessary, so it is consent for a purpose: "
                "name it in policy_purpose",
            )


def _access(policy: Policy) -> Iterator[_Raw]:
    """Roles, API access and the system purposes: every purpose they name must exist, and the
    software must find each purpose it needs for its own work."""
    for key, role in policy.roles.items():
        for index, purpose in enumerate(role.purposes):
            if purpose not in policy.purposes:
                yield _error(
                    "role_undeclared_purpose",
                    ("roles", key, "purposes", index),
                    f"role {key!r} names purpose {purpose!r}, which is not declared under purposes",
                )
    if not policy.roles:
        yield _error("no_roles", ("roles",), "no staff roles are declared, so nobody can sign in")
    elif not policy.roles_with(Permission.ACCOUNTS_ADMIN):
        yield _error(
            "no_admin_role",
            ("roles",),
            "no role has the permission accounts.admin, so nobody can manage staff accounts",
        )
    for field in ("read_purposes", "write_purposes"):
        for index, purpose in enumerate(getattr(policy.api_access, field)):
            if purpose not in policy.purposes:
                yield _error(
                    "api_undeclared_purpose",
                    ("api_access", field, index),
                    f"api_access.{field} names purpose {purpose!r}, which is not declared "
                    "under purposes",
                )
    for function, need in SYSTEM_PURPOSE_NEEDS.items():
        purpose = getattr(policy.system_purposes, function)
        if purpose is None and function in OPTIONAL_SYSTEM_PURPOSES:
            continue
        if purpose is None:
            yield _error(
                "missing_system_purpose",
                ("system_purposes", function),
                f"system_purposes.{function} is missing: the software needs a purpose for {need}",
            )
        elif purpose not in policy.purposes:
            yield _error(
                "system_purpose_undeclared",
                ("system_purposes", function),
                f"system_purposes.{function} names purpose {purpose!r}, which is not declared "
                "under purposes",
            )
    yield from _recommendations(policy)
    rights = policy.system_purposes.subject_rights
    if rights in policy.purposes:
        missing = [c for c in policy.categories if c not in policy.purposes[rights].categories]
        if missing:
            yield _error(
                "subject_rights_incomplete",
                ("purposes", rights, "categories"),
                f"purpose {rights!r} answers the subject's requests, so it must use every "
                f"category (a registerutdrag holds all data, GDPR art. 15); missing: "
                f"{', '.join(missing)}",
            )
        if not policy.purposes[rights].allowed_on_restricted:
            yield _error(
                "subject_rights_not_on_restricted",
                ("purposes", rights, "allowed_on_restricted"),
                f"purpose {rights!r} must be allowed_on_restricted: the subject may always "
                "see and ask about restricted data (GDPR art. 18.2)",
            )
    statistics = policy.system_purposes.statistics
    if statistics in policy.purposes and not policy.purposes[statistics].aggregates_only:
        yield _error(
            "statistics_not_aggregate",
            ("purposes", statistics, "aggregates_only"),
            f"purpose {statistics!r} feeds the analysts' reports, which show only aggregates: "
            "set aggregates_only: true",
        )
    for key, declared in policy.purposes.items():
        if declared.direct_marketing and not declared.objectable:
            yield _error(
                "direct_marketing_not_objectable",
                ("purposes", key, "objectable"),
                f"purpose {key!r} is direct marketing, which the subject may always object to "
                "(GDPR art. 21.2): set objectable: true",
            )


def _recommendations(policy: Policy) -> Iterator[_Raw]:
    """Recommendations are asked for when API keys may read a profiling purpose (the viewing
    service fetches them); the software finds that purpose only through the mapping."""
    key = policy.system_purposes.recommendations
    if key is None:
        for index, purpose in enumerate(policy.api_access.read_purposes):
            if purpose in policy.purposes and policy.purposes[purpose].profiling:
                yield _warning(
                    "missing_system_purpose",
                    ("api_access", "read_purposes", index),
                    f"API keys may read the profiling purpose {purpose!r}, but "
                    "system_purposes.recommendations is missing, so no recommendation is "
                    "served under it; name the purpose there",
                )
        return
    stated = policy.purposes.get(key)
    if stated is None:
        return  # named as undeclared by the loop over SYSTEM_PURPOSE_NEEDS
    if not (stated.profiling and stated.objectable):
        yield _error(
            "recommendations_not_profiling",
            ("purposes", key),
            f"purpose {key!r} makes personal recommendations, which is profiling the subject "
            "may object to (GDPR art. 4.4, 21.1): set profiling: true and objectable: true",
        )
    if stated.profiling_logic is None:
        yield _warning(
            "missing_profiling_logic",
            ("purposes", key, "profiling_logic"),
            f"purpose {key!r} profiles; say the logic involved and its consequences in "
            "profiling_logic (GDPR art. 13.2 f, 15.1 h)",
        )


def _functions_the_software_runs(policy: Policy) -> Iterator[_Raw]:
    """What the mapped purposes must allow for the software's own work: someone who may
    answer the subjects' requests under the subject-rights purpose, and consent purposes
    where a subscription or taking part is recorded as consent."""
    rights = policy.system_purposes.subject_rights
    if policy.roles and rights in policy.purposes:
        handlers = [
            key
            for key in policy.roles_with(Permission.REQUESTS_HANDLE)
            if rights in policy.roles[key].purposes
        ]
        if not handlers:
            yield _error(
                "no_request_handler_role",
                ("roles",),
                f"no role has the permission requests.handle together with purpose {rights!r} "
                "(system_purposes.subject_rights), so nobody can answer the subjects' requests "
                "(GDPR art. 12)",
            )
    for function in ("newsletters", "activities"):
        key = getattr(policy.system_purposes, function)
        stated = policy.purposes.get(key) if key is not None else None
        # A purpose without a basis is named by _legal_bases.
        if stated is not None and stated.legal_basis not in (None, LegalBasis.CONSENT):
            need = SYSTEM_PURPOSE_NEEDS[function]
            yield _error(
                "consent_function_not_consent",
                ("system_purposes", function),
                f"system_purposes.{function} names purpose {key!r}, whose legal basis is "
                f"{stated.legal_basis}: the software records {need}, "
                "so it must be a purpose on consent (GDPR art. 6.1 a, 7)",
            )


_CHECKS: tuple[Callable[[Policy], Iterator[_Raw]], ...] = (
    _undeclared_references,
    _retention,
    _legal_bases,
    _recipients,
    _dpo,
    _outdated_references,
    _banner_purposes,
    _access,
    _functions_the_software_runs,
)
