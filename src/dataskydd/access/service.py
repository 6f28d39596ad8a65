"""The one access decision: `decide` for a subject's data, `decide_search` for finding
subjects, `decide_aggregate` for statistics. Each is audited, allow or refuse, with its
reason; a refusal raises AccessRefused after its audit row (kept by the entry point)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.access import cases, guard
from dataskydd.access.rules import Action, caller_refusal, category_refusal, purpose_refusal
from dataskydd.access.state import (
    StandingRestriction,
    SubjectState,
    load_state,
    load_states,
)
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext
from dataskydd.errors import AccessRefused
from dataskydd.messages_i18n import Msg, joined
from dataskydd.policy.schema import Policy


@dataclass(frozen=True)
class Decision:
    actor: str
    action: Action
    purpose: str
    subject_id: int | None
    allowed: tuple[str, ...]
    # Category -> why it is withheld (not the purpose's, restricted, ...).
    withheld: dict[str, str] = field(default_factory=dict)
    case: str | None = None
    # The subject's standing restrictions (art. 18) among the categories asked for, allowed
    # or not, so that a page can say since when, until when and why.
    restricted: dict[str, StandingRestriction] = field(default_factory=dict)

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"decision": "allow", "categories": list(self.allowed)}
        if self.withheld:
            detail["withheld"] = dict(self.withheld)
        if self.case:
            detail["case"] = self.case
        return detail


def _refuse(
    session: Session,
    caller: AccessContext,
    *,
    audit_action: str,
    subject_id: int | None,
    purpose: str | None,
    reason: Msg,
    categories: Collection[str] = (),
    case: str | None = None,
) -> AccessRefused:
    detail: dict[str, Any] = {"decision": "refuse", "reason": reason}
    if categories:
        detail["categories"] = sorted(categories)
    if case:
        detail["case"] = case
    audit_service.record(
        session,
        actor=caller.actor,
        action=f"{audit_action}.refused",
        subject_id=subject_id,
        purpose=purpose,
        detail=detail,
    )
    return AccessRefused(reason)


def _allow(
    session: Session,
    decision: Decision,
    *,
    audit_action: str,
    audit_detail: dict[str, Any] | None,
) -> Decision:
    """An allowing decision: audited, then its categories granted for the reads that follow."""
    audit_service.record(
        session,
        actor=decision.actor,
        action=audit_action,
        subject_id=decision.subject_id,
        purpose=decision.purpose,
        detail={**decision.as_detail(), **(audit_detail or {})},
    )
    guard.grant(decision.allowed)
    return decision


def decide(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    action: Action,
    purpose: str,
    subject_id: int,
    categories: Sequence[str] | None = None,
    case: str | None = None,
    audit_action: str,
    audit_detail: dict[str, Any] | None = None,
    all_or_nothing: bool | None = None,
    records_consent: bool = False,
) -> Decision:
    """Allow `purpose` to use the subject's categories (all the purpose's when None).

    `records_consent`: the write is the subject's consent itself (a newsletter subscription,
    taking part in a survey), so a consent-based purpose does not need one standing already.

    Asked for named categories, every one must be allowed (all_or_nothing defaults to True);
    asked for the purpose's categories, the allowed ones are granted and the rest withheld
    with their reasons. Unknown purposes and categories raise NotFound (a bug, not a refusal).
    """
    stated = policy.purpose(purpose)
    for category in categories or ():
        policy.category(category)
    strict = all_or_nothing if all_or_nothing is not None else categories is not None
    with guard.internal():
        state = load_state(session, subject_id)
    # The caller first: a caller who may not use the purpose learns nothing about cases.
    reason = caller_refusal(policy, caller, action, purpose, subject_id)
    if reason is None and case is not None and stated.case_required:
        with guard.internal():
            reason = cases.check_case(session, case, subject_id)
    case = case.strip() if case is not None else None
    has_case = bool(case) and reason is None
    reason = reason or purpose_refusal(
        policy, action, purpose, state, has_case=has_case, records_consent=records_consent
    )
    wanted = list(categories) if categories is not None else list(stated.categories)
    if reason is not None:
        raise _refuse(
            session,
            caller,
            audit_action=audit_action,
            subject_id=subject_id,
            purpose=purpose,
            reason=reason,
            categories=wanted,
            case=case,
        )
    allowed: list[str] = []
    withheld: dict[str, str] = {}
    for category in wanted:
        why = category_refusal(policy, purpose, category, state)
        if why is None:
            allowed.append(category)
        else:
            withheld[category] = why
    # Nothing left to show is a refusal, with the real reasons (e.g. the restriction after an
    # erasure), rather than an empty page.
    if (strict and withheld) or (withheld and not allowed):
        raise _refuse(
            session,
            caller,
            audit_action=audit_action,
            subject_id=subject_id,
            purpose=purpose,
            reason=joined(dict.fromkeys(withheld.values())),
            categories=wanted,
            case=case,
        )
    decision = Decision(
        caller.actor,
        action,
        purpose,
        subject_id,
        tuple(allowed),
        withheld,
        case=case,
        restricted={c: state.restrictions[c] for c in wanted if c in state.restrictions},
    )
    return _allow(session, decision, audit_action=audit_action, audit_detail=audit_detail)


def may(
    policy: Policy,
    caller: AccessContext,
    *,
    action: Action,
    purpose: str,
    state: SubjectState | None,
    category: str | None = None,
    has_case: bool = False,
) -> str | None:
    """The decision without audit or grant, for building menus and lists: None or why not."""
    subject_id = state.subject_id if state else caller.subject_id
    return (
        caller_refusal(policy, caller, action, purpose, subject_id)
        or purpose_refusal(policy, action, purpose, state, has_case=has_case)
        or (category_refusal(policy, purpose, category, state) if category else None)
    )


def decide_list(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    purpose: str,
    category: str,
    subject_ids: Sequence[int],
    audit_action: str,
    audit_detail: dict[str, Any] | None = None,
) -> set[int]:
    """For a list page that shows one category beside many subjects (the request queue's
    names): the subjects whose category `purpose` may be read now, each decided as `decide`
    would (caller, purpose, the subject's consent, objection and restriction), audited as
    one entry that names the subjects shown."""
    policy.category(category)
    with guard.internal():
        states = load_states(session, subject_ids)
    shown = sorted(
        subject_id
        for subject_id in set(subject_ids)
        if may(
            policy,
            caller,
            action=Action.READ,
            purpose=purpose,
            state=states[subject_id],
            category=category,
        )
        is None
    )
    if shown:
        guard.grant([category])
        audit_service.record(
            session,
            actor=caller.actor,
            action=audit_action,
            purpose=purpose,
            detail={
                "decision": "allow",
                "categories": [category],
                "subjects": shown,
                **(audit_detail or {}),
            },
        )
    return set(shown)


def usable_purposes(policy: Policy, caller: AccessContext, action: Action) -> list[str]:
    """The purposes this caller may state for this action, before any subject is known."""
    return [
        key
        for key in policy.purposes
        if caller_refusal(policy, caller, action, key, caller.subject_id) is None
        and not (policy.purposes[key].aggregates_only and action is not Action.AGGREGATE)
    ]


@dataclass(frozen=True)
class SearchScope:
    """What a search may show: per purpose the caller may search under, its categories."""

    purposes: tuple[str, ...]
    categories: frozenset[str]


def decide_search(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    looks_up: str,
    query_kind: str,
) -> SearchScope:
    """Searching needs a purpose that may show one subject's data and uses the category the
    query looks up by (a personnummer search needs a purpose using personnummer)."""
    purposes = tuple(
        key
        for key in usable_purposes(policy, caller, Action.SEARCH)
        if not policy.purposes[key].case_required
    )
    categories = frozenset(c for key in purposes for c in policy.purposes[key].categories)
    if looks_up not in categories:
        reason = (
            Msg(
                "none of the purposes you may search under uses category {category}",
                category=looks_up,
            )
            if purposes
            else Msg("you may search under no purpose (aggregate-only purposes cannot search)")
        )
        raise _refuse(
            session,
            caller,
            audit_action="subject.find",
            subject_id=None,
            purpose=None,
            reason=reason,
            categories=[looks_up],
        )
    guard.grant([looks_up])
    return SearchScope(purposes, categories)


def visible_in_search(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    scope: SearchScope,
    subject_ids: Sequence[int],
) -> dict[int, frozenset[str]]:
    """Per found subject, the categories some search purpose may show of them now (consent,
    objection and restriction applied). Subjects with none are left out."""
    with guard.internal():
        states = load_states(session, subject_ids)
    visible: dict[int, frozenset[str]] = {}
    for subject_id in subject_ids:
        state = states[subject_id]
        shown: set[str] = set()
        for purpose in scope.purposes:
            if purpose_refusal(policy, Action.SEARCH, purpose, state, has_case=False):
                continue
            shown.update(
                category
                for category in policy.purposes[purpose].categories
                if category_refusal(policy, purpose, category, state) is None
            )
        if shown:
            visible[subject_id] = frozenset(shown)
    guard.grant(set().union(*visible.values()) if visible else ())
    return visible


def decide_aggregate(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    purpose: str,
    audit_action: str,
    audit_detail: dict[str, Any] | None = None,
) -> Decision:
    """Aggregates for an aggregates-only purpose: no subject, no row about one person."""
    reason = caller_refusal(policy, caller, Action.AGGREGATE, purpose, None)
    if reason is None and not policy.purpose(purpose).aggregates_only:
        reason = Msg(
            "purpose {purpose} is not aggregate-only; reports must use one that is", purpose=purpose
        )
    if reason is not None:
        raise _refuse(
            session,
            caller,
            audit_action=audit_action,
            subject_id=None,
            purpose=purpose,
            reason=reason,
        )
    categories = policy.purpose(purpose).categories
    decision = Decision(caller.actor, Action.AGGREGATE, purpose, None, tuple(categories))
    return _allow(session, decision, audit_action=audit_action, audit_detail=audit_detail)


def refuse_without_subject(
    session: Session, caller: AccessContext, *, audit_action: str, reason: Msg
) -> None:
    raise _refuse(
        session, caller, audit_action=audit_action, subject_id=None, purpose=None, reason=reason
    )


def decide_new_subject(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    purpose: str,
    categories: Sequence[str],
    audit_action: str,
    audit_detail: dict[str, Any] | None = None,
) -> Decision:
    """A write that creates a subject: there is no subject state yet, so the caller, the
    purpose and the categories it must use decide. Allowed, the categories are granted, so
    the create's own checks (is this personnummer taken?) read under the decision."""
    policy.purpose(purpose)
    for category in categories:
        policy.category(category)
    category_reasons = (category_refusal(policy, purpose, c, None) for c in categories)
    reason = (
        caller_refusal(policy, caller, Action.WRITE, purpose, None)
        or purpose_refusal(policy, Action.WRITE, purpose, None, has_case=False)
        or next(filter(None, category_reasons), None)
    )
    if reason is not None:
        raise _refuse(
            session,
            caller,
            audit_action=audit_action,
            subject_id=None,
            purpose=purpose,
            reason=reason,
            categories=categories,
        )
    decision = Decision(caller.actor, Action.WRITE, purpose, None, tuple(categories))
    # Marked, so that this subject-less entry is never taken for an aggregate read
    # (promises: k-anonymity counts allowed decisions that name no subject).
    detail = {"new_subject": True, **(audit_detail or {})}
    return _allow(session, decision, audit_action=audit_action, audit_detail=detail)
