"""The keys of the company under test, found by what they mean instead of by name.

The web, CLI and rights tests run against Omilon's policy and against any other company's
(`DATASKYDD_TEST_POLICY=examples/bokhandel/policy.yaml`, tests/conftest.py). A test that
needs "the DPO's role" or "the category of the subject's personnummer" asks here, so the same
assertion holds for every policy; the lookups fail loudly when a policy has no such key.

Two ways in: the functions take a Policy (use them with the `policy` fixture, and in modules
that override `policy_file`); the constants below are the same answers for the company under
test, for parametrize lists and module-level tables that exist before any fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dataskydd.datamap.entries import DataMap
from dataskydd.policy.schema import LegalBasis, Permission, Policy, Purpose
from tests.conftest import (
    configured_policy_file,
    data_map_beside,
    load_test_data_map,
    load_test_policy,
)

# --- roles, by what they may do -----------------------------------------------------------------


def _role(policy: Policy, what: str, test: Callable[[frozenset[Permission]], bool]) -> str:
    for key, role in policy.roles.items():
        if test(frozenset(role.permissions)):
            return key
    raise AssertionError(f"the policy has no role that is {what}")


def dpo_role(policy: Policy) -> str:
    """The role that handles the subjects' requests (and reads the audit log)."""
    return _role(policy, "the request handler", lambda p: Permission.REQUESTS_HANDLE in p)


def customer_service_role(policy: Policy) -> str:
    """The role that reads and corrects subjects but neither handles requests nor audits."""
    return _role(
        policy,
        "customer service",
        lambda p: (
            Permission.SUBJECT_READ in p
            and Permission.REQUESTS_HANDLE not in p
            and Permission.AUDIT_READ not in p
        ),
    )


def analyst_role(policy: Policy) -> str:
    """The role that sees statistics and no single subject."""
    return _role(
        policy,
        "an analyst",
        lambda p: Permission.STATISTICS_READ in p and Permission.SUBJECT_READ not in p,
    )


def admin_role(policy: Policy) -> str:
    """The role that administers staff accounts and API keys."""
    return _role(policy, "the administrator", lambda p: Permission.ACCOUNTS_ADMIN in p)


# --- purposes, by what the policy says of them -------------------------------------------------


def purpose_with(
    policy: Policy, what: str, test: Callable[[Purpose], bool], among: tuple[str, ...] = ()
) -> str:
    """The first purpose (in the policy's order, within `among` if given) that passes `test`."""
    for key, purpose in policy.purposes.items():
        if (not among or key in among) and test(purpose):
            return key
    raise AssertionError(f"the policy has no purpose that is {what}")


def contract_purpose_of(policy: Policy, role: str, category: str) -> str:
    """The role's purpose on contract that uses `category`: what customer service states to
    read and correct a customer's contact details."""
    return purpose_with(
        policy,
        f"on contract, with {category}, of {role}",
        lambda p: p.legal_basis == LegalBasis.CONTRACT and category in p.categories,
        among=policy.role(role).purposes,
    )


def objectable_purpose(policy: Policy) -> str:
    """A purpose the subject may object to (art. 21): one the `objection.<key>` promise checks."""
    return purpose_with(policy, "objectable", lambda p: p.objectable)


def rights_purpose(policy: Policy) -> str:
    return policy.system_purpose("subject_rights")


def statistics_purpose(policy: Policy) -> str:
    return policy.system_purpose("statistics")


def newsletter_purpose(policy: Policy) -> str:
    return policy.system_purpose("newsletters")


def activities_purpose(policy: Policy) -> str:
    return policy.system_purpose("activities")


def kept_on_erasure_purpose(policy: Policy) -> str:
    """Bookkeeping: data kept after an erasure request under a legal duty (art. 17.3 b)."""
    return purpose_with(policy, "kept on erasure", lambda p: p.kept_on_erasure)


def case_required_purpose(policy: Policy) -> str:
    """Legal claims: a purpose only usable with a case."""
    return purpose_with(policy, "case-bound", lambda p: p.case_required)


