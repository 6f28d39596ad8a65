"""Recording a breach and changing its record: every change keeps the earlier values in the
breach's history (`breach_event`) and is audited with the field names only.

The caller needs `breaches.manage` (the DPO and admins in the bundled policies). Texts are
checked like every form's (no control characters, bounded); dates by `deadlines`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.breaches import deadlines
from dataskydd.breaches.models import (
    Breach,
    BreachEvent,
    BreachStatus,
    ImyDecision,
    Nature,
    SubjectDecision,
)
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg, reason_of
from dataskydd.policy.schema import Policy
from dataskydd.validation import check_text

MAX_TITLE = 200
MAX_TEXT = 4000
# A number of subjects or records beyond every population on earth is a typing error.
MAX_COUNT = 1_000_000_000  # fits PostgreSQL's INTEGER


@dataclass
class BreachInput:
    """A breach as the DPO describes it; moments as text (`deadlines.parse_moment`)."""

    title: str
    aware_at: str
    nature: Sequence[str]
    description: str
    categories: Sequence[str]
    subject_kinds: Sequence[str]
    subjects_approx: int
    records_approx: int
    consequences: str
    measures_taken: str
    measures_planned: str
    occurred_at: str = ""
    occurred_approximate: bool = False


def clean_text(value: str, field_name: str, limit: int, *, multi_line: bool = True) -> str:
    try:
        check_text(value, multi_line=multi_line)
    except ValueError as problem:
        raise InvalidInput(field_name, reason_of(problem)) from None
    cleaned = value.strip()
    if len(cleaned) < 3:
        raise InvalidInput(field_name, Msg("must say something (at least 3 characters)"))
    if len(cleaned) > limit:
        raise InvalidInput(field_name, Msg("at most {limit} characters", limit=limit))
    return cleaned


def _keys(values: Sequence[str], known: Mapping[str, object], field_name: str) -> str:
    chosen = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not chosen:
        raise InvalidInput(field_name, Msg("choose at least one"))
    unknown = [v for v in chosen if v not in known]
    if unknown:
        raise InvalidInput(field_name, Msg("unknown (valid: {values})", values=", ".join(known)))
    return ",".join(chosen)


def _count(value: int, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidInput(
            field_name, Msg("must be a whole number from 0 to {MAX_COUNT}", MAX_COUNT=MAX_COUNT)
        )
    return value


def split(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


def _fields(policy: Policy, data: BreachInput, now: datetime) -> dict[str, Any]:
    aware = deadlines.parse_moment(data.aware_at, "aware_at")
    occurred = deadlines.parse_moment(data.occurred_at, "occurred_at") if data.occurred_at else None
    deadlines.check_moments(occurred, aware, now)
    natures = {n.value: n for n in Nature}
    return {
        "title": clean_text(data.title, "title", MAX_TITLE, multi_line=False),
        "occurred_at": occurred,
        "occurred_approximate": bool(data.occurred_approximate) and occurred is not None,
        "aware_at": aware,
        "nature": _keys(data.nature, natures, "nature"),
        "description": clean_text(data.description, "description", MAX_TEXT),
        "categories": _keys(data.categories, policy.categories, "categories"),
        "subject_kinds": _keys(data.subject_kinds, policy.subject_kinds, "subject_kinds"),
        "subjects_approx": _count(data.subjects_approx, "subjects_approx"),
        "records_approx": _count(data.records_approx, "records_approx"),
        "consequences": clean_text(data.consequences, "consequences", MAX_TEXT),
        "measures_taken": clean_text(data.measures_taken, "measures_taken", MAX_TEXT),
        "measures_planned": clean_text(data.measures_planned, "measures_planned", MAX_TEXT),
    }


def add_event(
    session: Session, breach: Breach, *, by: str, kind: str, detail: Mapping[str, Any]
) -> None:
    session.add(
        BreachEvent(
            breach_id=breach.id,
            at=utc_now(),
            by=by[:100],
            kind=kind,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
    session.flush()


def audit(session: Session, ctx: AccessContext, action: str, breach: Breach, **detail: Any) -> None:
    audit_service.record(
        session, actor=ctx.actor, action=action, detail={"breach": breach.id, **detail}
    )


def record_breach(
    session: Session,
    policy: Policy,
    ctx: AccessContext,
    data: BreachInput,
    *,
    now: datetime | None = None,
) -> Breach:
    ctx.require(Permission.BREACHES_MANAGE)
    now = now or utc_now()
    values = _fields(policy, data, now)
    breach = Breach(
        **values,
        recorded_at=now,
        recorded_by=ctx.actor[:100],
        status=BreachStatus.OPEN,
        imy_decision=ImyDecision.PENDING,
        subject_decision=SubjectDecision.PENDING,
        reminded="",
    )
    session.add(breach)
    session.flush()
    add_event(session, breach, by=ctx.actor, kind="recorded", detail={})
    audit(session, ctx, "breach.record", breach, categories=split(breach.categories))
    return breach


def get_breach(session: Session, ctx: AccessContext, breach_id: int) -> Breach:
    ctx.require(Permission.BREACHES_MANAGE)
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(Msg("no breach {breach_id}", breach_id=breach_id))
    return breach


def for_change(session: Session, ctx: AccessContext, breach_id: int) -> Breach:
    """The breach, locked for the change (two DPOs at once do not lose one's edit)."""
    ctx.require(Permission.BREACHES_MANAGE)
    breach = session.get(Breach, breach_id, with_for_update=True)
    if breach is None:
        raise NotFound(Msg("no breach {breach_id}", breach_id=breach_id))
    return breach


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def update_breach(
    session: Session,
    policy: Policy,
    ctx: AccessContext,
    breach_id: int,
    data: BreachInput,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Replace the description with `data`; returns the fields that changed. The earlier
    values are kept in the history."""
    breach = for_change(session, ctx, breach_id)
    if breach.status is BreachStatus.CLOSED:
        raise Conflict(
            Msg("breach {breach_id} is closed; reopen it to change it", breach_id=breach_id)
        )
    values = _fields(policy, data, now or utc_now())
    before = {
        name: _stored(getattr(breach, name))
        for name, value in values.items()
        if getattr(breach, name) != value
    }
    if not before:
        return []
    for name in before:
        setattr(breach, name, values[name])
    session.flush()
    add_event(session, breach, by=ctx.actor, kind="updated", detail={"before": before})
    audit(session, ctx, "breach.update", breach, fields=sorted(before))
    return sorted(before)


def set_status(
    session: Session, ctx: AccessContext, breach_id: int, status: BreachStatus
) -> Breach:
    breach = for_change(session, ctx, breach_id)
    if breach.status is status:
        raise Conflict(
            Msg("breach {breach_id} is already {value}", breach_id=breach_id, value=status.value)
        )
    breach.status = status
    session.flush()
    add_event(session, breach, by=ctx.actor, kind=status.value, detail={})
    audit(session, ctx, f"breach.{'close' if status is BreachStatus.CLOSED else 'reopen'}", breach)
    return breach


def list_breaches(
    session: Session, ctx: AccessContext, *, open_only: bool = False, limit: int = 200
) -> Sequence[Breach]:
    ctx.require(Permission.BREACHES_MANAGE)
    statement = select(Breach).order_by(Breach.aware_at.desc(), Breach.id.desc()).limit(limit)
    if open_only:
        statement = statement.where(Breach.status == BreachStatus.OPEN)
    return session.scalars(statement).all()


def history(session: Session, ctx: AccessContext, breach_id: int) -> list[dict[str, Any]]:
    ctx.require(Permission.BREACHES_MANAGE)
    events = session.scalars(
        select(BreachEvent).where(BreachEvent.breach_id == breach_id).order_by(BreachEvent.id)
    ).all()
    return [
        {"at": e.at, "by": e.by, "kind": e.kind, "detail": json.loads(e.detail or "{}")}
        for e in events
    ]


def as_input(breach: Breach) -> BreachInput:
    """The record as the form that would store it again (the update form starts from it)."""
    return BreachInput(
        title=breach.title,
        aware_at=breach.aware_at.isoformat(),
        occurred_at=breach.occurred_at.isoformat() if breach.occurred_at else "",
        occurred_approximate=breach.occurred_approximate,
        nature=split(breach.nature),
        description=breach.description,
        categories=split(breach.categories),
        subject_kinds=split(breach.subject_kinds),
        subjects_approx=breach.subjects_approx,
        records_approx=breach.records_approx,
        consequences=breach.consequences,
        measures_taken=breach.measures_taken,
        measures_planned=breach.measures_planned,
    )
