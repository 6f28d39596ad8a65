"""The top of the staff customer view (issue 15): customer since, products in use and open
support cases, each read only when the access decision lets the stated purpose see the
categories the data map puts its columns in; a part it may not see is named as hidden.

The parts name register columns, never categories: the map says which category each is in,
so the same code serves every company's policy. They read within the view's own decision,
which granted and audited those categories; no part reads a category it did not grant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dataskydd.clock import today_in_sweden
from dataskydd.datamap.entries import current
from dataskydd.register.enums import ContractStatus, RoleKind
from dataskydd.register.models import Contract, Service, SubjectRole, Subscription, SupportCase

# Each part of the overview and the register columns it reads.
PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "customer_since": (("contract", "starts_on"), ("subject_role", "started_on")),
    "products": (("contract", "status"), ("subscription", "service_id")),
    "support_cases": (("support_case", "topic"), ("support_case", "closed_at")),
}
MAX_SHOWN = 20


@dataclass(frozen=True)
class Product:
    name: str
    since: date


@dataclass(frozen=True)
class OpenSupportCase:
    id: int
    topic: str
    opened_at: datetime


@dataclass
class Overview:
    customer_since: date | None = None
    products: list[Product] = field(default_factory=list)
    support_cases: list[OpenSupportCase] = field(default_factory=list)
    # Part -> the category the purpose may not see that it needs.
    hidden: dict[str, str] = field(default_factory=dict)
    # Part -> the category its rows are shown under further down the page.
    categories: dict[str, str] = field(default_factory=dict)


def _categories(part: str) -> list[str] | None:
    """The categories a part reads; None when the register's map lacks one of its columns."""
    tables = current().register.by_table
    found: list[str] = []
    for table, column in PARTS[part]:
        entry = tables.get(table)
        if entry is None or column not in entry.columns:
            return None
        found.append(entry.columns[column])
    return list(dict.fromkeys(found))


def build_overview(
    session: Session, *, subject_id: int, shown: frozenset[str], today: date | None = None
) -> Overview:
    """`shown`: the categories the view's access decision allowed for the stated purpose,
    subject and case, and audited as read (subject_view.show_subject, in the same unit of work): a
    part is read only when all its categories are among them."""
    overview = Overview()
    for part in PARTS:
        categories = _categories(part)
        if categories is None:
            continue
        missing = [c for c in categories if c not in shown]
        if missing:
            overview.hidden[part] = missing[0]
            continue
        overview.categories[part] = categories[0]
    today = today or today_in_sweden()
    if "customer_since" in overview.categories:
        overview.customer_since = _customer_since(session, subject_id)
    if "products" in overview.categories:
        overview.products = _products(session, subject_id, today)
    if "support_cases" in overview.categories:
        overview.support_cases = _open_support_cases(session, subject_id)
    return overview


def _customer_since(session: Session, subject_id: int) -> date | None:
    first_contract = session.scalar(
        select(func.min(Contract.starts_on)).where(Contract.subject_id == subject_id)
    )
    first_role = session.scalar(
        select(func.min(SubjectRole.started_on)).where(
            SubjectRole.subject_id == subject_id, SubjectRole.role == RoleKind.CUSTOMER
        )
    )
    starts = [d for d in (first_contract, first_role) if d is not None]
    return min(starts) if starts else None


def _products(session: Session, subject_id: int, today: date) -> list[Product]:
    """The services of the subject's active contracts in use today, by name."""
    rows = session.execute(
        select(Service.name, func.min(Subscription.starts_on))
        .join(Subscription, Subscription.service_id == Service.id)
        .join(Contract, Contract.id == Subscription.contract_id)
        .where(
            Contract.subject_id == subject_id,
            Contract.status == ContractStatus.ACTIVE,
            or_(Contract.ends_on.is_(None), Contract.ends_on >= today),
            Subscription.starts_on <= today,
            or_(Subscription.ends_on.is_(None), Subscription.ends_on >= today),
        )
        .group_by(Service.name)
        .order_by(Service.name)
        .limit(MAX_SHOWN)
    )
    return [Product(name, since) for name, since in rows]


def _open_support_cases(session: Session, subject_id: int) -> list[OpenSupportCase]:
    rows = session.execute(
        select(SupportCase.id, SupportCase.topic, SupportCase.opened_at)
        .where(SupportCase.subject_id == subject_id, SupportCase.closed_at.is_(None))
        .order_by(SupportCase.opened_at.desc(), SupportCase.id.desc())
        .limit(MAX_SHOWN)
    )
    return [OpenSupportCase(row.id, row.topic, row.opened_at) for row in rows]
