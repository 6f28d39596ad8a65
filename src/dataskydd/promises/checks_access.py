"""Promises about who uses data and how, checked against the audit log: staff use only
their role's purposes, case-bound purposes name a case, aggregate-only purposes never look
at one person, and statistics are k-anonymous."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, literal, or_, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth.models import StaffUser
from dataskydd.policy.schema import Policy
from dataskydd.promises import sql
from dataskydd.promises.registry import CheckContext, Evidence, promise, text


def _case_required(policy: Policy) -> Iterator[str]:
    return (key for key, purpose in policy.purposes.items() if purpose.case_required)


def _aggregates_only(policy: Policy) -> Iterator[str]:
    return (key for key, purpose in policy.purposes.items() if purpose.aggregates_only)


def _use(row: Any) -> str:
    return f"audit_entry:{row.id} subject:{row.subject_id}"


@promise(
    key="roles",
    title_sv="Behörighet efter roll",
    title_en="Role-based access",
    order=20,
)
def staff_use_their_roles_purposes(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """Every allowed decision of a staff member ("staff:<username>") used a purpose that the
    policy gives the member's role. Compared with the role the account has now."""
    outside = [
        and_(StaffUser.role == key, AuditEntry.purpose.not_in(role.purposes))
        for key, role in policy.roles.items()
    ]
    staff = (
        select(AuditEntry.id, StaffUser.id.label("user_id"))
        .join(StaffUser, AuditEntry.actor == literal("staff:").concat(StaffUser.username))
        .where(AuditEntry.purpose.is_not(None), sql.allowed(session))
    )
    all_uses = sql.count(session, staff)
    violations = staff.where(or_(StaffUser.role.not_in(list(policy.roles)), *outside))
    total, offending = sql.count_and_sample(
        session, violations, lambda row: f"audit_entry:{row.id} staff_user:{row.user_id}"
    )
    pledge = text(
        "Behörigheter efter roll: medarbetare använder bara uppgifter för de ändamål deras "
        "roll behöver.",
        "Role-based access: staff use data only for the purposes their role needs.",
    )
    evidence = text(
        f"tillåtna användningar av personal för ett ändamål som rollen inte har: {total} av "
        f"{all_uses} (jämfört med kontots nuvarande roll)",
        f"allowed uses by staff for a purpose their role does not have: {total} of {all_uses} "
        "(compared with the account's current role)",
    )
    return ctx.verdict(pledge, evidence, offending)


@promise(
    key="case_required",
    title_sv="Bara i ett ärende",
    title_en="Only within a case",
    each=_case_required,
    order=60,
)
def case_named(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    key = ctx.subject
    stated = policy.purpose(key)
    uses = sql.allowed_uses(session, key)
    all_uses = sql.count(session, uses)
    case = sql.detail_text(session, "case")
    total, offending = sql.count_and_sample(
        session, uses.where(or_(case.is_(None), case == "")), _use
    )
    pledge = text(
        f"{stated.title.sv}: uppgifterna används bara i ett ärende, till exempel din begäran "
        "eller ett utlämnande som lag eller domstol kräver.",
        f"{stated.title.en}: the data is used only within a case, such as your request or a "
        "disclosure that a law or court requires.",
    )
    evidence = text(
        f"tillåtna användningar för {key} utan ärende: {total} av {all_uses}",
        f"allowed uses for {key} without a case: {total} of {all_uses}",
    )
    return ctx.verdict(pledge, evidence, offending)


@promise(
    key="aggregates_only",
    title_sv="Bara statistik för grupper",
    title_en="Only statistics about groups",
    each=_aggregates_only,
    order=70,
)
def never_one_person(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    key = ctx.subject
    stated = policy.purpose(key)
    uses = sql.allowed_uses(session, key, of_a_subject=False)
    all_uses = sql.count(session, uses)
    total, offending = sql.count_and_sample(
        session, uses.where(AuditEntry.subject_id.is_not(None)), _use
    )
    pledge = text(
        f"{stated.title.sv}: redovisas bara som statistik för grupper, aldrig om en enskild "
        "person.",
        f"{stated.title.en}: reported only as statistics about groups, never about an individual.",
    )
    evidence = text(
        f"tillåtna användningar för {key} som gällde en enskild registrerad: {total} av {all_uses}",
        f"allowed uses for {key} that concerned one subject: {total} of {all_uses}",
    )
    return ctx.verdict(pledge, evidence, offending)


@promise(
    key="k_anonymity",
    title_sv="Statistik i grupper om minst k",
    title_en="Statistics in groups of at least k",
    order=80,
)
def k_anonymous_statistics(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """The reports apply the policy's k (they read it from the policy and record it with web
    reports); every aggregate decision (an allowed one naming no subject) used an
    aggregates-only purpose, and none recorded a smaller k."""
    k = policy.security.k_anonymity
    aggregate_purposes = list(_aggregates_only(policy))
    aggregates = sql.aggregate_decisions(session)
    all_reads = sql.count(session, aggregates)
    recorded_k = sql.detail_int(session, "k")
    violations = aggregates.where(
        or_(
            AuditEntry.purpose.not_in(aggregate_purposes),
            and_(recorded_k.is_not(None), recorded_k < k),
        )
    )
    total, offending = sql.count_and_sample(
        session, violations, lambda row: f"audit_entry:{row.id} purpose:{row.purpose}"
    )
    statistics = policy.system_purposes.statistics
    if statistics in policy.purposes and not policy.purposes[statistics].aggregates_only:
        offending.insert(0, f"policy:system_purposes.statistics={statistics}")
    pledge = text(
        f"Statistik redovisas bara i grupper om minst {k} personer och aldrig om en enskild "
        "person.",
        f"Statistics are reported only for groups of at least {k} people and never about an "
        "individual.",
    )
    evidence = text(
        f"rapporterna använder policyns k = {k}; statistikuttag: {all_reads}, varav för ett "
        f"ändamål som inte bara får statistik eller med mindre k: {total}",
        f"the reports apply the policy's k = {k}; aggregate reads: {all_reads}, of which under "
        f"a purpose that is not aggregates-only or with a smaller k: {total}",
    )
    return ctx.verdict(pledge, evidence, offending)
