"""The subject's recommendations in their registerutdrag (GDPR art. 15.1 h): the logic
involved and its consequences in the policy's words, and the recommendations as they stand
now with their reasons, or why none are made (an objection, a restriction).

The registerutdrag's own decision (the subject-rights purpose) granted the viewing read
here; whether recommendations are made is asked of the same rules the serving decision
applies (`access.service.may`), without an audit entry of a use that does not happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.access.state import load_state
from dataskydd.auth.access import operator_context
from dataskydd.formatting import format_moment
from dataskydd.policy.schema import Lang, Policy
from dataskydd.recommendations import texts
from dataskydd.recommendations.purpose import (
    configured,
    recommendations_purpose,
    viewing_category,
)
from dataskydd.recommendations.serving import rank, recent_titles
from dataskydd.recommendations.training import latest

TITLE = texts.TITLE
COLUMNS = texts.COLUMNS
SHOWN = 10


@dataclass(frozen=True)
class ExtractPart:
    intro: str  # the logic and consequences, then what stands now
    items: list[dict[str, Any]]


def for_extract(
    session: Session, *, policy: Policy, subject_id: int, lang: Lang
) -> ExtractPart | None:
    """None when the policy makes no recommendations (no system_purposes.recommendations)."""
    if not configured(policy):
        return None
    purpose = recommendations_purpose(policy)
    stated = policy.purpose(purpose)
    category = viewing_category(policy)
    logic = (stated.profiling_logic or stated.description).get(lang)
    with guard.internal():
        state = load_state(session, subject_id)
    refused = access_service.may(
        policy,
        operator_context("registerutdrag"),
        action=Action.READ,
        purpose=purpose,
        state=state,
        category=category,
    )
    if refused is not None:
        objection = state.objections.get(purpose)
        if objection is not None and not objection.overridden:
            since = format_moment(objection.objected_at)
            why = texts.pick(texts.OBJECTED, lang).format(since=since)
        elif category in state.restrictions:
            why = texts.pick(texts.RESTRICTED, lang)
        else:
            why = texts.pick(texts.NOT_ALLOWED, lang)
        return ExtractPart(f"{logic} {texts.pick(texts.NONE_REFUSED, lang).format(reason=why)}", [])
    training = latest(session)
    if training is None or training.finished_at is None:
        return ExtractPart(f"{logic} {texts.pick(texts.NO_MODEL, lang)}", [])
    history = recent_titles(session, subject_id)
    if not history:
        return ExtractPart(f"{logic} {texts.pick(texts.NO_HISTORY, lang)}", [])
    found = rank(session, training, history, SHOWN, lang)
    trained = format_moment(training.finished_at)
    status = texts.pick(texts.CURRENT, lang).format(trained=trained)
    items = [{"title": r.title, "because": r.because, "reason": r.reason} for r in found]
    return ExtractPart(f"{logic} {status}", items)
