"""Recording recipients' agreements (personuppgiftsbiträdesavtal, GDPR art. 28.3 and 28.9) and
reading them back: the current agreement per recipient, its history, its document.

A recipient is a key of the policy. An agreement is never changed or deleted: a new one
supersedes it and the older ones stay as history, also after the recipient has left the
policy. Recording, uploading and downloading are audited with ids and the document's hash,
never its contents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from dataskydd.audit import service as audit_service
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.errors import InvalidInput, NotFound
from dataskydd.messages_i18n import Msg, reason_of
from dataskydd.policy.schema import Policy, Recipient, RecipientRole, TransferMechanism
from dataskydd.recipients.documents import CheckedDocument
from dataskydd.recipients.models import RecipientAgreement, RecipientDocument
from dataskydd.recipients.transfers import (
    MAX_TIA_REFERENCE,
    TransferEvidence,
    evidence_problems,
)
from dataskydd.validation import check_text

# No agreement under the Swedish personal data act (PuL, 1998) predates it by much; an earlier
# year is a typing error, not an agreement.
EARLIEST_SIGNED = dt.date(1990, 1, 1)
LONGEST_REVIEW_YEARS = 10
MAX_CATEGORIES = 100


@dataclass(frozen=True)
class AgreementInput:
    signed_on: dt.date
    review_on: dt.date
    categories: Sequence[str]
    country: str | None = None  # default: the policy's country for the recipient
    transfer_mechanism: TransferMechanism | None = None  # default: the policy's
    dpf_checked_on: dt.date | None = None
    scc_module: int | None = None
    scc_signed_on: dt.date | None = None
    tia_reference: str | None = None


def parse_day(value: str | None, field: str) -> dt.date | None:
    """An ISO date (YYYY-MM-DD) from a form or option; empty is None; impossible dates such as
    2026-02-30 are refused naming the field."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) != 10:
        raise InvalidInput(field, Msg("must be a date as YYYY-MM-DD"))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, Msg("is not a date that exists (YYYY-MM-DD)")) from None


def policy_recipient(policy: Policy, key: str) -> Recipient:
    for recipient in policy.recipients:
        if recipient.key == key:
            return recipient
    raise NotFound(Msg("no recipient '{key}' in the policy", key=key))


def _dates(data: AgreementInput, today: dt.date) -> None:
    if data.signed_on > today:
        raise InvalidInput("signed_on", Msg("must not be in the future"))
    if data.signed_on < EARLIEST_SIGNED:
        raise InvalidInput(
            "signed_on",
            Msg(
                "must not be before {EARLIEST_SIGNED}", EARLIEST_SIGNED=EARLIEST_SIGNED.isoformat()
            ),
        )
    if data.review_on <= data.signed_on:
        raise InvalidInput("review_on", Msg("must be after the signed date"))
    if data.review_on <= today:
        raise InvalidInput(
            "review_on", Msg("must be in the future (a new agreement is not overdue)")
        )
    if data.review_on > today.replace(year=today.year + LONGEST_REVIEW_YEARS, day=1):
        raise InvalidInput(
            "review_on",
            Msg(
                "must be within {LONGEST_REVIEW_YEARS} years",
                LONGEST_REVIEW_YEARS=LONGEST_REVIEW_YEARS,
            ),
        )


def _categories(policy: Policy, categories: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(key.strip() for key in categories if key.strip()))
    if not chosen:
        raise InvalidInput("categories", Msg("name at least one category the agreement covers"))
    if len(chosen) > MAX_CATEGORIES:
        raise InvalidInput(
            "categories", Msg("at most {MAX_CATEGORIES}", MAX_CATEGORIES=MAX_CATEGORIES)
        )
    unknown = [key for key in chosen if key not in policy.categories]
    if unknown:
        raise InvalidInput(
            "categories",
            Msg(
                "not categories of the policy (valid: {values})",
                values=", ".join(policy.categories),
            ),
        )
    return chosen


def _reference(value: str | None) -> str | None:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        return None
    try:
        check_text(cleaned)
    except ValueError as problem:
        raise InvalidInput("tia_reference", reason_of(problem)) from None
    if len(cleaned) > MAX_TIA_REFERENCE:
        raise InvalidInput(
            "tia_reference",
            Msg("at most {MAX_TIA_REFERENCE} characters", MAX_TIA_REFERENCE=MAX_TIA_REFERENCE),
        )
    return cleaned


def store_document(session: Session, document: CheckedDocument, *, by: str) -> RecipientDocument:
    """The document's row; the same bytes uploaded again (a renewed review of an unchanged
    agreement) reuse the row instead of being stored twice."""
    existing = session.scalar(
        select(RecipientDocument).where(RecipientDocument.sha256 == document.sha256).limit(1)
    )
    if existing is not None:
        return existing
    stored = RecipientDocument(
        file_name=document.file_name,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        content=document.content,
        uploaded_by=by[:100],
        uploaded_at=utc_now(),
    )
    session.add(stored)
    session.flush()
    audit_service.record(
        session,
        actor=by,
        action="recipient.document.upload",
        detail={"document": stored.id, "sha256": stored.sha256, "size": stored.size},
    )
    return stored


