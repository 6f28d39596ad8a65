"""Which subjects a subject-level rule has made due, and which are held or restricted, as
SELECTs of subject ids on the register (used as IN-subqueries, never loaded whole).

The register's own schema is fixed (register/models.py): the customer relationship is its
roles and contracts, whatever the policy calls its categories and subject kinds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from dataskydd.access.models import SubjectConsent
from dataskydd.clock import SWEDEN
from dataskydd.register.enums import ContractStatus
from dataskydd.register.models import (
    Contract,
    LegalHold,
    Restriction,
    Subject,
    SubjectRelation,
    SubjectRole,
)


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of a Swedish calendar day, for comparing it with UTC timestamps."""
    return dt.datetime.combine(day, dt.time(), SWEDEN).astimezone(dt.UTC)


def _ended(subject: Any, last_due: dt.date, today: dt.date) -> list[ColumnElement[bool]]:
    """`subject`'s own relationship ended on or before `last_due` (conditions on its row)."""
    open_role = exists().where(
        SubjectRole.subject_id == subject.id,
        or_(SubjectRole.ended_on.is_(None), SubjectRole.ended_on >= today),
    )
    late_role = exists().where(
        SubjectRole.subject_id == subject.id, SubjectRole.ended_on > last_due
    )
    contract_end = func.coalesce(Contract.ends_on, Contract.starts_on)
    open_contract = exists().where(
        Contract.subject_id == subject.id,
        Contract.status == ContractStatus.ACTIVE,
        or_(Contract.ends_on.is_(None), Contract.ends_on >= today),
    )
    late_contract = exists().where(Contract.subject_id == subject.id, contract_end > last_due)
    any_role = exists().where(SubjectRole.subject_id == subject.id)
    any_contract = exists().where(Contract.subject_id == subject.id)
    return [
        ~open_role,
        ~late_role,
        ~open_contract,
        ~late_contract,
        or_(any_role, any_contract, subject.created_at < start_of(last_due + dt.timedelta(1))),
    ]


def relationship_ended(last_due: dt.date, today: dt.date) -> Select[Any]:
    """Subjects whose relationship ended on or before `last_due`: no role or contract still
    open today, none that ended later, and (with neither) created on or before that day. A
    customer who left and came back has an open role again, so is not due. A contact person
    stays while an organisation they are linked to has not ended its relationship."""
    organisation = aliased(Subject)
    organisation_stays = exists(
        select(SubjectRelation.id)
        .join(organisation, organisation.id == SubjectRelation.organisation_id)
        .where(
            SubjectRelation.person_id == Subject.id,
            ~and_(*_ended(organisation, last_due, today)),
        )
    )
    return select(Subject.id).where(*_ended(Subject, last_due, today), ~organisation_stays)


def consent_ended(purposes: Collection[str], last_due: dt.date) -> Select[Any]:
    """Subjects with no standing consent to any of `purposes` and none withdrawn after
    `last_due`: their data kept on consent has had no basis since then (or never had one)."""
    standing = exists().where(
        SubjectConsent.subject_id == Subject.id,
        SubjectConsent.purpose.in_(purposes),
        or_(
            SubjectConsent.withdrawn_at.is_(None),
            SubjectConsent.withdrawn_at >= start_of(last_due + dt.timedelta(1)),
        ),
    )
    return select(Subject.id).where(~standing)


def held(category: str) -> Select[Any]:
    """Subjects with a standing legal hold on `category` or on all their data."""
    return select(LegalHold.subject_id).where(LegalHold.standing_over([category]))


def restricted(category: str, today: dt.date, *, expired: bool) -> Select[Any]:
    """Subjects whose `category` is restricted (art. 18) and kept until a day not yet passed
    or without end (`expired=False`), or whose keep-until has passed (`expired=True`): the
    restriction's own date then decides, not the category's rule."""
    ends = (
        Restriction.until < today
        if expired
        else or_(Restriction.until.is_(None), Restriction.until >= today)
    )
    return select(Restriction.subject_id).where(
        and_(Restriction.category == category, Restriction.lifted_at.is_(None), ends)
    )
