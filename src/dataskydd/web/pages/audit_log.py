"""The audit log for the DPO and admins: filtered reading and verification of the hash chain
(accountability, GDPR art. 5(2))."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from dataskydd.audit import browse
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import Permission
from dataskydd.clock import SWEDEN
from dataskydd.errors import InvalidInput
from dataskydd.web.deps import SessionDep, StaffPrincipal, requires, verify_csrf
from dataskydd.web.params import MAX_ROW_ID, Line, QueryRowId
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

AuditReader = Annotated[StaffPrincipal, Depends(requires(Permission.AUDIT_READ))]
CheckedReader = Annotated[StaffPrincipal, Depends(verify_csrf)]
Filter = Annotated[Line, Query(max_length=200)]
PAGE_SIZE = 50


def _day(field: str, value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, "is not a date (YYYY-MM-DD)") from None


def _whole_number(field: str, value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value.strip()) > MAX_ROW_ID:
        raise InvalidInput(field, f"is not a whole number from 0 to {MAX_ROW_ID}")
    return int(value.strip())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SWEDEN)


@router.get("/audit")
def audit_log(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    actor: Filter = "",
    action: Filter = "",
    subject_id: Filter = "",
    from_date: Annotated[Line, Query(alias="from", max_length=20)] = "",
    to_date: Annotated[Line, Query(alias="to", max_length=20)] = "",
    before_id: QueryRowId = None,
) -> Response:
    filters = {
        "actor": actor,
        "action": action,
        "subject_id": subject_id,
        "from": from_date,
        "to": to_date,
    }
    try:
        since, until = _day("from", from_date), _day("to", to_date)
        subject = _whole_number("subject_id", subject_id)
    except InvalidInput as error:
        return render(
            request,
            "audit/log.html",
            {"filters": filters, "page": None, "error": error},
            principal=principal,
            status_code=422,
        )
    page = browse.browse_entries(
        session,
        actor=actor.strip() or None,
        action=action.strip() or None,
        subject_id=subject,
        since=_start_of(since) if since else None,
        # The "to" day is included: stop at the start of the next day.
        until=_start_of(until + timedelta(days=1)) if until else None,
        before_id=before_id,
        limit=PAGE_SIZE,
    )
    older = {k: v for k, v in filters.items() if v} | (
        {"before_id": str(page.older_before_id)} if page.older_before_id else {}
    )
    return render(
        request,
        "audit/log.html",
        {"filters": filters, "page": page, "error": None, "older": older},
        principal=principal,
    )


@router.post("/audit/verify")
def verify(
    request: Request, session: SessionDep, _reader: AuditReader, principal: CheckedReader
) -> Response:
    report = audit_service.verify_chain(session)
    return render(request, "audit/verify.html", {"report": report}, principal=principal)
