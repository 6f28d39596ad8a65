"""The rules of the access decision, as pure functions: no database.

Each refusal must say what is wrong in words a member of staff (and the audit log) can act
on: the purpose, the category, the role or key, the restriction's dates and reason, the
objection's date and which paragraph of art. 21 applies.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dataskydd.access.rules import Action, caller_refusal, category_refusal, purpose_refusal
from dataskydd.access.service import may, usable_purposes
from dataskydd.access.state import StandingObjection, StandingRestriction, SubjectState
from dataskydd.auth.access import (
    API_KEY_READ,
    API_KEY_WRITE,
    AccessContext,
    CallerKind,
    operator_context,
    staff_context,
    subject_context,
)
from dataskydd.errors import NotFound
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Permission, Policy

POLICY = load_bundled_policy()
RIGHTS = POLICY.system_purpose("subject_rights")
OBJECTED_ON = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return POLICY


def staff(role: str) -> AccessContext:
    return staff_context(policy=POLICY, username=f"{role}-1", role=role, user_id=1)


def api_key(purposes: set[str], *, write: bool = False) -> AccessContext:
    return AccessContext(
        actor="api:1",
        permissions=API_KEY_WRITE if write else API_KEY_READ,
        kind=CallerKind.API_KEY,
        api_key_id=1,
        purposes=frozenset(purposes),
        write_purposes=frozenset(purposes) if write else frozenset(),
    )


def state(
    *,
    consents: set[str] = frozenset(),  # type: ignore[assignment]
    objections: dict[str, StandingObjection] | None = None,
    restrictions: dict[str, StandingRestriction] | None = None,
) -> SubjectState:
    return SubjectState(7, set(consents), dict(objections or {}), dict(restrictions or {}))


def key_with(**flags: object) -> str:
    """The first purpose of the bundled policy with these flags (so the tests follow the
    policy instead of naming its keys where a flag is what matters)."""
    for key, purpose in POLICY.purposes.items():
        if all(getattr(purpose, name) == value for name, value in flags.items()):
            return key
    raise AssertionError(f"the bundled policy has no purpose with {flags}")


# --- caller_refusal ---------------------------------------------------------------------------


class TestCaller:
    def test_the_operator_may_use_any_purpose_for_anything(self, policy: Policy) -> None:
        operator = operator_context("cli:root")
        for purpose in policy.purposes:
            for action in Action:
                assert caller_refusal(policy, operator, action, purpose, 7) is None

    def test_a_subject_reads_only_themselves(self, policy: Policy) -> None:
        reason = caller_refusal(policy, subject_context(7), Action.READ, RIGHTS, 8)
        assert reason == "a subject may only use their own data"

    def test_a_subject_reads_only_under_the_subject_rights_purpose(self, policy: Policy) -> None:
        me = subject_context(7)
        assert caller_refusal(policy, me, Action.READ, RIGHTS, 7) is None
        reason = caller_refusal(policy, me, Action.READ, "marketing", 7)
        assert reason is not None
        assert "marketing" in reason
        assert "subject-rights purpose" in reason

    @pytest.mark.parametrize(
        ("action", "permission"),
        [
            (Action.READ, Permission.SUBJECT_READ),
            (Action.EXPORT, Permission.SUBJECT_READ),
            (Action.SEARCH, Permission.SUBJECT_SEARCH),
            (Action.WRITE, Permission.SUBJECT_WRITE),
        ],
    )
    def test_a_role_without_the_permission_is_told_which(
        self, policy: Policy, action: Action, permission: Permission
    ) -> None:
        # The analyst has statistics only; its purposes are its own, so only the permission
        # can be what refuses.
        assert permission not in policy.role("analyst").permissions
        purpose = policy.role("analyst").purposes[0]
        reason = caller_refusal(policy, staff("analyst"), action, purpose, 7)
        assert reason == f"not allowed: {permission.value}"

    def test_aggregates_need_statistics_read(self, policy: Policy) -> None:
        statistics = policy.system_purpose("statistics")
        assert caller_refusal(policy, staff("analyst"), Action.AGGREGATE, statistics, None) is None
        reason = caller_refusal(
            policy, staff("customer_service"), Action.AGGREGATE, statistics, None
        )
        assert reason == "not allowed: statistics.read"

    def test_a_role_is_told_its_purpose_is_not_its_own_and_which_are(self, policy: Policy) -> None:
        role = policy.role("customer_service")
        assert "bookkeeping" not in role.purposes
        reason = caller_refusal(policy, staff("customer_service"), Action.READ, "bookkeeping", 7)
        assert reason is not None
        assert reason.startswith("role customer_service may not use purpose bookkeeping")
        assert ", ".join(sorted(role.purposes)) in reason

    def test_a_role_with_no_purposes_says_none(self, policy: Policy) -> None:
        nobody = AccessContext(
            actor="staff:x", permissions=frozenset(Permission), role="empty", purposes=frozenset()
        )
        reason = caller_refusal(policy, nobody, Action.READ, "customer_relationship", 7)
        assert reason == ("role empty may not use purpose customer_relationship (it may: none)")

    def test_an_undeclared_role_gets_nothing(self, policy: Policy) -> None:
        ghost = staff_context(policy=policy, username="x", role="retired_role", user_id=1)
        reason = caller_refusal(policy, ghost, Action.READ, "customer_relationship", 7)
        assert reason == "not allowed: subject.read"

    def test_a_role_within_its_purposes_is_allowed(self, policy: Policy) -> None:
        for role_key, role in policy.roles.items():
            if Permission.SUBJECT_READ not in role.permissions:
                continue
            for purpose in role.purposes:
                assert caller_refusal(policy, staff(role_key), Action.READ, purpose, 7) is None

    def test_a_key_outside_its_scope_names_the_purpose_and_its_scope(self, policy: Policy) -> None:
        key = api_key({"customer_relationship", "service_quality"})
        reason = caller_refusal(policy, key, Action.READ, "marketing", 7)
        assert reason == (
            "this key may not use purpose marketing "
            "(it may: customer_relationship, service_quality)"
        )

    def test_a_read_key_may_not_write_at_all(self, policy: Policy) -> None:
        key = api_key({"customer_relationship"})
        reason = caller_refusal(policy, key, Action.WRITE, "customer_relationship", 7)
        assert reason == "not allowed: subject.write"

    def test_a_write_key_writes_only_under_its_write_purposes(self, policy: Policy) -> None:
        key = AccessContext(
            actor="api:2",
            permissions=API_KEY_WRITE,
            kind=CallerKind.API_KEY,
            purposes=frozenset({"customer_relationship", "marketing"}),
            write_purposes=frozenset({"customer_relationship"}),
        )
        assert caller_refusal(policy, key, Action.WRITE, "customer_relationship", 7) is None
        reason = caller_refusal(policy, key, Action.WRITE, "marketing", 7)
        assert reason == (
            "this key may not write under purpose marketing (it may: customer_relationship)"
        )

    def test_the_policy_bounds_every_key_whatever_its_scope(self, policy: Policy) -> None:
        outside = next(k for k in policy.purposes if k not in policy.api_access.read_purposes)
        reason = caller_refusal(policy, api_key({outside}), Action.READ, outside, 7)
        assert reason == f"the policy does not let API keys use purpose {outside} for read"
        read_only = next(
            k for k in policy.api_access.read_purposes if k not in policy.api_access.write_purposes
        )
        writer = api_key({read_only}, write=True)
        reason = caller_refusal(policy, writer, Action.WRITE, read_only, 7)
        assert reason == f"the policy does not let API keys use purpose {read_only} for write"


# --- purpose_refusal --------------------------------------------------------------------------


class TestPurpose:
    def test_aggregates_only_never_reads_one_subject(self, policy: Policy) -> None:
        purpose = key_with(aggregates_only=True)
        for action in (Action.READ, Action.SEARCH, Action.WRITE, Action.EXPORT):
            reason = purpose_refusal(policy, action, purpose, None, has_case=False)
            assert reason == f"purpose {purpose} may only use aggregates, never one subject's data"
        assert purpose_refusal(policy, Action.AGGREGATE, purpose, None, has_case=False) is None

    def test_a_case_required_purpose_asks_for_its_case(self, policy: Policy) -> None:
        purpose = key_with(case_required=True)
        reason = purpose_refusal(policy, Action.READ, purpose, state(), has_case=False)
        assert reason is not None
        assert reason.startswith(f"purpose {purpose} needs a case")
        assert "request" in reason
        assert purpose_refusal(policy, Action.READ, purpose, state(), has_case=True) is None

    def test_a_consent_purpose_needs_a_standing_consent(self, policy: Policy) -> None:
        purpose = key_with(legal_basis="consent", objectable=True, aggregates_only=False)
        reason = purpose_refusal(policy, Action.READ, purpose, state(), has_case=False)
        assert reason == (
            f"the subject has no standing consent to purpose {purpose} (GDPR art. 6.1 a, 7)"
        )
        given = state(consents={purpose})
        assert purpose_refusal(policy, Action.READ, purpose, given, has_case=False) is None

    def test_without_a_subject_state_consent_is_not_asked(self, policy: Policy) -> None:
        purpose = key_with(legal_basis="consent", aggregates_only=False)
        assert purpose_refusal(policy, Action.READ, purpose, None, has_case=False) is None

    def test_an_objection_to_direct_marketing_stops_it_for_good(self, policy: Policy) -> None:
        purpose = key_with(direct_marketing=True)
        for overridden in (False, True):
            objected = state(
                consents={purpose},
                objections={purpose: StandingObjection(OBJECTED_ON, overridden)},
            )
            reason = purpose_refusal(policy, Action.READ, purpose, objected, has_case=False)
            assert reason == (
                f"the subject objected to purpose {purpose} on 2026-03-04; direct marketing "
                "stops at once (GDPR art. 21.3)"
            )

    def test_an_objection_stops_other_purposes_until_compelling_grounds(
        self, policy: Policy
    ) -> None:
        purpose = key_with(
            objectable=True,
            direct_marketing=False,
            legal_basis="legitimate_interests",
            aggregates_only=False,
        )
        objected = state(objections={purpose: StandingObjection(OBJECTED_ON, False)})
        reason = purpose_refusal(policy, Action.READ, purpose, objected, has_case=False)
        assert reason == (
            f"the subject objected to purpose {purpose} on 2026-03-04; it stops until "
            "compelling legitimate grounds are recorded (GDPR art. 21.1)"
        )
        grounds = state(objections={purpose: StandingObjection(OBJECTED_ON, True)})
        assert purpose_refusal(policy, Action.READ, purpose, grounds, has_case=False) is None

    def test_an_objection_to_a_purpose_that_is_not_objectable_changes_nothing(
        self, policy: Policy
    ) -> None:
        purpose = key_with(objectable=False, legal_basis="contract")
        objected = state(objections={purpose: StandingObjection(OBJECTED_ON, False)})
        assert purpose_refusal(policy, Action.READ, purpose, objected, has_case=False) is None

    def test_consent_is_asked_before_the_objection(self, policy: Policy) -> None:
        purpose = key_with(direct_marketing=True)
        objected = state(objections={purpose: StandingObjection(OBJECTED_ON, False)})
        reason = purpose_refusal(policy, Action.READ, purpose, objected, has_case=False)
        assert reason is not None
        assert "no standing consent" in reason

    def test_unknown_purpose_is_a_bug_not_a_refusal(self, policy: Policy) -> None:
        with pytest.raises(NotFound, match="unknown purpose 'curiosity'"):
            purpose_refusal(policy, Action.READ, "curiosity", None, has_case=False)


# --- category_refusal -------------------------------------------------------------------------


class TestCategory:
    def test_a_category_outside_the_purpose(self, policy: Policy) -> None:
        uses = policy.purposes["marketing"].categories
        outside = next(c for c in policy.categories if c not in uses)
        reason = category_refusal(policy, "marketing", outside, state())
        assert reason == f"purpose marketing may not use category {outside}"
        # Without a subject state too: the policy alone refuses.
        assert category_refusal(policy, "marketing", outside, None) == reason

    def test_a_restriction_names_since_until_and_why(self, policy: Policy) -> None:
        restricted = state(
            restrictions={
                "contact": StandingRestriction(
                    datetime(2026, 1, 15, 9, 0, tzinfo=UTC), date(2033, 12, 31), "Bokföring"
                )
            }
        )
        reason = category_refusal(policy, "customer_relationship", "contact", restricted)
        assert reason == (
            "category contact is restricted (GDPR art. 18) since 2026-01-15 until 2033-12-31: "
            "Bokföring"
        )

    def test_a_restriction_without_end_lasts_until_further_notice(self, policy: Policy) -> None:
        restricted = state(
            restrictions={
                "usage": StandingRestriction(
                    datetime(2026, 2, 1, tzinfo=UTC), None, "the subject's request, case 4"
                )
            }
        )
        reason = category_refusal(policy, "service_quality", "usage", restricted)
        assert reason == (
            "category usage is restricted (GDPR art. 18) since 2026-02-01 until further "
            "notice: the subject's request, case 4"
        )

    def test_purposes_allowed_on_restricted_data_still_use_it(self, policy: Policy) -> None:
        since = datetime(2026, 1, 1, tzinfo=UTC)
        everything = state(
            restrictions={c: StandingRestriction(since, None, "why") for c in policy.categories}
        )
        for key, purpose in policy.purposes.items():
            for category in purpose.categories:
                reason = category_refusal(policy, key, category, everything)
                if purpose.allowed_on_restricted:
                    assert reason is None, (key, category)
                else:
                    assert reason is not None
                    assert f"category {category} is restricted" in reason

    def test_restricting_one_category_leaves_the_others(self, policy: Policy) -> None:
        restricted = state(
            restrictions={"usage": StandingRestriction(datetime(2026, 1, 1, tzinfo=UTC), None, "x")}
        )
        assert category_refusal(policy, "service_quality", "equipment", restricted) is None

    def test_unknown_category_is_a_bug(self, policy: Policy) -> None:
        with pytest.raises(NotFound, match="unknown category 'shoe_size'"):
            category_refusal(policy, "marketing", "shoe_size", None)


# --- may and usable_purposes (the decision without audit) -------------------------------------


class TestMenus:
    def test_may_reports_the_first_refusing_rule(self, policy: Policy) -> None:
        reason = may(
            policy, staff("analyst"), action=Action.READ, purpose="statistics", state=state()
        )
        assert reason == "not allowed: subject.read"
        reason = may(
            policy,
            staff("customer_service"),
            action=Action.READ,
            purpose="customer_relationship",
            state=state(),
            category="participation",
        )
        assert reason == "purpose customer_relationship may not use category participation"
        assert (
            may(
                policy,
                staff("customer_service"),
                action=Action.READ,
                purpose="customer_relationship",
                state=state(),
                category="contact",
            )
            is None
        )

    def test_usable_purposes_are_the_roles_without_aggregates(self, policy: Policy) -> None:
        for role_key, role in policy.roles.items():
            usable = usable_purposes(policy, staff(role_key), Action.READ)
            if Permission.SUBJECT_READ not in role.permissions:
                assert usable == []
                continue
            expected = [
                k
                for k in policy.purposes
                if k in role.purposes and not policy.purposes[k].aggregates_only
            ]
            assert usable == expected

    def test_usable_purposes_for_aggregates_keep_the_aggregate_purposes(
        self, policy: Policy
    ) -> None:
        usable = usable_purposes(policy, staff("analyst"), Action.AGGREGATE)
        assert usable == [k for k in policy.purposes if k in policy.role("analyst").purposes]
