"""The rules of the access decision, as pure functions of the policy, the caller and the
subject's state. Each returns None when the rule allows, or the reason it refuses.

Order matters only for the message: the first refusing rule is the one reported.
"""

from __future__ import annotations

from enum import StrEnum

from dataskydd.access.state import SubjectState
from dataskydd.auth.access import AccessContext, CallerKind
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import LegalBasis, Permission, Policy


class Action(StrEnum):
    READ = "read"
    SEARCH = "search"
    WRITE = "write"
    EXPORT = "export"
    AGGREGATE = "aggregate"


_NEEDS: dict[Action, Permission] = {
    Action.READ: Permission.SUBJECT_READ,
    Action.SEARCH: Permission.SUBJECT_SEARCH,
    Action.WRITE: Permission.SUBJECT_WRITE,
    Action.EXPORT: Permission.SUBJECT_READ,
    Action.AGGREGATE: Permission.STATISTICS_READ,
}


def caller_refusal(
    policy: Policy, caller: AccessContext, action: Action, purpose: str, subject_id: int | None
) -> Msg | None:
    """May this caller use this purpose for this kind of action at all?"""
    if caller.kind is CallerKind.OPERATOR:
        return None
    if caller.kind is CallerKind.SUBJECT:
        if subject_id != caller.subject_id:
            return Msg("a subject may only use their own data")
        if purpose != policy.system_purposes.subject_rights:
            return Msg(
                "a subject's own access runs under the subject-rights purpose, not {purpose}",
                purpose=purpose,
            )
        return None
    needed = _NEEDS[action]
    if not caller.can(needed):
        return Msg("not allowed: {value}", value=needed.value)
    if caller.kind is CallerKind.API_KEY:
        allowed = (
            policy.api_access.write_purposes
            if action is Action.WRITE
            else policy.api_access.read_purposes
        )
        scoped = caller.write_purposes if action is Action.WRITE else caller.purposes or ()
        if purpose not in scoped:
            mine = ", ".join(sorted(scoped)) or Msg("none")
            if action is Action.WRITE:
                return Msg(
                    "this key may not write under purpose {purpose} (it may: {mine})",
                    purpose=purpose,
                    mine=mine,
                )
            return Msg(
                "this key may not use purpose {purpose} (it may: {mine})",
                purpose=purpose,
                mine=mine,
            )
        if purpose not in allowed:
            return Msg(
                "the policy does not let API keys use purpose {purpose} for {value}",
                purpose=purpose,
                value=action.value,
            )
        return None
    if not caller.may_use(purpose):
        mine = ", ".join(sorted(caller.purposes or ())) or Msg("none")
        return Msg(
            "role {role} may not use purpose {purpose} (it may: {mine})",
            role=caller.role,
            purpose=purpose,
            mine=mine,
        )
    return None


def purpose_refusal(
    policy: Policy,
    action: Action,
    purpose: str,
    state: SubjectState | None,
    *,
    has_case: bool,
    records_consent: bool = False,
) -> Msg | None:
    """May this purpose be used for this subject now (consent, objection, case)?"""
    stated = policy.purpose(purpose)
    if stated.aggregates_only and action is not Action.AGGREGATE:
        return Msg(
            "purpose {purpose} may only use aggregates, never one subject's data", purpose=purpose
        )
    if stated.case_required and action is not Action.AGGREGATE and not has_case:
        return Msg(
            "purpose {purpose} needs a case: give the id of the subject's "
            "request or of the disclosure it serves",
            purpose=purpose,
        )
    if state is None:
        return None
    if (
        stated.legal_basis is LegalBasis.CONSENT
        and purpose not in state.consents
        and not (records_consent and action is Action.WRITE)
    ):
        return Msg(
            "the subject has no standing consent to purpose {purpose} (GDPR art. 6.1 a, 7)",
            purpose=purpose,
        )
    objection = state.objections.get(purpose) if stated.objectable else None
    if objection is not None:
        since = objection.objected_at.date().isoformat()
        if stated.direct_marketing:
            return Msg(
                "the subject objected to purpose {purpose} on {since}; direct "
                "marketing stops at once (GDPR art. 21.3)",
                purpose=purpose,
                since=since,
            )
        if not objection.overridden:
            return Msg(
                "the subject objected to purpose {purpose} on {since}; it "
                "stops until compelling legitimate grounds are recorded (GDPR "
                "art. 21.1)",
                purpose=purpose,
                since=since,
            )
    return None


def category_refusal(
    policy: Policy, purpose: str, category: str, state: SubjectState | None
) -> Msg | None:
    """May this purpose use this category of this subject (policy, restriction)?"""
    stated = policy.purpose(purpose)
    policy.category(category)
    if category not in stated.categories:
        return Msg(
            "purpose {purpose} may not use category {category}",
            purpose=purpose,
            category=category,
        )
    restriction = state.restrictions.get(category) if state else None
    if restriction is not None and not stated.allowed_on_restricted:
        until = restriction.until.isoformat() if restriction.until else "further notice"
        return Msg(
            "category {category} is restricted (GDPR art. 18) since {date} until {until}: {reason}",
            category=category,
            date=restriction.since.date().isoformat(),
            until=until,
            reason=restriction.reason,
        )
    return None
