"""Completing and refusing subjects' requests, with the outcome kept as evidence: an access
or portability request gets a time-limited download link, an erasure runs the erasure plan, a
restriction marks categories, an objection is recorded. Outcomes name counts and categories,
never the data. Audited, never committing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.access.rules import Action
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.errors import ConfigurationError, Conflict, InvalidInput
from dataskydd.mail import service as mail_service
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import repository as register_repository
from dataskydd.register import service as register_service
from dataskydd.register.models import Restriction
from dataskydd.subject_requests import (
    downloads,
    erasure,
    messages,
    objections,
    outcome_texts,
    portability,
    rights_access,
    systems,
)
from dataskydd.subject_requests import requests as queue
from dataskydd.subject_requests.erasure import ErasureAction
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.models import (
    ReceiptAction,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from dataskydd.subject_requests.service import erase


class _Discard(io.StringIO):
    """Counts what the extract would hold without keeping it."""

    def write(self, text: str) -> int:
        return len(text)


def _finish(
    session: Session,
    ctx: AccessContext,
    policy: Policy,
    request: SubjectRequest,
    outcome: str,
    **detail: Any,
) -> None:
    request.status = RequestStatus.COMPLETED
    request.completed_at = utc_now()
    request.handled_by = ctx.actor[:100]
    request.outcome = outcome
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="subject_request.complete",
        subject_id=request.subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"request": request.id, "kind": request.kind.value, **detail},
    )


def complete_request(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    request_id: int,
    link_base: str,
    note: str = "",
    categories: Sequence[str] = (),
    purposes: Sequence[str] = (),
    today: date | None = None,
) -> SubjectRequest:
    """Carry out the request and keep its outcome as evidence (counts and category names,
    never the data). Access and portability: the subject gets a time-limited link; erasure:
    the data map is walked with the legal exceptions; restriction: the chosen categories are
    restricted; objection: processing for the chosen purposes stops."""
    ctx.require(Permission.REQUESTS_HANDLE)
    today = today or today_in_sweden()
    request = queue.load_request(session, request_id)
    queue.require_open(request)
    note = queue.checked_text("note", note, limit=2000, required=False)
    subject_id = request.subject_id
    if subject_id is None:
        raise Conflict(Msg("request {id} has no verified subject", id=request.id))
    register_service.require_subject(session, subject_id)
    controller = policy.controller.name
    # Everything stored and mailed for the subject is in the language they asked in.
    lang = outcome_texts.language_of(request.lang)
    if request.kind in queue.DOWNLOADABLE:
        rights_access.decide_rights(
            session,
            policy,
            ctx,
            subject_id=subject_id,
            action=Action.READ,
            audit_action="subject.read",
            view=f"{request.kind.value}_size",
        )
        if request.kind is RequestKind.ACCESS:
            # Every other system is asked first: one that cannot be reached makes the request
            # wait (receipts kept), so the subject never gets a partial registerutdrag.
            systems.counts_everywhere(
                session,
                subject_id=subject_id,
                identifiers=systems.identifiers_for_others(session, subject_id),
                request_id=request.id,
                action=ReceiptAction.EXTRACT,
                by=ctx.actor,
                keep_receipts=True,
            )
            until = downloads.link_valid_until(today)
            stats = write_extract_json(session, _Discard(), policy=policy, subject_id=subject_id)
            outcome = outcome_texts.access_outcome(stats.total, len(stats.rows), until, note, lang)
        else:
            until = downloads.link_valid_until(today)
            rows = portability.write_portability_json(
                session, _Discard(), policy=policy, subject_id=subject_id
            )
            outcome = outcome_texts.portability_outcome(rows, until, note, lang)
        if not link_base.strip():
            raise ConfigurationError(
                Msg(
                    "links in mail need this server's public address: set DATASKYDD_PUBLIC_BASE_URL"
                )
            )
        token = downloads.link_token(request.id, until)
        link = f"{link_base.rstrip('/')}/registerutdrag/hamta/{token}"
        _finish(session, ctx, policy, request, outcome)
        queue.mail_subject(
            session,
            policy,
            subject_id,
            messages.ready_mail(request.id, link, until, controller, note, lang),
        )
        return request
    if request.kind is RequestKind.ERASURE:
        # Read before the erasure blanks it: the outcome still goes to the subject.
        address = queue.email_on_file(session, policy, subject_id)
        plan = erase(
            session,
            caller=ctx,
            policy=policy,
            subject_id=subject_id,
            request_id=request.id,
            lang=lang,
        )
        outcome = _erasure_outcome(plan, note, lang)
        _finish(
            session,
            ctx,
            policy,
            request,
            outcome,
            erased=sorted(i.category for i in plan.items if i.action is ErasureAction.ERASE),
            kept=sorted(plan.kept),
        )
        if address is not None:
            mail = messages.outcome_mail(request.kind, request.id, outcome, controller, lang)
            mail_service.queue_mail(
                session, to=address, subject_line=mail.subject_line, body=mail.body
            )
        return request
    if request.kind is RequestKind.RESTRICTION:
        chosen = _known(policy.categories, categories, "categories")
        restrict_categories(
            session,
            policy=policy,
            actor=ctx.actor,
            subject_id=subject_id,
            categories=chosen,
            case=request.id,
            lang=lang,
        )
        outcome = outcome_texts.restriction_outcome(policy, chosen, note, lang)
        _finish(session, ctx, policy, request, outcome, categories=list(chosen))
    elif request.kind is RequestKind.OBJECTION:
        chosen = _known(policy.purposes, purposes, "purposes")
        refused = [key for key in chosen if not policy.purposes[key].objectable]
        if refused:
            raise InvalidInput(
                "purposes", Msg("cannot be objected to: {values}", values=", ".join(refused))
            )
        objections.record_objections(
            session,
            policy=policy,
            actor=ctx.actor,
            subject_id=subject_id,
            purposes=chosen,
            case=request.id,
        )
        outcome = outcome_texts.objection_outcome(policy, chosen, note, lang)
        _finish(session, ctx, policy, request, outcome, purposes=list(chosen))
    else:
        outcome = queue.checked_text("note", note, limit=2000)
        _finish(session, ctx, policy, request, outcome)
    queue.mail_subject(
        session,
        policy,
        subject_id,
        messages.outcome_mail(request.kind, request.id, request.outcome or "", controller, lang),
    )
    return request


def _known(vocabulary: Mapping[str, object], chosen: Sequence[str], field: str) -> list[str]:
    picked = list(dict.fromkeys(chosen))
    if not picked:
        raise InvalidInput(field, Msg("choose at least one"))
    unknown = [key for key in picked if key not in vocabulary]
    if unknown:
        raise InvalidInput(field, Msg("unknown: {values}", values=", ".join(unknown)[:200]))
    return picked


def _erasure_outcome(plan: erasure.ErasurePlan, note: str, lang: Lang) -> str:
    """The plan's titles and reasons are already in `lang` (the erasure was planned in it)."""
    erased = [(i.title, i.total) for i in plan.items if i.action is ErasureAction.ERASE]
    kept = [
        (i.title, i.total, i.reason or "", i.kept_until)
        for i in plan.items
        if i.action is ErasureAction.KEEP
    ]
    lines = [outcome_texts.erased_line(erased, lang)]
    if kept:
        lines.append(outcome_texts.kept_line(kept, lang))
    for receipt in plan.receipts:
        lines.append(
            outcome_texts.system_line(
                receipt.system,
                receipt.rows_found,
                receipt.rows_deleted,
                receipt.rows_blanked,
                receipt.id,
                lang,
            )
        )
    if note:
        lines.append(note)
    return "\n".join(lines)


