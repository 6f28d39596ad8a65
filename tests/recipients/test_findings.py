"""Each kind of finding, from the register and from the policy file, as `recipients findings`,
`policy check`, `dataskydd promises` and the page show them; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from dataskydd.policy.schema import Policy, RecipientRole
from dataskydd.policy.schema import TransferMechanism as M
from dataskydd.promises.checks_recipients import agreement_in_order
from dataskydd.promises.registry import CheckContext, Status
from dataskydd.recipients import overview
from dataskydd.recipients.findings import Thresholds
from dataskydd.recipients.overview import Status as Badge
from tests.recipients.conftest import (
    TODAY,
    Record,
    in_the_us,
    non_processor,
    processor,
    with_recipient,
)

LATER = TODAY + dt.timedelta(days=400)


def _state(
    session: Session, policy: Policy, key: str, today: dt.date = TODAY
) -> overview.RecipientState:
    state = overview.recipient_state(session, policy, key, Thresholds(today=today))
    assert state is not None
    return state


def _codes(state: overview.RecipientState) -> list[tuple[str, str, bool]]:
    return [(f.code, f.severity, f.from_register) for f in state.findings]


def _promise(session: Session, policy: Policy, key: str, today: dt.date = TODAY) -> Status:
    ctx = CheckContext(
        now=datetime.combine(today, datetime.min.time(), tzinfo=UTC),
        today=today,
        inactivity_timeout=timedelta(minutes=15),
        key=f"agreement.{key}",
        item=key,
    )
    return agreement_in_order(session, policy, ctx).status


class TestFromTheRegister:
    def test_a_current_agreement_is_in_order_and_the_promise_holds(
        self, session: Session, policy: Policy, record: Record
    ) -> None:
        key = processor(policy).key
        record(key)
        state = _state(session, policy, key)
        assert state.findings == ()
        assert state.status is Badge.OK
        assert _promise(session, policy, key) is Status.HOLDS

    def test_a_review_comes_due_then_overdue(
        self, session: Session, policy: Policy, record: Record
    ) -> None:
        key = processor(policy).key
        saved = record(key, review_on=TODAY + dt.timedelta(days=60))
        assert _state(session, policy, key, TODAY + dt.timedelta(days=29)).status is Badge.OK
        soon = _state(session, policy, key, TODAY + dt.timedelta(days=30))
        assert _codes(soon) == [("review_soon", "warning", True)]
        assert soon.status is Badge.REVIEW_SOON
        assert _promise(session, policy, key, TODAY + dt.timedelta(days=30)) is Status.HOLDS
        due_day = saved.review_on
        assert _state(session, policy, key, due_day).status is Badge.REVIEW_SOON
        overdue = _state(session, policy, key, due_day + dt.timedelta(days=1))
        assert _codes(overdue) == [("review_overdue", "error", True)]
        assert overdue.status is Badge.OVERDUE
        assert due_day.isoformat() in overdue.findings[0].en
        assert _promise(session, policy, key, due_day + dt.timedelta(days=1)) is Status.BROKEN

    def test_categories_the_agreement_does_not_cover(
        self, session: Session, policy: Policy, record: Record
    ) -> None:
        recipient = processor(policy)
        shared = list(recipient.categories)
        extra = next(k for k in policy.categories if k not in shared)
        record(recipient.key, categories=[*shared[1:], extra])
        found = _state(session, policy, recipient.key).findings
        assert [(f.code, f.severity) for f in found] == [
            ("categories_differ", "error"),
            ("categories_differ", "warning"),
        ]
        assert shared[0] in found[0].en
        assert extra in found[1].en
        assert _promise(session, policy, recipient.key) is Status.BROKEN

    def test_a_country_other_than_the_policy_s(
        self, session: Session, policy: Policy, record: Record
    ) -> None:
        recipient = processor(policy)
        other = "SE" if recipient.country != "SE" else "FI"
        record(recipient.key, country=other)
        assert _codes(_state(session, policy, recipient.key)) == [
            ("country_differs", "warning", True)
        ]

    def test_a_dpf_check_goes_stale(self, session: Session, policy: Policy, record: Record) -> None:
        key = processor(policy).key
        us = in_the_us(policy, key, M.EU_US_DPF)
        record(key, on_policy=us, review_on=TODAY + dt.timedelta(days=900), dpf_checked_on=TODAY)
        assert _state(session, us, key, TODAY + dt.timedelta(days=365)).findings == ()
        stale = _state(session, us, key, TODAY + dt.timedelta(days=366))
        assert _codes(stale) == [("dpf_check_stale", "error", True)]
        assert stale.status is Badge.TRANSFER_PROBLEM
        assert _promise(session, us, key, TODAY + dt.timedelta(days=366)) is Status.BROKEN

    def test_a_recipient_removed_from_the_policy_keeps_its_history(
        self, session: Session, policy: Policy, record: Record
    ) -> None:
        key = processor(policy).key
        record(key)
        smaller = policy.model_copy(
            update={"recipients": tuple(r for r in policy.recipients if r.key != key)}
        )
        states = overview.recipient_states(session, smaller, Thresholds(today=TODAY))
        removed = states[-1]
        assert removed.key == key
        assert removed.recipient is None
        assert removed.status is Badge.REMOVED
        assert _codes(removed) == [("recipient_removed", "warning", True)]


class TestFromThePolicyFile:
    def test_a_processor_without_any_agreement(self, session: Session, policy: Policy) -> None:
        key = processor(policy).key
        bare = with_recipient(policy, key, agreement_date=None)
        state = _state(session, bare, key)
        assert ("no_agreement", "error", False) in _codes(state)
        assert state.status is Badge.NO_AGREEMENT
        # Broken in the policy's own promise (recipient.<key>), counted once.
        assert _promise(session, bare, key) is Status.NOT_CHECKED

    def test_a_processor_whose_agreement_is_not_recorded_breaks_the_promise(
        self, session: Session, policy: Policy
    ) -> None:
        key = processor(policy).key
        dated = with_recipient(policy, key, agreement_date=dt.date(2024, 3, 1), review_date=None)
        state = _state(session, dated, key)
        assert _codes(state) == [("agreement_not_stored", "warning", False)]
        assert "2024-03-01" in state.findings[0].en
        # The notice promises agreements; until one is recorded nothing proves it.
        assert _promise(session, dated, key) is Status.BROKEN

    def test_a_third_country_without_a_valid_mechanism(
        self, session: Session, policy: Policy
    ) -> None:
        key = processor(policy).key
        for mechanism in (M.NONE, M.PRIVACY_SHIELD, M.ADEQUACY):
            bad = in_the_us(policy, key, mechanism)
            state = _state(session, bad, key)
            assert ("transfer_invalid", "error", False) in _codes(state), mechanism
            assert state.status is Badge.TRANSFER_PROBLEM
            # No agreement is recorded for it either: that part is the register's, broken.
            assert _promise(session, bad, key) is Status.BROKEN

    def test_a_third_country_mechanism_without_recorded_evidence(
        self, session: Session, policy: Policy
    ) -> None:
        key = processor(policy).key
        scc = with_recipient(policy, key, country="AU", transfer_mechanism=M.SCC)
        state = _state(session, scc, key)
        missing = [f for f in state.findings if f.code == "transfer_evidence_missing"]
        assert len(missing) == 3  # module, signing date, transfer impact assessment
        assert state.status is Badge.TRANSFER_PROBLEM
        assert _promise(session, scc, key) is Status.BROKEN

    def test_the_policy_s_own_review_date(self, session: Session, policy: Policy) -> None:
        key = processor(policy).key
        late = with_recipient(policy, key, review_date=TODAY - dt.timedelta(days=1))
        assert ("review_overdue", "error", False) in _codes(_state(session, late, key))

    def test_not_a_processor_needs_no_agreement(self, session: Session, policy: Policy) -> None:
        other = non_processor(policy)
        assert other.role is not RecipientRole.PROCESSOR
        state = _state(session, policy, other.key)
        if not other.in_third_country and other.review_date is None:
            assert state.findings == ()
            assert _promise(session, policy, other.key) is Status.HOLDS


class TestPolicyCheck:
    def test_nothing_from_an_unused_register_then_what_it_lacks(
        self, session: Session, policy: Policy, record: Record
    ) -> None:
        limits = Thresholds(today=TODAY)
        dated = {r.key: r for r in policy.recipients if r.role is RecipientRole.PROCESSOR}
        assert len(dated) >= 2
        first, second = list(dated)[:2]
        policy = with_recipient(policy, second, agreement_date=dt.date(2024, 1, 1))
        assert overview.policy_check_findings(session, policy, limits) == []
        record(first)
        found = overview.policy_check_findings(session, policy, limits)
        position = [r.key for r in policy.recipients].index(second)
        missing = [f for f in found if f.code == "register_agreement_not_stored"]
        assert [f.path for f in missing if f"'{second}'" in f.message] == [
            f"recipients[{position}]"
        ]
        assert all(f"'{first}'" not in f.message for f in found)

    def test_an_overdue_stored_review_is_an_error(
        self, session: Session, policy: Policy, record: Record
    ) -> None:
        key = processor(policy).key
        saved = record(key, review_on=TODAY + dt.timedelta(days=10))
        later = Thresholds(today=saved.review_on + dt.timedelta(days=1))
        [overdue] = [
            f
            for f in overview.policy_check_findings(session, policy, later)
            if f"'{key}'" in f.message
        ]
        assert overdue.severity == "error"
        assert overdue.code == "register_review_overdue"


def test_the_promise_is_registered_per_recipient(policy: Policy) -> None:
    from dataskydd.promises import registry
    from dataskydd.promises.service import load_checks

    assert "checks_recipients" in load_checks()
    [entry] = [e for e in registry.registered() if e.key == "agreement"]
    assert entry.each is not None
    assert list(entry.each(policy)) == [r.key for r in policy.recipients]
