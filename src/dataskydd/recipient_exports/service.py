"""Exports to a recipient of the policy: refused whole before anything is written when the
policy or a subject's state does not allow it, otherwise written and logged.

Order of work, so that a refusal leaves nothing behind but its audit rows:
1. the recipient, purpose, categories and selection are checked against the policy; a
   category the recipient may not receive (or the purpose may not use) is a refusal;
2. every selected subject goes through the access decision (action export, the purpose, the
   categories): objections, restrictions, missing consent and the caller's role apply. One
   refused subject refuses the export, naming how many and which ids, so that a recipient
   never gets a quietly partial selection;
3. only then is the file written, subject by subject, and the log rows added. The caller owns
   the file (the CLI's atomic_file, the web's temporary file) and the transaction: a failure
   while writing leaves neither a file nor a log row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext
from dataskydd.clock import utc_now
from dataskydd.datamap.identifiers import SubjectIdentifiers
from dataskydd.errors import AccessRefused, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg, joined
from dataskydd.policy.schema import Permission, Policy, Recipient
from dataskydd.recipient_exports import scope
from dataskydd.recipient_exports.models import (
    ExportFormat,
    RecipientExport,
    RecipientExportSubject,
)
from dataskydd.recipient_exports.reading import SubjectReader, TableRows, other_systems
from dataskydd.recipient_exports.writers import writer_for
from dataskydd.register.models import Subject

BATCH = 500
# Ids named in a refusal; the rest are counted.
NAMED_REFUSALS = 20


@dataclass(frozen=True)
class ExportOrder:
    """What the caller asks for; checked by `create_export`."""

    recipient: str
    purpose: str
    subject_ids: Sequence[int]
    categories: Sequence[str] | None = None  # None: every category the export may hold
    format: ExportFormat = ExportFormat.CSV


@dataclass(frozen=True)
class Checked:
    recipient: Recipient
    purpose: str
    categories: tuple[str, ...]
    subject_ids: list[int]
    format: ExportFormat


def _refuse(
    session: Session, caller: AccessContext, order: ExportOrder, reason: Msg, **detail: Any
) -> AccessRefused:
    audit_service.record(
        session,
        actor=caller.actor,
        action="recipient_export.refused",
        purpose=order.purpose if order.purpose else None,
        detail={"recipient": order.recipient, "reason": reason, **detail},
    )
    return AccessRefused(reason)


def check_order(
    session: Session, policy: Policy, caller: AccessContext, order: ExportOrder
) -> Checked:
    """The order against the policy, before any subject's data is looked at."""
    caller.require(Permission.RECIPIENTS_MANAGE)
    recipient = scope.recipient_of(policy, order.recipient)
    scope.check_purpose(policy, order.purpose)
    subject_ids = scope.check_subject_ids(list(order.subject_ids))
    allowed = scope.allowed_categories(policy, recipient, order.purpose)
    if order.categories:
        refused = scope.refused_categories(policy, recipient, order.purpose, order.categories)
        if refused:
            reason = Msg("categories: {reasons}", reasons=joined(refused.values()))
            raise _refuse(session, caller, order, reason, categories=sorted(refused))
        wanted = set(order.categories)
        categories = tuple(key for key in allowed if key in wanted)
    else:
        categories = allowed
    if not categories:
        raise _refuse(
            session,
            caller,
            order,
            Msg(
                "categories: recipient {recipient} may receive no category that purpose"
                " {purpose} uses",
                recipient=recipient.key,
                purpose=order.purpose,
            ),
        )
    return Checked(recipient, order.purpose, categories, subject_ids, order.format)


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _require_subjects(session: Session, ids: list[int]) -> None:
    missing: list[int] = []
    for batch in _batches(ids):
        # Ids only: whether a subject exists reads none of their data.
        found = set(session.scalars(select(Subject.id).where(Subject.id.in_(batch))))
        missing += [subject_id for subject_id in batch if subject_id not in found]
    if missing:
        named = ", ".join(str(i) for i in missing[:NAMED_REFUSALS])
        more = f" and {len(missing) - NAMED_REFUSALS} more" if len(missing) > NAMED_REFUSALS else ""
        raise InvalidInput(
            "subjects", Msg("no subject with id {named}{more}", named=named, more=more)
        )


def _decide_all(
    session: Session, policy: Policy, caller: AccessContext, checked: Checked, order: ExportOrder
) -> None:
    refused: list[int] = []
    for subject_id in checked.subject_ids:
        try:
            access_service.decide(
                session,
                policy,
                caller,
                action=Action.EXPORT,
                purpose=checked.purpose,
                subject_id=subject_id,
                categories=list(checked.categories),
                audit_action="recipient_export.subject",
                audit_detail={"recipient": checked.recipient.key},
            )
        except AccessRefused:
            refused.append(subject_id)  # its refusal and reason are in the audit log
    if refused:
        named = ", ".join(str(i) for i in refused[:NAMED_REFUSALS])
        more = (
            Msg(" and {count} more", count=len(refused) - NAMED_REFUSALS)
            if len(refused) > NAMED_REFUSALS
            else ""
        )
        reason = Msg(
            "subjects: {refused} of {selected} may not be exported under purpose {purpose}"
            " (ids {named}{more}; the audit log says why for each); nothing was written",
            refused=len(refused),
            selected=len(checked.subject_ids),
            purpose=checked.purpose,
            named=named,
            more=more,
        )
        raise _refuse(
            session, caller, order, reason, refused=len(refused), selected=len(checked.subject_ids)
        )