def restrict_categories(
    session: Session,
    *,
    policy: Policy,
    actor: str,
    subject_id: int,
    categories: Sequence[str],
    case: int,
    lang: Lang = "sv",
) -> None:
    already = register_repository.restricted_categories(session, subject_id)
    for category in categories:
        if category not in already:
            session.add(
                Restriction(
                    subject_id=subject_id,
                    category=category,
                    reason=outcome_texts.restriction_reason(case, lang),
                )
            )
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject.restrict",
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"categories": list(categories), "request": case},
    )


def refuse_request(
    session: Session, ctx: AccessContext, *, policy: Policy, request_id: int, reason: str
) -> SubjectRequest:
    """Art. 12.4–5: a refusal gives the reason and the right to complain."""
    ctx.require(Permission.REQUESTS_HANDLE)
    request = queue.load_request(session, request_id)
    queue.require_open(request)
    text = queue.checked_text("reason", reason, limit=2000)
    request.status = RequestStatus.REFUSED
    request.completed_at = utc_now()
    request.handled_by = ctx.actor[:100]
    lang = outcome_texts.language_of(request.lang)
    request.outcome = outcome_texts.refused_outcome(text, lang)
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="subject_request.refuse",
        subject_id=request.subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"request": request.id},
    )
    queue.mail_subject(
        session,
        policy,
        request.subject_id,
        messages.outcome_mail(
            request.kind, request.id, request.outcome, policy.controller.name, lang
        ),
    )
    return request
