"""Promises about personal recommendations (issue 16; docs/recommendations.md): none is served
to a subject after their objection, and their viewing leaves the model by the next nightly
training. Checked against the audit log: serving and training are access decisions, and a
training's decisions name, batch by batch, the subjects whose events it used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import cast

from dataskydd.access.models import Objection
from dataskydd.audit.models import AuditEntry
from dataskydd.policy.schema import Policy
from dataskydd.promises import sql
from dataskydd.promises.registry import CheckContext, Evidence, promise, text
from dataskydd.recommendations import serving, training

# The nightly training, its time limit (2 h) and a retry: an objection older than this must
# be behind the start of the model served.
STALE_AFTER = timedelta(hours=30)


def _purpose(policy: Policy) -> Iterator[str]:
    key = policy.system_purposes.recommendations
    return iter((key,) if key is not None and key in policy.purposes else ())


def _standing_at(moment: Any) -> ColumnElement[bool]:
    """The objection stood at `moment` (made before, neither withdrawn nor overridden yet)."""
    return and_(
        Objection.objected_at < moment,
        or_(Objection.withdrawn_at.is_(None), Objection.withdrawn_at > moment),
        or_(Objection.overridden_at.is_(None), Objection.overridden_at > moment),
    )


def _subjects_include(session: Session, subject_id: Any) -> ColumnElement[bool]:
    """The decision's detail "subjects" (decide_list: the subjects it allowed) holds the id."""
    if session.get_bind().dialect.name == "postgresql":
        listed = cast(AuditEntry.detail_json, JSONB)["subjects"]
        included: ColumnElement[bool] = listed.contains(func.to_jsonb(subject_id))
        return included
    each = func.json_each(AuditEntry.detail_json, "$.subjects").table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == subject_id))


@promise(
    key="recommendations_after_objection",
    title_sv="Inga rekommendationer efter en invändning",
    title_en="No recommendations after an objection",
    each=_purpose,
    order=31,
)
def none_served_after_objection(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """Recommendations served (allowed serving decisions) to subjects who objected, after
    the objection and while it stood: none."""
    key = ctx.subject
    served = (
        select(AuditEntry.id, AuditEntry.subject_id)
        .join(
            Objection,
            and_(Objection.subject_id == AuditEntry.subject_id, _standing_at(AuditEntry.at)),
        )
        .where(
            Objection.purpose == key,
            AuditEntry.action == serving.AUDIT_ACTION,
            sql.allowed(session),
        )
        .distinct()
    )
    total, offending = sql.count_and_sample(
        session, served, lambda row: f"audit_entry:{row.id} subject:{row.subject_id}"
    )
    all_served = sql.count(
        session,
        select(AuditEntry.id).where(
            AuditEntry.action == serving.AUDIT_ACTION, sql.allowed(session)
        ),
    )
    title = policy.purpose(key).title
    pledge = text(
        f"{title.sv}: när du invänder slutar vi genast att visa dig rekommendationer.",
        f"{title.en}: when you object we stop showing you recommendations at once.",
    )
    evidence = text(
        f"rekommendationer visade för registrerade som invänt, efter invändningen: {total} "
        f"(visade totalt: {all_served})",
        f"recommendations served to subjects who objected, after the objection: {total} "
        f"(served in all: {all_served})",
    )
    return ctx.verdict(pledge, evidence, offending)


@promise(
    key="recommendations_model",
    title_sv="Invändningar lämnar rekommendationsmodellen",
    title_en="Objections leave the recommendation model",
    each=_purpose,
    order=32,
)
def model_excludes_objectors(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """The model served used no events of a subject whose objection stood when the training
    read them (its decisions name the subjects used), and it started after every standing
    objection older than STALE_AFTER (the objector's history left at the next training)."""
    key = ctx.subject
    title = policy.purpose(key).title
    pledge = text(
        f"{title.sv}: när du har invänt lämnar ditt tittande beräkningen senast nästa natt.",
        f"{title.en}: once you object, your viewing leaves the calculation by the next night.",
    )
    current = training.latest(session)
    if current is None:
        return ctx.holds(
            pledge,
            text(
                "ingen modell är beräknad, så ingen håller någons tittande",
                "no model has been trained, so none holds anyone's viewing",
            ),
        )
    used = (
        select(AuditEntry.id, Objection.subject_id)
        .join(Objection, _standing_at(AuditEntry.at))
        .where(
            Objection.purpose == key,
            AuditEntry.action == training.AUDIT_ACTION,
            sql.detail_int(session, "training") == current.id,
            sql.allowed(session),
            _subjects_include(session, Objection.subject_id),
        )
        .distinct()
    )
    used_total, used_sample = sql.count_and_sample(
        session, used, lambda row: f"audit_entry:{row.id} subject:{row.subject_id}"
    )
    stale = select(Objection.id, Objection.subject_id).where(
        Objection.purpose == key,
        Objection.withdrawn_at.is_(None),
        Objection.overridden_at.is_(None),
        Objection.objected_at >= current.started_at,
        Objection.objected_at < ctx.now - STALE_AFTER,
    )
    stale_total, stale_sample = sql.count_and_sample(
        session, stale, lambda row: f"objection:{row.id} subject:{row.subject_id}"
    )
    hours = int(STALE_AFTER.total_seconds() // 3600)
    evidence = text(
        f"modell {current.id} (startad {current.started_at:%Y-%m-%d %H:%M} UTC): registrerade "
        f"som hade invänt när den läste deras tittande: {used_total}; invändningar äldre än "
        f"{hours} timmar som modellen är äldre än: {stale_total}",
        f"model {current.id} (started {current.started_at:%Y-%m-%d %H:%M} UTC): subjects who "
        f"had objected when it read their viewing: {used_total}; objections older than {hours} "
        f"hours that the model is older than: {stale_total}",
    )
    return ctx.verdict(pledge, evidence, [*used_sample, *stale_sample])