def legitimate_interest_purpose(policy: Policy, role: str | None = None) -> str:
    """An objectable purpose on legitimate interests that is not direct marketing, statistics
    or case-bound (art. 21.1), among the purposes of `role` if one is named."""
    return purpose_with(
        policy,
        "an objectable legitimate interest" + (f" of {role}" if role else ""),
        lambda p: (
            p.legal_basis == LegalBasis.LEGITIMATE_INTERESTS
            and p.objectable
            and not p.direct_marketing
            and not p.aggregates_only
            and not p.case_required
        ),
        among=policy.role(role).purposes if role else (),
    )


# --- categories, by the register columns the data map puts in them -----------------------------


def category_of(data_map: DataMap, table: str, column: str) -> str:
    return data_map.register.by_table[table].columns[column]


def name_category(data_map: DataMap) -> str:
    return category_of(data_map, "subject", "given_name")


def personnummer_category(data_map: DataMap) -> str:
    return category_of(data_map, "subject", "personnummer")


def contact_category(data_map: DataMap) -> str:
    return category_of(data_map, "contact_point", "value")


def register_table_category(data_map: DataMap, table: str) -> str:
    """The one category of a register table whose columns all share it (invoice, usage...)."""
    (category,) = data_map.register.by_table[table].categories
    return category


def api_write_purpose(policy: Policy, data_map: DataMap, table: str) -> str | None:
    """The first purpose an API key may write `table` under (one that uses every category of
    the table, datamap/writes.py); None if the company maps no such table or lets no key write
    it (a bookshop's usage events)."""
    entry = data_map.register.by_table.get(table)
    if entry is None:
        return None
    for key in policy.api_access.write_purposes:
        if entry.categories <= set(policy.purpose(key).categories):
            return key
    return None


# --- the company under test, for module-level tables ---------------------------------------------

COMPANY = load_test_policy(configured_policy_file())
# The company's data map directory (None: the bundled map), for apps the tests configure.
COMPANY_MAP_DIR = data_map_beside(configured_policy_file())
COMPANY_MAP = load_test_data_map(COMPANY_MAP_DIR)

# What `dataskydd policy check` names: the policy's file and the data map's files.
POLICY_FILE_NAME = (configured_policy_file() or Path("omilon.yaml")).name
MAP_FILE_NAMES = (
    ", ".join(sorted(p.name for p in COMPANY_MAP_DIR.glob("*.yaml")))
    if COMPANY_MAP_DIR is not None
    else "register.yaml"  # the bundled map
)

DPO = dpo_role(COMPANY)
CUSTOMER_SERVICE = customer_service_role(COMPANY)
ANALYST = analyst_role(COMPANY)
ADMIN = admin_role(COMPANY)

CONTRACT_PURPOSE = purpose_with(
    COMPANY, "on contract", lambda p: p.legal_basis == LegalBasis.CONTRACT
)
# An objection a handler may weigh against compelling grounds (art. 21.1).
OBJECTABLE_INTEREST = legitimate_interest_purpose(COMPANY)
RIGHTS = rights_purpose(COMPANY)
STATISTICS = statistics_purpose(COMPANY)
NEWSLETTERS = newsletter_purpose(COMPANY)
ACTIVITIES = activities_purpose(COMPANY)
BOOKKEEPING = kept_on_erasure_purpose(COMPANY)
LEGAL_CLAIMS = case_required_purpose(COMPANY)

NAME = name_category(COMPANY_MAP)
PERSONNUMMER = personnummer_category(COMPANY_MAP)
CONTACT = contact_category(COMPANY_MAP)
# An everyday purpose (no consent, case or aggregates needed) that does not use the
# personnummer: Omilon's service quality, a bookshop's bookkeeping.
WITHOUT_PERSONNUMMER = purpose_with(
    COMPANY,
    "an everyday purpose without the personnummer",
    lambda p: (
        PERSONNUMMER not in p.categories
        and p.legal_basis is not LegalBasis.CONSENT
        and not p.aggregates_only
        and not p.case_required
    ),
)
BILLING = register_table_category(COMPANY_MAP, "invoice")
CORRESPONDENCE = register_table_category(COMPANY_MAP, "correspondence")
SUPPORT = register_table_category(COMPANY_MAP, "support_case")
USAGE = register_table_category(COMPANY_MAP, "usage_event")
CHANGE_HISTORY = register_table_category(COMPANY_MAP, "rectification")
