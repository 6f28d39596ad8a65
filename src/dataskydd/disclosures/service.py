"""The disclosure log's use cases: record a disclosure, list and show them, lift a
confidentiality. Only callers with `disclosures.manage` (the policy's roles); every change
audited with ids and category keys, never the authority's text; never committing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.disclosures import rules
from dataskydd.disclosures.models import (
    AuthorityKind,
    Disclosure,
    DisclosureSubject,
    DisclosureWithheld,
)
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg, reason_of
from dataskydd.policy.schema import Policy
from dataskydd.register.models import Subject

MAX_AUTHORITY = 200
MAX_GROUND = 300
MAX_REFERENCE = 120
MAX_DESCRIPTION = 2000
MAX_SUBJECTS = 1000
LIST_LIMIT = 200


@dataclass(frozen=True)
class DisclosureDraft:
    """What the DPO types in, as text: the web form and the CLI hand it over unparsed, so both
    get the same checks and the same errors."""

    authority: str
    authority_kind: str
    legal_ground: str
    reference: str
    categories: Sequence[str]
    description: str
    subjects: str  # ids separated by commas or blanks
    requested_on: str
    handed_over_on: str
    confidential: bool = False
    confidential_ground: str = ""
    confidential_until: str = ""


@dataclass
class _Checked:
    problems: list[tuple[str, Msg]] = field(default_factory=list)

    def text(
        self, name: str, value: str, limit: int, *, multi_line: bool = False, minimum: int = 3
    ) -> str:
        try:
            return rules.clean_text(value, limit=limit, multi_line=multi_line, minimum=minimum)
        except ValueError as problem:
            self.problems.append((name, reason_of(problem)))
            return ""

    def day(self, name: str, value: str) -> date | None:
        try:
            return rules.parse_day(value)
        except ValueError as problem:
            self.problems.append((name, reason_of(problem)))
            return None


def _kind(checked: _Checked, value: str) -> AuthorityKind:
    try:
        return AuthorityKind(value.strip())
    except ValueError:
        valid = ", ".join(kind.value for kind in AuthorityKind)
        checked.problems.append(("authority_kind", Msg("must be one of {valid}", valid=valid)))
        return AuthorityKind.OTHER


def _categories(checked: _Checked, policy: Policy, wanted: Sequence[str]) -> list[str]:
    chosen = {key.strip() for key in wanted if key.strip()}
    unknown = sorted(key for key in chosen if key not in policy.categories)
    if unknown or not chosen:
        known = ", ".join(policy.categories)
        reason = (
            Msg("unknown category (valid: {known})", known=known)
            if unknown
            else Msg("name at least one category (valid: {known})", known=known)
        )
        checked.problems.append(("categories", reason))
    return [key for key in policy.categories if key in chosen]


def _subjects(session: Session, checked: _Checked, text: str) -> list[int]:
    try:
        ids = rules.parse_subject_ids(text, most=MAX_SUBJECTS)
    except ValueError as problem:
        checked.problems.append(("subjects", reason_of(problem)))
        return []
    # Their ids only: recording a disclosure reads none of the subjects' data.
    found = set(session.scalars(select(Subject.id).where(Subject.id.in_(ids))))
    missing = [subject_id for subject_id in ids if subject_id not in found]
    if missing:
        listed = ", ".join(str(i) for i in missing[:10]) + (" …" if len(missing) > 10 else "")
        checked.problems.append(("subjects", Msg("no subject with id {listed}", listed=listed)))
    return ids


def record_disclosure(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    draft: DisclosureDraft,
    today: date | None = None,
) -> Disclosure:
    """Log a disclosure. Every field is checked before anything is written, and all problems
    are reported at once, each naming its field."""
    ctx.require(Permission.DISCLOSURES_MANAGE)
    today = today or today_in_sweden()
    checked = _Checked()
    authority = checked.text("authority", draft.authority, MAX_AUTHORITY)
    kind = _kind(checked, draft.authority_kind)
    ground = checked.text("legal_ground", draft.legal_ground, MAX_GROUND)
    reference = checked.text("reference", draft.reference, MAX_REFERENCE, minimum=1)
    categories = _categories(checked, policy, draft.categories)
    description = checked.text("description", draft.description, MAX_DESCRIPTION, multi_line=True)
    requested = checked.day("requested_on", draft.requested_on)
    handed_over = checked.day("handed_over_on", draft.handed_over_on)
    checked.problems += rules.date_problems(requested, handed_over, today)
    secrecy_ground: str | None = None
    until: date | None = None
    if draft.confidential:
        secrecy_ground = checked.text("confidential_ground", draft.confidential_ground, MAX_GROUND)
        if draft.confidential_until.strip():
            until = checked.day("confidential_until", draft.confidential_until)
            why = rules.until_problem(until, today) if until else None
            if why:
                checked.problems.append(("confidential_until", why))
    elif draft.confidential_ground.strip() or draft.confidential_until.strip():
        checked.problems.append(
            (
                "confidential",
                Msg("a ground or end of confidentiality needs the disclosure marked so"),
            )
        )
    subject_ids = _subjects(session, checked, draft.subjects)
    if checked.problems:
        field_name, reason = checked.problems[0]
        raise InvalidInput(field_name, reason, problems=checked.problems)
    assert requested is not None
    assert handed_over is not None
    disclosure = Disclosure(
        authority=authority,
        authority_kind=kind,
        legal_ground=ground,
        reference=reference,
        categories=",".join(categories),
        description=description,
        requested_on=requested,
        handed_over_on=handed_over,
        recorded_by=ctx.actor[:100],
        recorded_at=utc_now(),
        confidential=draft.confidential,
        confidential_ground=secrecy_ground,
        confidential_until=until,
    )
    session.add(disclosure)
    session.flush()
    session.add_all(
        DisclosureSubject(disclosure_id=disclosure.id, subject_id=s) for s in subject_ids
    )
    session.flush()
    detail = {
        "disclosure": disclosure.id,
        "authority_kind": kind.value,
        "categories": categories,
        "confidential": draft.confidential,
    }
    audit_service.record(
        session,
        actor=ctx.actor,
        action="disclosure.record",
        detail={**detail, "subjects": len(subject_ids)},
    )
    # One entry per subject too, so that the audit trail of each subject shows the disclosure.
    for subject_id in subject_ids:
        audit_service.record(
            session,
            actor=ctx.actor,
            action="disclosure.subject",
            subject_id=subject_id,
            detail=detail,
        )
    return disclosure


def categories_of(disclosure: Disclosure) -> list[str]:
    return [key for key in disclosure.categories.split(",") if key]


def is_confidential(disclosure: Disclosure, today: date | None = None) -> bool:
    return rules.confidential_on(
        confidential=disclosure.confidential,
        lifted=disclosure.confidentiality_lifted_at is not None,
        until=disclosure.confidential_until,
        today=today or today_in_sweden(),
    )


def list_disclosures(
    session: Session,
    ctx: AccessContext,
    *,
    subject_id: int | None = None,
    limit: int = LIST_LIMIT,
) -> tuple[int, Sequence[Disclosure]]:
    """How many there are, and the newest `limit` (by the day handed over)."""
    ctx.require(Permission.DISCLOSURES_MANAGE)
    statement = select(Disclosure)
    counting = select(func.count()).select_from(Disclosure)
    if subject_id is not None:
        concerns = Disclosure.id.in_(
            select(DisclosureSubject.disclosure_id).where(
                DisclosureSubject.subject_id == subject_id
            )
        )
        statement = statement.where(concerns)
        counting = counting.where(concerns)
    newest = statement.order_by(Disclosure.handed_over_on.desc(), Disclosure.id.desc())
    return session.scalar(counting) or 0, session.scalars(newest.limit(limit)).all()


@dataclass(frozen=True)
class DisclosureDetail:
    disclosure: Disclosure
    subject_ids: list[int]
    confidential_now: bool
    # How often a registerutdrag left it out, and when last (the evidence of the rule).
    times_withheld: int
    last_withheld_at: datetime | None


def get_disclosure(session: Session, ctx: AccessContext, disclosure_id: int) -> DisclosureDetail:
    ctx.require(Permission.DISCLOSURES_MANAGE)
    disclosure = session.get(Disclosure, disclosure_id)
    if disclosure is None:
        raise NotFound(Msg("no disclosure {disclosure_id}", disclosure_id=disclosure_id))
    subject_ids = list(
        session.scalars(
            select(DisclosureSubject.subject_id)
            .where(DisclosureSubject.disclosure_id == disclosure_id)
            .order_by(DisclosureSubject.subject_id)
        )
    )
    withheld = session.execute(
        select(func.count(), func.max(DisclosureWithheld.withheld_at)).where(
            DisclosureWithheld.disclosure_id == disclosure_id
        )
    ).one()
    return DisclosureDetail(
        disclosure,
        subject_ids,
        is_confidential(disclosure),
        withheld[0] or 0,
        withheld[1],
    )


def lift_confidentiality(
    session: Session, ctx: AccessContext, *, disclosure_id: int, reason: str
) -> Disclosure:
    """The secrecy has ended (the investigation closed, the authority said so): from now on
    the subjects' registerutdrag show the disclosure."""
    ctx.require(Permission.DISCLOSURES_MANAGE)
    disclosure = session.get(Disclosure, disclosure_id, with_for_update=True)
    if disclosure is None:
        raise NotFound(Msg("no disclosure {disclosure_id}", disclosure_id=disclosure_id))
    if not disclosure.confidential:
        raise Conflict(
            Msg("disclosure {disclosure_id} is not confidential", disclosure_id=disclosure_id)
        )
    if disclosure.confidentiality_lifted_at is not None:
        raise Conflict(
            Msg(
                "the confidentiality of disclosure {disclosure_id} was already lifted",
                disclosure_id=disclosure_id,
            )
        )
    try:
        cleaned = rules.clean_text(reason, limit=MAX_GROUND)
    except ValueError as problem:
        raise InvalidInput("reason", reason_of(problem)) from None
    disclosure.confidentiality_lift_reason = cleaned
    disclosure.confidentiality_lifted_by = ctx.actor[:100]
    disclosure.confidentiality_lifted_at = utc_now()
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="disclosure.lift_confidentiality",
        detail={"disclosure": disclosure.id},
    )
    return disclosure


def as_dict(disclosure: Disclosure, *, today: date | None = None) -> dict[str, object]:
    """A disclosure as the CLI's --json and scripts read it."""
    return {
        "id": disclosure.id,
        "authority": disclosure.authority,
        "authority_kind": disclosure.authority_kind.value,
        "legal_ground": disclosure.legal_ground,
        "reference": disclosure.reference,
        "categories": categories_of(disclosure),
        "description": disclosure.description,
        "requested_on": disclosure.requested_on.isoformat(),
        "handed_over_on": disclosure.handed_over_on.isoformat(),
        "recorded_by": disclosure.recorded_by,
        "recorded_at": disclosure.recorded_at.isoformat(),
        "confidential": disclosure.confidential,
        "confidential_now": is_confidential(disclosure, today),
        "confidential_ground": disclosure.confidential_ground,
        "confidential_until": (
            disclosure.confidential_until.isoformat() if disclosure.confidential_until else None
        ),
        "confidentiality_lifted_at": (
            disclosure.confidentiality_lifted_at.isoformat()
            if disclosure.confidentiality_lifted_at
            else None
        ),
        "confidentiality_lift_reason": disclosure.confidentiality_lift_reason,
    }