def record_agreement(
    session: Session,
    *,
    policy: Policy,
    recipient_key: str,
    data: AgreementInput,
    document: CheckedDocument | None,
    by: str,
    today: dt.date | None = None,
) -> RecipientAgreement:
    """Record a new agreement for a recipient of the policy; it becomes the current one.
    A processor's agreement needs its document (art. 28.9: in writing)."""
    today = today or today_in_sweden()
    recipient = policy_recipient(policy, recipient_key)
    _dates(data, today)
    categories = _categories(policy, data.categories)
    evidence = TransferEvidence(
        country=(data.country or recipient.country).strip().upper(),
        mechanism=data.transfer_mechanism or recipient.transfer_mechanism or TransferMechanism.NONE,
        dpf_checked_on=data.dpf_checked_on,
        scc_module=data.scc_module,
        scc_signed_on=data.scc_signed_on,
        tia_reference=_reference(data.tia_reference),
    )
    evidence_problems(evidence, today=today)
    if document is None and recipient.role is RecipientRole.PROCESSOR:
        raise InvalidInput(
            "document", Msg("a processor's agreement needs its signed document (PDF)")
        )
    stored = store_document(session, document, by=by) if document is not None else None
    agreement = RecipientAgreement(
        recipient_key=recipient.key,
        signed_on=data.signed_on,
        review_on=data.review_on,
        categories=categories,
        country=evidence.country,
        transfer_mechanism=evidence.mechanism,
        dpf_checked_on=evidence.dpf_checked_on,
        scc_module=evidence.scc_module,
        scc_signed_on=evidence.scc_signed_on,
        tia_reference=evidence.tia_reference,
        document_id=stored.id if stored is not None else None,
        recorded_by=by[:100],
        recorded_at=utc_now(),
    )
    session.add(agreement)
    session.flush()
    audit_service.record(
        session,
        actor=by,
        action="recipient.agreement.record",
        detail={
            "recipient": recipient.key,
            "agreement": agreement.id,
            "document": agreement.document_id,
            "review_on": agreement.review_on.isoformat(),
        },
    )
    return agreement


def current_agreements(session: Session) -> dict[str, RecipientAgreement]:
    """The latest agreement of every recipient that has one, policy's or removed."""
    latest = (
        select(func.max(RecipientAgreement.id))
        .group_by(RecipientAgreement.recipient_key)
        .scalar_subquery()
    )
    rows = session.scalars(select(RecipientAgreement).where(RecipientAgreement.id.in_(latest)))
    return {row.recipient_key: row for row in rows}


def history(session: Session, recipient_key: str) -> Sequence[RecipientAgreement]:
    """Every agreement recorded for the recipient, newest first."""
    return session.scalars(
        select(RecipientAgreement)
        .where(RecipientAgreement.recipient_key == recipient_key)
        .order_by(RecipientAgreement.id.desc())
    ).all()


def documents_of(session: Session, ids: set[int]) -> dict[int, RecipientDocument]:
    """Documents' metadata (not their bytes) by id."""
    if not ids:
        return {}
    rows = session.scalars(select(RecipientDocument).where(RecipientDocument.id.in_(ids)))
    return {row.id: row for row in rows}


def any_recorded(session: Session) -> bool:
    return session.scalar(select(RecipientAgreement.id).limit(1)) is not None


def agreement_document(
    session: Session, *, recipient_key: str, agreement_id: int | None, by: str
) -> RecipientDocument:
    """The document of an agreement (default: the recipient's current one), its bytes loaded;
    the download is audited."""
    statement = select(RecipientAgreement).where(RecipientAgreement.recipient_key == recipient_key)
    if agreement_id is not None:
        statement = statement.where(RecipientAgreement.id == agreement_id)
    agreement = session.scalar(statement.order_by(RecipientAgreement.id.desc()).limit(1))
    if agreement is None:
        raise NotFound(
            Msg(
                "no agreement recorded for recipient '{recipient_key}'", recipient_key=recipient_key
            )
        )
    if agreement.document_id is None:
        raise NotFound(Msg("agreement {id} has no document", id=agreement.id))
    document = session.scalar(
        select(RecipientDocument)
        .where(RecipientDocument.id == agreement.document_id)
        .options(undefer(RecipientDocument.content))
    )
    if document is None:  # pragma: no cover - the foreign key keeps it
        raise NotFound(Msg("agreement {id} has no document", id=agreement.id))
    audit_service.record(
        session,
        actor=by,
        action="recipient.document.download",
        detail={"recipient": recipient_key, "agreement": agreement.id, "document": document.id},
    )
    return document
