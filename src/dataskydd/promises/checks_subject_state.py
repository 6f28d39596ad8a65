"""Promises about the subject's own choices, checked against the audit log: objections
(art. 21), consent (art. 6.1 a, 7) and restriction (art. 18).

Each counts the access decisions that allowed a use the subject's state at that moment
should have refused. The subject-state tables are small and drive the joins, which reach the
audit log through its (subject_id, at) index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection, SubjectConsent
from dataskydd.audit.models import AuditEntry
from dataskydd.policy import labels
from dataskydd.policy.schema import LegalBasis, Policy
from dataskydd.promises import sql
from dataskydd.promises.registry import CheckContext, Evidence, localized, promise, text
from dataskydd.register.models import Restriction


def _objectable(policy: Policy) -> Iterator[str]:
    return (key for key, purpose in policy.purposes.items() if purpose.objectable)


def _consent_based(policy: Policy) -> Iterator[str]:
    return (
        key for key, purpose in policy.purposes.items() if purpose.legal_basis is LegalBasis.CONSENT
    )


def _use(row: Any) -> str:
    return f"audit_entry:{row.id} subject:{row.subject_id}"


@promise(
    key="objection",
    title_sv="Invändningar respekteras",
    title_en="Objections are respected",
    each=_objectable,
    order=30,
)
def objection_stops_processing(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """No allowed use of a purpose for a subject between their objection and its withdrawal;
    for purposes on legitimate interests or a public task (not direct marketing), compelling
    grounds recorded by the DPO (art. 21.1) end the window."""
    key = ctx.subject
    stated = policy.purpose(key)
    window = [
        AuditEntry.subject_id == Objection.subject_id,
        AuditEntry.purpose == Objection.purpose,
        AuditEntry.at > Objection.objected_at,
        or_(Objection.withdrawn_at.is_(None), AuditEntry.at < Objection.withdrawn_at),
    ]
    # Art. 21.1 grounds exist only for processing on art. 6.1 e or f; an objection to direct
    # marketing, or to a purpose resting on consent, stops it however much is recorded.
    overridable = not stated.direct_marketing and stated.legal_basis in (
        LegalBasis.LEGITIMATE_INTERESTS,
        LegalBasis.PUBLIC_TASK,
    )
    if overridable:
        window.append(
            or_(Objection.overridden_at.is_(None), AuditEntry.at < Objection.overridden_at)
        )
    uses = (
        select(AuditEntry.id, AuditEntry.subject_id)
        .join(Objection, and_(*window))
        .where(Objection.purpose == key, sql.allowed(session))
        .distinct()
    )
    total, offending = sql.count_and_sample(session, uses, _use)
    objections = session.scalar(
        select(func.count()).select_from(Objection).where(Objection.purpose == key)
    )
    title = stated.title
    if not overridable:
        pledge = text(
            f"{title.sv}: du kan invända när som helst, och då slutar vi omedelbart.",
            f"{title.en}: you may object at any time, and we then stop at once.",
        )
        evidence = text(
            f"tillåtna användningar för {key} av registrerade som invänt, efter invändningen: "
            f"{total} (invändningar: {objections})",
            f"allowed uses for {key} of subjects who objected, after the objection: {total} "
            f"(objections: {objections})",
        )
    else:
        pledge = text(
            f"{title.sv}: du kan invända, och då slutar vi om vi inte kan visa tvingande "
            "berättigade skäl som väger tyngre än dina intressen.",
            f"{title.en}: you may object, and we then stop unless we can show compelling "
            "legitimate grounds that override your interests.",
        )
        evidence = text(
            f"tillåtna användningar för {key} av registrerade som invänt, efter invändningen och "
            f"innan tvingande skäl registrerats: {total} (invändningar: {objections})",
            f"allowed uses for {key} of subjects who objected, after the objection and before "
            f"compelling grounds were recorded: {total} (objections: {objections})",
        )
    return ctx.verdict(pledge, evidence, offending)


@promise(
    key="consent",
    title_sv="Bara med samtycke",
    title_en="Only with consent",
    each=_consent_based,
    order=40,
)
def consent_required(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """Every allowed use of a consent-based purpose for a subject happened while a consent of
    that subject to that purpose stood (given before, not withdrawn before)."""
    key = ctx.subject
    stated = policy.purpose(key)
    standing = exists().where(
        SubjectConsent.subject_id == AuditEntry.subject_id,
        SubjectConsent.purpose == key,
        SubjectConsent.given_at <= AuditEntry.at,
        or_(SubjectConsent.withdrawn_at.is_(None), SubjectConsent.withdrawn_at > AuditEntry.at),
    )
    uses = sql.allowed_uses(session, key)
    all_uses = sql.count(session, uses)
    total, offending = sql.count_and_sample(session, uses.where(~standing), _use)
    pledge = text(
        f"{stated.title.sv}: bara med ditt samtycke, som du kan återkalla när som helst.",
        f"{stated.title.en}: only with your consent, which you may withdraw at any time.",
    )
    evidence = text(
        f"tillåtna användningar för {key} när den registrerade inte hade något gällande "
        f"samtycke: {total} av {all_uses}",
        f"allowed uses for {key} at a time the subject had no standing consent: "
        f"{total} of {all_uses}",
    )
    return ctx.verdict(pledge, evidence, offending)


@promise(
    key="restriction",
    title_sv="Begränsade uppgifter används inte",
    title_en="Restricted data is not used",
    order=50,
)
def restriction_respected(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """While a category of a subject is restricted, no allowed decision granted it to a purpose
    that the policy does not mark allowed_on_restricted."""
    others = [key for key, p in policy.purposes.items() if not p.allowed_on_restricted]
    kept_for = [p.title for p in policy.purposes.values() if p.allowed_on_restricted]
    uses = (
        select(AuditEntry.id, AuditEntry.subject_id, Restriction.id.label("restriction_id"))
        .join(
            Restriction,
            and_(
                Restriction.subject_id == AuditEntry.subject_id,
                AuditEntry.at > Restriction.restricted_at,
                or_(Restriction.lifted_at.is_(None), AuditEntry.at < Restriction.lifted_at),
            ),
        )
        .where(
            AuditEntry.purpose.in_(others),
            sql.allowed(session),
            sql.categories_include(session, Restriction.category),
        )
    )
    total, offending = sql.count_and_sample(
        session,
        uses,
        lambda row: (
            f"audit_entry:{row.id} subject:{row.subject_id} restriction:{row.restriction_id}"
        ),
    )
    restrictions = session.scalar(select(func.count()).select_from(Restriction))
    pledge = localized(
        lambda lang: (
            (
                "När du har begärt begränsning, eller vi måste spara uppgifter du bett oss radera, "
                "använder vi dem bara för: "
                if lang == "sv"
                else "When you have asked us to restrict your data, or we must keep data you asked "
                "us to erase, we use it only for: "
            )
            + (labels.enumerate_words([t.get(lang).lower() for t in kept_for], lang) or "-")
            + "."
        )
    )
    evidence = text(
        f"tillåtna användningar av en begränsad kategori, medan den var begränsad, för andra "
        f"ändamål: {total} (begränsningar: {restrictions})",
        f"allowed uses of a restricted category, while it was restricted, for any other "
        f"purpose: {total} (restrictions: {restrictions})",
    )
    return ctx.verdict(pledge, evidence, offending)
