"""The analyst's aggregates: counts of distinct subjects per group, each cell suppressed when
fewer than k subjects are in it (policy.security.k_anonymity). No row is ever about one person,
and no totals are shown, so a suppressed cell cannot be recovered by subtraction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, extract, func, or_, select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.models import Objection
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import today_in_sweden
from dataskydd.policy.schema import Policy
from dataskydd.register.enums import ContractStatus, RoleKind, SubjectKind
from dataskydd.register.models import (
    Contract,
    Invoice,
    PostalAddress,
    Service,
    Subject,
    SubjectRole,
    Subscription,
)


@dataclass(frozen=True)
class Cell:
    label: str
    subjects: int | None  # None: fewer than k, suppressed

    @property
    def suppressed(self) -> bool:
        return self.subjects is None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    cells: list[Cell]


@dataclass(frozen=True)
class StatisticsReport:
    k: int
    on: date
    tables: list[Table]

    @property
    def largest(self) -> int:
        return max((c.subjects or 0 for t in self.tables for c in t.cells), default=0)


_KIND_LABEL = {SubjectKind.PERSON: "private", SubjectKind.ORGANISATION: "business"}


def suppress(counts: list[tuple[Any, int]], k: int) -> list[Cell]:
    return [Cell(str(label), count if count >= k else None) for label, count in counts]


def _active_customers(today: date, excluded: Any) -> Any:
    """Subjects holding a contract that is active today, less those who objected."""
    return (
        select(Contract.subject_id)
        .where(
            Contract.status == ContractStatus.ACTIVE,
            Contract.starts_on <= today,
            or_(Contract.ends_on.is_(None), Contract.ends_on >= today),
            Contract.subject_id.not_in(excluded),
        )
        .distinct()
    )


def _grouped(session: Session, statement: Select[Any, int]) -> list[tuple[Any, int]]:
    return [(row[0], int(row[1])) for row in session.execute(statement)]


def customers_per_service(session: Session, today: date, excluded: Any) -> list[tuple[Any, int]]:
    running = and_(
        Subscription.starts_on <= today,
        or_(Subscription.ends_on.is_(None), Subscription.ends_on >= today),
    )
    statement = (
        select(Service.name, func.count(func.distinct(Contract.subject_id)))
        .join(Subscription, Subscription.service_id == Service.id)
        .join(Contract, Contract.id == Subscription.contract_id)
        .where(running, Contract.subject_id.in_(_active_customers(today, excluded)))
        .group_by(Service.name)
        .order_by(Service.name)
    )
    return _grouped(session, statement)


def customers_per_city(session: Session, today: date, excluded: Any) -> list[tuple[Any, int]]:
    statement = (
        select(PostalAddress.city, func.count(func.distinct(PostalAddress.subject_id)))
        .where(
            PostalAddress.is_primary,
            PostalAddress.subject_id.in_(_active_customers(today, excluded)),
        )
        .group_by(PostalAddress.city)
        .order_by(PostalAddress.city)
    )
    return _grouped(session, statement)


def customers_per_kind(session: Session, today: date, excluded: Any) -> list[tuple[Any, int]]:
    statement = (
        select(Subject.kind, func.count(func.distinct(Subject.id)))
        .join(SubjectRole, SubjectRole.subject_id == Subject.id)
        .where(
            SubjectRole.role == RoleKind.CUSTOMER,
            Subject.id.in_(_active_customers(today, excluded)),
        )
        .group_by(Subject.kind)
        .order_by(Subject.kind)
    )
    return [(_KIND_LABEL[SubjectKind(kind)], n) for kind, n in _grouped(session, statement)]


def invoiced_subjects_per_month(
    session: Session, today: date, excluded: Any
) -> list[tuple[Any, int]]:
    since = date(today.year - 1, today.month, 1)
    year = extract("year", Invoice.issued_on)
    month = extract("month", Invoice.issued_on)
    statement = (
        select(year, month, func.count(func.distinct(Invoice.subject_id)))
        .where(
            Invoice.issued_on >= since,
            Invoice.issued_on <= today,
            Invoice.subject_id.not_in(excluded),
        )
        .group_by(year, month)
        .order_by(year, month)
    )
    return [(f"{int(y):04d}-{int(m):02d}", int(n)) for y, m, n in session.execute(statement)]


_TABLES = (
    ("per_service", "Active customers per service", customers_per_service),
    ("per_city", "Active customers per city", customers_per_city),
    ("per_kind", "Active customers: private and business", customers_per_kind),
    ("invoices_per_month", "Invoiced customers per month", invoiced_subjects_per_month),
)

# The register columns each table's query reads (those of _active_customers included), so that
# only tables whose every category the statistics purpose uses are built: a company whose
# statistics purpose leaves out, say, the name category gets no table by kind of customer.
_ACTIVE = (("contract", "status"), ("contract", "starts_on"), ("contract", "ends_on"))
_READS: dict[str, tuple[tuple[str, str], ...]] = {
    "per_service": (*_ACTIVE, ("subscription", "starts_on"), ("subscription", "ends_on")),
    "per_city": (*_ACTIVE, ("postal_address", "city")),
    "per_kind": (*_ACTIVE, ("subject", "kind"), ("subject_role", "role")),
    "invoices_per_month": (("invoice", "issued_on"),),
}


def build_statistics(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    today: date | None = None,
    category_of: Callable[[str, str], str] | None = None,
) -> StatisticsReport:
    """Subjects who objected to the statistics purpose (art. 21.1) are not counted.

    `category_of(table, column)` is the data map's (datamap.entries.category_of, which this
    layer may not import): with it, a table is built only if the purpose uses every category
    its query reads."""
    ctx.require(Permission.STATISTICS_READ)
    purpose = policy.system_purpose("statistics")
    access_service.decide_aggregate(
        session,
        policy,
        ctx,
        purpose=purpose,
        audit_action="statistics.read",
        audit_detail={"tables": [key for key, _title, _query in _TABLES]},
    )
    today = today or today_in_sweden()
    k = policy.security.k_anonymity
    excluded = objectors(purpose)
    uses = set(policy.purpose(purpose).categories)
    return StatisticsReport(
        k=k,
        on=today,
        tables=[
            Table(key, title, suppress(query(session, today, excluded), k))
            for key, title, query in _TABLES
            if category_of is None or all(category_of(*read) in uses for read in _READS[key])
        ],
    )


def objectors(purpose: str) -> Any:
    """Subjects whose objection to `purpose` stands and is not overridden, as a subquery."""
    return select(Objection.subject_id).where(
        Objection.purpose == purpose,
        Objection.withdrawn_at.is_(None),
        # Recorded compelling grounds (art. 21.1) let processing go on, as in the decision.
        Objection.overridden_at.is_(None),
    )