def _sections(
    reader: SubjectReader,
    subject_id: int,
    categories: Sequence[str],
    identifiers: SubjectIdentifiers,
) -> Iterator[tuple[str, Iterator[TableRows]]]:
    for key in categories:
        yield key, reader.tables(subject_id, key, identifiers)


def create_export(
    session: Session,
    *,
    policy: Policy,
    caller: AccessContext,
    order: ExportOrder,
    out: BinaryIO,
    batch_size: int = 1000,
) -> RecipientExport:
    """Write the export to `out` and log it; see the module's docstring for the order."""
    checked = check_order(session, policy, caller, order)
    _require_subjects(session, checked.subject_ids)
    _decide_all(session, policy, caller, checked, order)
    others = other_systems(checked.categories)
    export = RecipientExport(
        recipient=checked.recipient.key,
        purpose=checked.purpose,
        categories=",".join(checked.categories),
        format=checked.format,
        created_by=caller.actor[:100],
        created_at=utc_now(),
    )
    session.add(export)
    session.flush()
    writer = writer_for(checked.format, out)
    writer.begin(
        {
            "export": export.id,
            "generated_at": export.created_at.isoformat(),
            "controller": policy.controller.name,
            "recipient": {"key": checked.recipient.key, "name": checked.recipient.name},
            "purpose": checked.purpose,
            "categories": list(checked.categories),
        }
    )
    subjects = rows = 0
    with SubjectReader(session, others, batch_size) as reader:
        for subject_id in checked.subject_ids:
            identifiers = reader.identifiers(subject_id)
            sections = _sections(reader, subject_id, checked.categories, identifiers)
            written = writer.subject(subject_id, sections)
            if not written.categories:
                continue
            subjects += 1
            rows += written.rows
            session.add(
                RecipientExportSubject(
                    export_id=export.id,
                    subject_id=subject_id,
                    categories=",".join(written.categories),
                    rows=written.rows,
                )
            )
            if subjects % BATCH == 0:
                session.flush()
    writer.end()
    export.subjects, export.rows = subjects, rows
    export.sha256, export.size_bytes = writer.sha256, writer.size
    session.flush()
    audit_service.record(
        session,
        actor=caller.actor,
        action="recipient_export.create",
        purpose=checked.purpose,
        detail={
            "export": export.id,
            "recipient": checked.recipient.key,
            "categories": list(checked.categories),
            "format": checked.format.value,
            "selected": len(checked.subject_ids),
            "subjects": subjects,
            "rows": rows,
            "sha256": export.sha256,
            "size": export.size_bytes,
        },
    )
    return export


def recent_exports(
    session: Session, caller: AccessContext, *, recipient: str | None = None, limit: int = 100
) -> list[RecipientExport]:
    caller.require(Permission.RECIPIENTS_MANAGE)
    statement = select(RecipientExport).order_by(RecipientExport.id.desc()).limit(limit)
    if recipient is not None:
        statement = statement.where(RecipientExport.recipient == recipient)
    return list(session.scalars(statement))


@dataclass(frozen=True)
class ExportDetail:
    export: RecipientExport
    subjects: list[RecipientExportSubject]  # the first `limit`, by subject id
    total_subjects: int


def export_detail(
    session: Session, caller: AccessContext, export_id: int, *, limit: int = 1000
) -> ExportDetail:
    caller.require(Permission.RECIPIENTS_MANAGE)
    export = session.get(RecipientExport, export_id)
    if export is None:
        raise NotFound(Msg("no export {export_id}", export_id=export_id))
    where = RecipientExportSubject.export_id == export_id
    total = session.scalar(select(func.count()).select_from(RecipientExportSubject).where(where))
    subjects = session.scalars(
        select(RecipientExportSubject)
        .where(where)
        .order_by(RecipientExportSubject.subject_id)
        .limit(limit)
    )
    return ExportDetail(export, list(subjects), total or 0)


@dataclass(frozen=True)
class Choice:
    """A recipient, and per purpose the caller may export under, what the export may hold."""

    recipient: Recipient
    purposes: dict[str, tuple[str, ...]]


def choices(policy: Policy, caller: AccessContext) -> list[Choice]:
    """What a form offers this caller: only recipients and purposes an export could use."""
    # Purposes that need a case (a disclosure's) are the disclosure log's, not an export's.
    usable = [
        key
        for key in access_service.usable_purposes(policy, caller, Action.EXPORT)
        if not policy.purposes[key].case_required
    ]
    found = []
    for recipient in policy.recipients:
        purposes = {
            purpose: allowed
            for purpose in usable
            if (allowed := scope.allowed_categories(policy, recipient, purpose))
        }
        if purposes:
            found.append(Choice(recipient, purposes))
    return found
