"""The access matrix, generated from the policy (issue 8): every caller × every subject state,
and for each the whole grid of purposes × categories (and actions), decided on a real database
by `access.service.decide` and compared with an oracle written here from the policy's plain
data — not with `access.rules`, which is what is being checked.

Callers: every role of `policy.roles` as staff, an API key scoped to every purpose (so only
the policy's `api_access` bounds it), a write key scoped to one purpose, the subject
themselves and the operator. Subject states: none, consented, objected, objected with
compelling grounds recorded (art. 21.1), restricted (art. 18), and erased (the real erasure
service on a customer with invoices, so bookkeeping keeps identity, contact and billing,
restricted). Each decision must write exactly one audit entry saying allow or refuse, with
the reason the oracle expects. All mismatches of a grid are reported at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.models import Objection, SubjectConsent
from dataskydd.access.rules import Action
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import (
    API_KEY_READ,
    API_KEY_WRITE,
    AccessContext,
    CallerKind,
    operator_context,
    staff_context,
    subject_context,
)
from dataskydd.errors import AccessRefused
from dataskydd.policy.schema import LegalBasis, Permission, Policy
from dataskydd.register.models import Restriction
from dataskydd.subject_requests import service as rights_service
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from tests import factories as rows
from tests.access.world import build_customer
from tests.conftest import configured_policy_file, load_test_policy

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

# The bundled policy, or DATASKYDD_TEST_POLICY's (.ci/run's second pass runs this module with
# the bookshop's policy).
POLICY = load_test_policy(configured_policy_file())
AUDIT_ACTION = "access.matrix"
OBJECTED_ON = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
RESTRICTED_SINCE = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
RESTRICTED_UNTIL = date(2027, 6, 30)
RESTRICTION_REASON = "the subject contests the accuracy (art. 18.1 a)"


def _some_categories() -> tuple[str, ...]:
    """Restricted in the "restricted" state: some categories, never all of a purpose's, so
    both outcomes occur per purpose (generated from the policy, whichever company's)."""
    chosen: list[str] = []
    for category in sorted(POLICY.categories)[::2]:
        trial = {*chosen, category}
        if all(not set(p.categories) <= trial for p in POLICY.purposes.values()):
            chosen.append(category)
    return tuple(chosen)


RESTRICTED = _some_categories()
# Export needs what a read needs (subject.read, the read purposes of keys): reads stand for it.
GRID_ACTIONS = (Action.READ, Action.WRITE)
PERMISSION_FOR = {
    Action.READ: Permission.SUBJECT_READ,
    Action.EXPORT: Permission.SUBJECT_READ,
    Action.WRITE: Permission.SUBJECT_WRITE,
}


# --- callers and subject states, as plain facts ---------------------------------------------


@dataclass(frozen=True)
class Caller:
    """What the oracle knows of a caller: kind, permissions, purposes (None: all)."""

    name: str
    kind: str  # staff | api | subject | operator
    permissions: frozenset[str]
    purposes: frozenset[str] | None
    write_purposes: frozenset[str] = frozenset()

    def context(self, subject_id: int) -> AccessContext:
        if self.kind == "operator":
            return operator_context("cli:matrix")
        if self.kind == "subject":
            return subject_context(subject_id)
        if self.kind == "api":
            return AccessContext(
                actor=f"api:{self.name}",
                permissions=API_KEY_WRITE if self.write_purposes else API_KEY_READ,
                kind=CallerKind.API_KEY,
                api_key_id=1,
                purposes=self.purposes,
                write_purposes=self.write_purposes,
            )
        return staff_context(policy=POLICY, username=f"m-{self.name}", role=self.name, user_id=1)


def callers(policy: Policy) -> list[Caller]:
    found = [
        Caller(
            key,
            "staff",
            frozenset(p.value for p in role.permissions),
            frozenset(role.purposes),
        )
        for key, role in policy.roles.items()
    ]
    everything = frozenset(policy.purposes)
    found.append(
        Caller("api_read_all", "api", frozenset(p.value for p in API_KEY_READ), everything)
    )
    first_write = policy.api_access.write_purposes[0]
    found.append(
        Caller(
            "api_write_one",
            "api",
            frozenset(p.value for p in API_KEY_WRITE),
            frozenset({first_write}),
            write_purposes=frozenset({first_write}),
        )
    )
    found.append(Caller("subject_self", "subject", frozenset(), None))
    found.append(Caller("operator", "operator", frozenset(p.value for p in Permission), None))
    return found


@dataclass
class Facts:
    """The subject's state as this test set it up (not as access.state reads it)."""

    consents: set[str] = field(default_factory=set)
    # purpose -> (objected on, compelling grounds recorded)
    objections: dict[str, tuple[date, bool]] = field(default_factory=dict)
    # category -> words its refusal must contain
    restrictions: dict[str, tuple[str, ...]] = field(default_factory=dict)


def consent_purposes(policy: Policy) -> set[str]:
    return {k for k, p in policy.purposes.items() if p.legal_basis is LegalBasis.CONSENT}


def objectable_purposes(policy: Policy) -> set[str]:
    return {k for k, p in policy.purposes.items() if p.objectable}


def _consent(session: Session, subject_id: int, purposes: set[str]) -> None:
    for purpose in sorted(purposes):
        session.add(SubjectConsent(subject_id=subject_id, purpose=purpose, channel="staff"))


def _object(session: Session, subject_id: int, purposes: set[str], *, grounds: bool) -> None:
    for purpose in sorted(purposes):
        session.add(
            Objection(
                subject_id=subject_id,
                purpose=purpose,
                objected_at=OBJECTED_ON,
                overridden_at=OBJECTED_ON if grounds else None,
                overridden_by="staff:dpo" if grounds else None,
                override_reason="compelling legitimate grounds, recorded" if grounds else None,
            )
        )


def state_none(session: Session, subject_id: int) -> Facts:
    return Facts()


def state_consented(session: Session, subject_id: int) -> Facts:
    _consent(session, subject_id, consent_purposes(POLICY))
    return Facts(consents=consent_purposes(POLICY))


def _objected(session: Session, subject_id: int, *, grounds: bool) -> Facts:
    # Consent stands too, so that the objection (not a missing consent) is what refuses.
    _consent(session, subject_id, consent_purposes(POLICY))
    _object(session, subject_id, objectable_purposes(POLICY), grounds=grounds)
    return Facts(
        consents=consent_purposes(POLICY),
        objections={p: (OBJECTED_ON.date(), grounds) for p in objectable_purposes(POLICY)},
    )


def state_objected(session: Session, subject_id: int) -> Facts:
    return _objected(session, subject_id, grounds=False)


def state_objected_with_grounds(session: Session, subject_id: int) -> Facts:
    return _objected(session, subject_id, grounds=True)


def state_restricted(session: Session, subject_id: int) -> Facts:
    _consent(session, subject_id, consent_purposes(POLICY))
    for category in RESTRICTED:
        session.add(
            Restriction(
                subject_id=subject_id,
                category=category,
                reason=RESTRICTION_REASON,
                restricted_at=RESTRICTED_SINCE,
                until=RESTRICTED_UNTIL,
            )
        )
    words = (
        "art. 18",
        f"since {RESTRICTED_SINCE.date().isoformat()}",
        f"until {RESTRICTED_UNTIL.isoformat()}",
        RESTRICTION_REASON,
    )
    return Facts(consents=consent_purposes(POLICY), restrictions=dict.fromkeys(RESTRICTED, words))


def erasure_keeps(policy: Policy, held: set[str]) -> set[str]:
    """What an erasure keeps of a customer with recent invoices: every category, held, of a
    purpose kept on erasure that uses a category under bookkeeping retention (the invoices)."""
    bookkeeping = {
        key
        for key, category in policy.categories.items()
        if category.retention and category.retention.kind == "bookkeeping"
    }
    kept: set[str] = set()
    for purpose in policy.purposes.values():
        if purpose.kept_on_erasure and bookkeeping & set(purpose.categories) & held:
            kept |= set(purpose.categories) & held
    return kept


def state_erased(session: Session, subject_id: int) -> Facts:
    # A newsletter subscriber who asked to be erased: the consents were given before, and
    # erasure withdraws them (nothing may be used on a consent given before the erasure).
    _consent(session, subject_id, consent_purposes(POLICY))
    session.flush()
    rights_service.erase(
        session, caller=operator_context("cli:matrix"), policy=POLICY, subject_id=subject_id
    )
    # build_customer puts data in every category of the policy.
    kept = erasure_keeps(POLICY, set(POLICY.categories))
    assert kept, "the policy keeps nothing on erasure: the erased state tests nothing"
    return Facts(
        consents=set(),
        restrictions=dict.fromkeys(kept, ("art. 18",)),
    )


STATES: dict[str, Callable[[Session, int], Facts]] = {
    "none": state_none,
    "consented": state_consented,
    "objected": state_objected,
    "objected_with_grounds": state_objected_with_grounds,
    "restricted": state_restricted,
    "erased": state_erased,
}


# --- the oracle -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """One call of decide: which action, purpose, categories (None: the purpose's own),
    whether all must be allowed, and the case it names."""

    action: Action
    purpose: str
    categories: tuple[str, ...] | None
    strict: bool
    case: str | None

    @property
    def wanted(self) -> tuple[str, ...]:
        if self.categories is not None:
            return self.categories
        return POLICY.purposes[self.purpose].categories


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Refused: the words the reason must contain (purpose, category, role, date, article …).
    words: tuple[str, ...] = ()
    # Allowed: the categories granted, and per withheld category the words of its reason.
    granted: tuple[str, ...] = ()
    withheld: dict[str, tuple[str, ...]] = field(default_factory=dict)


def refuse(*words: str) -> Verdict:
    return Verdict(False, words)


def purpose_words(
    policy: Policy, caller: Caller, facts: Facts, action: Action, purpose: str, has_case: bool
) -> tuple[str, ...] | None:
    """Why the caller may not use this purpose for this subject at all, or None."""
    stated = policy.purposes[purpose]
    needed = PERMISSION_FOR[action].value
    if caller.kind == "subject":
        if purpose != policy.system_purposes.subject_rights:
            return (purpose, "subject-rights purpose")
    elif caller.kind != "operator":
        if needed not in caller.permissions:
            return (f"not allowed: {needed}",)
        if caller.kind == "api":
            scope = caller.write_purposes if action is Action.WRITE else caller.purposes or set()
            if purpose not in scope:
                return ("this key may not", purpose)
            bound = (
                policy.api_access.write_purposes
                if action is Action.WRITE
                else policy.api_access.read_purposes
            )
            if purpose not in bound:
                return ("the policy does not let API keys", purpose, action.value)
        elif purpose not in (caller.purposes or set()):
            return (f"role {caller.name}", f"purpose {purpose}")
    if stated.aggregates_only:
        return (f"purpose {purpose}", "aggregates")
    if stated.case_required and not has_case:
        return (f"purpose {purpose}", "needs a case")
    if stated.legal_basis is LegalBasis.CONSENT and purpose not in facts.consents:
        return (f"purpose {purpose}", "no standing consent", "art. 6.1 a")
    if stated.objectable and purpose in facts.objections:
        on, grounds = facts.objections[purpose]
        if stated.direct_marketing:
            return (f"purpose {purpose}", f"on {on.isoformat()}", "art. 21.3")
        if not grounds:
            return (f"purpose {purpose}", f"on {on.isoformat()}", "art. 21.1")
    return None


def category_words(
    policy: Policy, facts: Facts, purpose: str, category: str
) -> tuple[str, ...] | None:
    """Why this purpose may not use this category of this subject, or None."""
    stated = policy.purposes[purpose]
    if category not in stated.categories:
        return (f"purpose {purpose} may not use category {category}",)
    if category in facts.restrictions and not stated.allowed_on_restricted:
        return (f"category {category} is restricted", *facts.restrictions[category])
    return None


def oracle(policy: Policy, caller: Caller, facts: Facts, asked: Asked) -> Verdict:
    """What the policy says, rule by rule in the order they are reported."""
    words = purpose_words(
        policy, caller, facts, asked.action, asked.purpose, has_case=asked.case is not None
    )
    if words:
        return refuse(*words)
    granted: list[str] = []
    withheld: dict[str, tuple[str, ...]] = {}
    for category in asked.wanted:
        why = category_words(policy, facts, asked.purpose, category)
        if why:
            withheld[category] = why
        else:
            granted.append(category)
    if asked.strict and withheld:
        return refuse(*(word for why in withheld.values() for word in why))
    return Verdict(True, granted=tuple(granted), withheld=withheld)


# --- the grid ---------------------------------------------------------------------------------


def grid(policy: Policy, facts: Facts, request_id: int) -> list[Asked]:
    """Per action and purpose (purposes needing a case: without one, and with the subject's
    request), every category of the policy in one decision that grants what it may and
    withholds the rest with the reason — so each (purpose, category) cell is decided and its
    reason audited. Reads also ask the purpose's own categories (as a view does), all of them
    strictly (refused when one is restricted), and one category outside the purpose alone."""
    everything = tuple(policy.categories)
    asked: list[Asked] = []
    for action in GRID_ACTIONS:
        for purpose, stated in policy.purposes.items():
            cases = [None, f"request:{request_id}"] if stated.case_required else [None]
            for case in cases:
                asked.append(Asked(action, purpose, everything, False, case))
                if action is not Action.READ:
                    continue
                asked.append(Asked(action, purpose, None, False, case))
                asked.append(Asked(action, purpose, stated.categories, True, case))
                outside = [c for c in everything if c not in stated.categories]
                asked.extend(Asked(action, purpose, (one,), True, case) for one in outside[:1])
    return asked


def _describe(caller: Caller, state: str, asked: Asked) -> str:
    if asked.categories is None:
        what = "its own categories"
    elif len(asked.categories) == 1:
        what = asked.categories[0]
    else:
        what = f"{len(asked.categories)} categories"
    mode = "all or nothing" if asked.strict else "what it may"
    case = f" with {asked.case}" if asked.case else ""
    return f"{caller.name}/{state}: {asked.action.value} {asked.purpose} · {what} ({mode}){case}"


def _check_entry(
    entry: AuditEntry,
    asked: Asked,
    caller: Caller,
    subject_id: int,
    verdict: Verdict,
    raised: AccessRefused | None,
) -> list[str]:
    problems = []
    detail: dict[str, Any] = json.loads(entry.detail_json)
    actor = caller.context(subject_id).actor
    if (entry.actor, entry.subject_id, entry.purpose) != (actor, subject_id, asked.purpose):
        problems.append(
            f"audit names {entry.actor}/{entry.subject_id}/{entry.purpose}, "
            f"expected {actor}/{subject_id}/{asked.purpose}"
        )
    if verdict.allowed:
        if entry.action != AUDIT_ACTION or detail.get("decision") != "allow":
            problems.append(f"audit entry {entry.action} {detail} is not an allow")
        if list(detail.get("categories", [])) != list(verdict.granted):
            problems.append(f"audited {detail.get('categories')}, expected {list(verdict.granted)}")
        withheld = detail.get("withheld", {})
        if set(withheld) != set(verdict.withheld):
            problems.append(f"withheld {sorted(withheld)}, expected {sorted(verdict.withheld)}")
        for key, words in verdict.withheld.items():
            missing = [w for w in words if w not in withheld.get(key, "")]
            if missing:
                problems.append(f"withheld {key}: {withheld.get(key)!r} lacks {missing}")
        return problems
    if entry.action != f"{AUDIT_ACTION}.refused" or detail.get("decision") != "refuse":
        problems.append(f"audit entry {entry.action} {detail} is not a refusal")
    if sorted(detail.get("categories", [])) != sorted(asked.wanted):
        problems.append(f"refusal names {detail.get('categories')}, not {sorted(asked.wanted)}")
    reason = detail.get("reason", "")
    if raised is not None and reason != raised.message:
        problems.append(f"audited reason {reason!r} differs from the error's {raised.message!r}")
    missing = [w for w in verdict.words if w not in reason]
    if missing:
        problems.append(f"reason {reason!r} lacks {missing}")
    return problems


CALLERS = callers(POLICY)


def _subject(session: Session, state: str) -> tuple[int, int]:
    """The subject and the id of its request (the case). The decision reads the subject's
    state, not its data, so only the erased state needs a customer with data everywhere."""
    if state == "erased":
        customer = build_customer(session)
        return customer.id, customer.request_id
    subject = rows.SubjectFactory()
    request = SubjectRequest(
        kind=RequestKind.ACCESS,
        status=RequestStatus.OPEN,
        channel=RequestChannel.LETTER,
        subject_id=subject.id,
        identity_check="ID card checked at the counter",
    )
    session.add(request)
    session.flush()
    return subject.id, request.id


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("caller", CALLERS, ids=[c.name for c in CALLERS])
def test_access_matrix(session: Session, factories: None, caller: Caller, state: str) -> None:
    subject_id, request_id = _subject(session, state)
    facts = STATES[state](session, subject_id)
    session.flush()
    start = session.scalar(select(func.max(AuditEntry.id))) or 0
    context = caller.context(subject_id)
    outcomes: list[tuple[Asked, Verdict, AccessRefused | None]] = []
    mismatches: list[str] = []
    for asked in grid(POLICY, facts, request_id):
        verdict = oracle(POLICY, caller, facts, asked)
        raised: AccessRefused | None = None
        try:
            decision = access_service.decide(
                session,
                POLICY,
                context,
                action=asked.action,
                purpose=asked.purpose,
                subject_id=subject_id,
                categories=list(asked.categories) if asked.categories is not None else None,
                all_or_nothing=asked.strict,
                case=asked.case,
                audit_action=AUDIT_ACTION,
            )
        except AccessRefused as error:
            raised = error
        else:
            if verdict.allowed and list(decision.allowed) != list(verdict.granted):
                mismatches.append(
                    f"{_describe(caller, state, asked)}: granted {list(decision.allowed)}, "
                    f"expected {list(verdict.granted)}"
                )
        if verdict.allowed == (raised is not None):
            got = f"refused: {raised.message}" if raised else "allowed"
            want = "allowed" if verdict.allowed else f"refused ({', '.join(verdict.words)})"
            mismatches.append(f"{_describe(caller, state, asked)}: {got}; expected {want}")
        outcomes.append((asked, verdict, raised))

    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.id > start).order_by(AuditEntry.id)
    ).all()
    if len(entries) != len(outcomes):
        mismatches.append(f"{len(outcomes)} decisions wrote {len(entries)} audit entries")
    else:
        for entry, (asked, verdict, raised) in zip(entries, outcomes, strict=True):
            if verdict.allowed == (raised is not None):
                continue  # already reported
            for problem in _check_entry(entry, asked, caller, subject_id, verdict, raised):
                mismatches.append(f"{_describe(caller, state, asked)}: {problem}")
    assert not mismatches, f"{len(mismatches)} of {len(outcomes)} decisions wrong:\n" + "\n".join(
        mismatches[:60]
    )


def _objected_facts() -> Facts:
    return Facts(
        consents=consent_purposes(POLICY),
        objections={p: (OBJECTED_ON.date(), False) for p in objectable_purposes(POLICY)},
    )


def test_the_grid_decides_every_role_purpose_category_and_state() -> None:
    """The grid is generated, so a new role, purpose, category or flag joins it by itself;
    this checks the generation did not silently shrink, and that every rule refuses somewhere."""
    assert set(POLICY.roles) <= {c.name for c in CALLERS}
    assert set(STATES) >= {"consented", "objected", "restricted", "erased"}
    facts = Facts(restrictions=dict.fromkeys(RESTRICTED, ("art. 18",)))
    asked = grid(POLICY, facts, 1)
    for action in GRID_ACTIONS:
        cells = {(a.purpose, c) for a in asked if a.action is action for c in a.wanted}
        assert cells == {(p, c) for p in POLICY.purposes for c in POLICY.categories}, action
    seen: set[str] = set()
    for caller in CALLERS:
        for state_facts in (Facts(), _objected_facts(), facts):
            for a in asked:
                verdict = oracle(POLICY, caller, state_facts, a)
                seen.update(verdict.words)
                for why in verdict.withheld.values():
                    seen.update(why)
    text = " | ".join(sorted(seen))
    for needle in (
        "not allowed: subject.read",
        "not allowed: subject.write",
        "role ",
        "this key may not",
        "the policy does not let API keys",
        "subject-rights purpose",
        "aggregates",
        "needs a case",
        "art. 6.1 a",
        "art. 21.3",
        "art. 21.1",
        "may not use category",
        "art. 18",
    ):
        assert needle in text, needle
