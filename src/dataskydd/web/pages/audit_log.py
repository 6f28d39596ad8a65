"""The audit log for the DPO and admins: filtered reading and verification of the hash chain
(accountability, GDPR art. 5(2))."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from dataskydd.audit import browse
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import Permission
from dataskydd.clock import SWEDEN, utc_now
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.recipient_exports.cells import csv_cell
from dataskydd.web import i18n
from dataskydd.web.deps import SessionDep, StaffPrincipal, requires, verify_csrf
from dataskydd.web.params import MAX_ROW_ID, Line, QueryRowId
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext_

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
        raise InvalidInput(field, Msg("is not a date (YYYY-MM-DD)")) from None


def _whole_number(field: str, value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value.strip()) > MAX_ROW_ID:
        raise InvalidInput(
            field, Msg("is not a whole number from 0 to {MAX_ROW_ID}", MAX_ROW_ID=MAX_ROW_ID)
        )
    return int(value.strip())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SWEDEN)


def event_labels() -> dict[str, dict[str, str]]:
    """Words for the log's event codes, in the page's language: the areas (the code's first
    part) and the events people look for most. A code without words is shown as it is."""
    return {
        "areas": {
            "subject.": _("Register: subjects"),
            "subject_request.": _("Requests from subjects"),
            "auth.": _("Sign-in and accounts"),
            "api_key.": _("API keys"),
            "consent.": _("Consent"),
            "verification.": _("Identity checks"),
            "register.": _("Register"),
            "retention.": _("Retention"),
            "hold.": _("Legal holds"),
            "breach.": _("Breaches"),
            "disclosure.": _("Disclosures to authorities"),
            "recipient.": _("Recipients and agreements"),
            "recipient_export.": _("Exports to recipients"),
            "outbox.": _("Outbox"),
            "statistics.": _("Statistics"),
            "web_analytics.": _("Web analytics"),
            "audit.": _("Audit log"),
            "demo.": _("Demo data"),
        },
        "events": {
            "subject.show": _("Opened a subject"),
            "subject.find": _("Searched the register"),
            "subject.create": _("Added a subject"),
            "subject.update": _("Changed a subject's details"),
            "subject.erase": _("Erased a subject"),
            "subject.export": _("Exported a subject's data"),
            "subject.read": _("Read a subject's data"),
            "subject.restrict": _("Restricted processing"),
            "subject.object": _("Objection recorded"),
            "subject.object.withdraw": _("Objection withdrawn"),
            "subject.object.override": _("Compelling grounds recorded"),
            "subject.show.refused": _("Refused: opening a subject"),
            "subject.read.refused": _("Refused: reading a subject's data"),
            "subject.sign_in": _("Subject signed in to Mina sidor"),
            "subject.sign_out": _("Subject signed out of Mina sidor"),
            "subject_request.open": _("Request registered"),
            "subject_request.show": _("Opened a request"),
            "subject_request.list": _("Listed the request queue"),
            "subject_request.extend": _("Request extended"),
            "subject_request.complete": _("Request completed"),
            "subject_request.refuse": _("Request refused"),
            "subject_request.download": _("Registerutdrag downloaded"),
            "subject_request.remind": _("Reminder of due requests"),
            "auth.login": _("Signed in"),
            "auth.login_failed": _("Sign-in failed"),
            "auth.session_timeout": _("Signed out after inactivity"),
            "auth.password_changed": _("Password changed"),
            "auth.password_change_failed": _("Password change failed"),
            "auth.password_reset": _("Password reset by an administrator"),
            "auth.staff_created": _("Staff account created"),
            "auth.role_changed": _("Role changed"),
            "auth.activated": _("Account activated"),
            "auth.deactivated": _("Account deactivated"),
            "auth.totp_enabled": _("Two-step verification turned on"),
            "auth.totp_disabled": _("Two-step verification turned off"),
            "api_key.create": _("API key created"),
            "api_key.revoke": _("API key revoked"),
            "consent.give": _("Consent given"),
            "consent.withdraw": _("Consent withdrawn"),
            "retention.run": _("Retention run"),
            "retention.erase": _("Erased by retention"),
            "hold.place": _("Legal hold placed"),
            "hold.lift": _("Legal hold lifted"),
            "breach.record": _("Breach recorded"),
            "breach.imy_notified": _("IMY notified of a breach"),
            "breach.subjects_notified": _("Subjects told of a breach"),
            "disclosure.record": _("Disclosure recorded"),
            "disclosure.handover": _("Data handed over to an authority"),
            "audit.export": _("Audit log exported"),
        },
    }


def _event_label(labels: dict[str, dict[str, str]], code: str) -> str:
    if code in labels["events"]:
        return labels["events"][code]
    area = next((v for k, v in labels["areas"].items() if code.startswith(k)), None)
    return f"{area}: {code}" if area else code


@dataclass(frozen=True)
class _Filters:
    actor: str
    action: str
    subject_id: str
    from_date: str
    to_date: str

    def shown(self) -> dict[str, str]:
        return {
            "actor": self.actor,
            "action": self.action,
            "subject_id": self.subject_id,
            "from": self.from_date,
            "to": self.to_date,
        }

    def query(self) -> dict[str, Any]:
        """browse_entries' arguments; InvalidInput names the field that is wrong."""
        since, until = _day("from", self.from_date), _day("to", self.to_date)
        return {
            "actor": self.actor.strip() or None,
            "action": self.action.strip() or None,
            "subject_id": _whole_number("subject_id", self.subject_id),
            "since": _start_of(since) if since else None,
            # The "to" day is included: stop at the start of the next day.
            "until": _start_of(until + timedelta(days=1)) if until else None,
        }


