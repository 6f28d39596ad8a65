"""Queries other packages need: what the recipients received of one subject."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.recipient_exports.models import RecipientExport, RecipientExportSubject


def received_by_recipients(
    session: Session, subject_id: int, *, limit: int
) -> tuple[int, list[tuple[RecipientExport, RecipientExportSubject]]]:
    """The exports that held the subject's data, newest first, and how many in all."""
    where = RecipientExportSubject.subject_id == subject_id
    total = session.scalar(select(func.count()).select_from(RecipientExportSubject).where(where))
    rows = session.execute(
        select(RecipientExport, RecipientExportSubject)
        .join(RecipientExportSubject, RecipientExportSubject.export_id == RecipientExport.id)
        .where(where)
        .order_by(RecipientExport.created_at.desc(), RecipientExport.id.desc())
        .limit(limit)
    ).all()
    return total or 0, [(export, subject) for export, subject in rows]