def _filters(
    actor: Filter = "",
    action: Filter = "",
    subject_id: Filter = "",
    from_date: Annotated[Line, Query(alias="from", max_length=20)] = "",
    to_date: Annotated[Line, Query(alias="to", max_length=20)] = "",
) -> _Filters:
    return _Filters(actor, action, subject_id, from_date, to_date)


Filters = Annotated[_Filters, Depends(_filters)]


def _log_page(
    request: Request,
    principal: StaffPrincipal,
    filters: _Filters,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    labels = event_labels()
    return render(
        request,
        "audit/log.html",
        {
            "filters": filters.shown(),
            "areas": labels["areas"],
            "events": sorted(labels["events"].items(), key=lambda item: item[1]),
            "label": lambda code: _event_label(labels, code),
            **context,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/audit")
def audit_log(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    filters: Filters,
    before_id: QueryRowId = None,
) -> Response:
    try:
        query = filters.query()
    except InvalidInput as error:
        return _log_page(
            request, principal, filters, {"page": None, "error": error}, status_code=422
        )
    page = browse.browse_entries(session, **query, before_id=before_id, limit=PAGE_SIZE)
    older = {k: v for k, v in filters.shown().items() if v} | (
        {"before_id": str(page.older_before_id)} if page.older_before_id else {}
    )
    export = {k: v for k, v in filters.shown().items() if v}
    return _log_page(
        request,
        principal,
        filters,
        {"page": page, "error": None, "older": older, "export": export},
    )


EXPORT_BATCH = 1000
SPOOL_IN_MEMORY = 1024 * 1024
_EXPORT_COLUMNS = ("id", "at", "actor", "action", "event", "subject_id", "purpose", "detail")


@router.get("/audit/export.csv")
def export_csv(
    request: Request, session: SessionDep, principal: AuditReader, filters: Filters
) -> Response:
    """Every entry the filter matches, newest first, as CSV: read in keyset batches, cells
    safe from spreadsheet formulas. The export is itself an entry of the log."""
    try:
        query = filters.query()
    except InvalidInput as error:
        return _log_page(
            request, principal, filters, {"page": None, "error": error}, status_code=422
        )
    audit_service.record(
        session,
        actor=principal.context.actor,
        action="audit.export",
        detail={"filters": sorted(k for k, v in filters.shown().items() if v)},
    )
    labels = event_labels()
    # Written within the request's own transaction (one consistent view of the log) to a
    # spooled file: memory stays flat for a log of any size; the file is sent, then removed.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(_EXPORT_COLUMNS)
    before: int | None = None
    while True:
        page = browse.browse_entries(session, **query, before_id=before, limit=EXPORT_BATCH)
        for entry in page.entries:
            writer.writerow(
                csv_cell(value)
                for value in (
                    entry.id,
                    entry.at,
                    entry.actor,
                    entry.action,
                    _event_label(labels, entry.action),
                    entry.subject_id,
                    entry.purpose,
                    json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
                )
            )
        if page.older_before_id is None:
            break
        before = page.older_before_id
    text.flush()
    text.detach()
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := spool.read(64 * 1024):
                yield chunk
        finally:
            spool.close()

    stamp = utc_now().astimezone(SWEDEN).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/audit/verify")
def verify(
    request: Request, session: SessionDep, _reader: AuditReader, principal: CheckedReader
) -> Response:
    report = audit_service.verify_chain(session)
    return render(request, "audit/verify.html", {"report": report}, principal=principal)
