"""The DPO's exports to recipients (/exports): choose a recipient and a purpose, then the
categories (only those the export may hold are offered), the subjects and the format, and
download the file; the log of past exports and each one's subjects (recipient_exports/)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from dataskydd.auth.access import Permission
from dataskydd.errors import AccessRefused, InvalidInput
from dataskydd.policy.schema import Policy
from dataskydd.recipient_exports import scope
from dataskydd.recipient_exports import service as export_service
from dataskydd.recipient_exports.models import ExportFormat
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, StaffPrincipal, requires
from dataskydd.web.deps import verify_csrf as verify_staff_csrf
from dataskydd.web.params import Line, RowId, Text
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[StaffPrincipal, Depends(requires(Permission.RECIPIENTS_MANAGE))]
Checked = Annotated[StaffPrincipal, Depends(verify_staff_csrf)]
Key = Annotated[Line, Form(max_length=40)]
# The page's body limit (64 KiB) bounds it first; this names the field when it is not.
MAX_SELECTION_CHARS = 60_000
_CHUNK = 64 * 1024
_MEDIA = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSON: "application/json"}


def _titles(policy: Policy) -> dict[str, str]:
    lang = i18n.current_language.get()
    return {key: category.title.get(lang) for key, category in policy.categories.items()}


def _page(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    *,
    recipient: str = "",
    purpose: str = "",
    form: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    choices = export_service.choices(policy, principal.context)
    chosen = next((c for c in choices if c.recipient.key == recipient), None)
    categories = chosen.purposes.get(purpose) if chosen else None
    lang = i18n.current_language.get()
    context = {
        "choices": choices,
        "chosen": chosen,
        "purpose": purpose if categories else "",
        "categories": categories or (),
        "category_titles": _titles(policy),
        "purpose_titles": {k: p.title.get(lang) for k, p in policy.purposes.items()},
        "recipient_names": {r.key: r.name for r in policy.recipients},
        "exports": export_service.recent_exports(session, principal.context, limit=50),
        "form": form or {},
        "formats": [f.value for f in ExportFormat],
        "error": error,
    }
    return render(
        request, "recipient_exports.html", context, principal=principal, status_code=status_code
    )


@router.get("/exports")
def exports_page(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Manager,
    recipient: Annotated[Line, Query(max_length=40)] = "",
    purpose: Annotated[Line, Query(max_length=40)] = "",
) -> Response:
    return _page(request, session, policy, principal, recipient=recipient, purpose=purpose)


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(_CHUNK):
            yield chunk
    finally:
        handle.close()


@router.post("/exports")
def create_export(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    recipient: Key,
    purpose: Key,
    subjects: Annotated[Text, Form(max_length=MAX_SELECTION_CHARS)],
    fmt: Annotated[ExportFormat, Form(alias="format")],
    categories: Annotated[list[Line] | None, Form(max_length=50)] = None,
) -> Response:
    form = {"subjects": subjects, "format": fmt.value, "categories": categories or []}
    # Written to a temporary file first: the log row needs the file's hash before the
    # download starts, and memory stays flat however large the export is.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _chunks or on failure)
    try:
        order = export_service.ExportOrder(
            recipient=recipient,
            purpose=purpose,
            subject_ids=scope.parse_subject_ids(subjects),
            categories=[c for c in categories or [] if c] or None,
            format=fmt,
        )
        export = export_service.create_export(
            session, policy=policy, caller=principal.context, order=order, out=handle
        )
    except (InvalidInput, AccessRefused) as problem:
        handle.close()
        # A refusal's audit rows are kept: the page is an answer, not an error to roll back.
        status = 422 if isinstance(problem, InvalidInput) else problem.status_code
        return _page(
            request,
            session,
            policy,
            principal,
            recipient=recipient,
            purpose=purpose,
            form=form,
            error=problem.message,
            status_code=status,
        )
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    name = f"export-{export.id}-{export.recipient}.{export.format.value}"
    return StreamingResponse(
        _chunks(handle),
        media_type=_MEDIA[export.format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(export.size_bytes),
            "Cache-Control": "no-store",
            "X-Export-Sha256": export.sha256,
        },
    )


@router.get("/exports/{export_id}")
def export_detail(
    request: Request, session: SessionDep, policy: PolicyDep, principal: Manager, export_id: RowId
) -> Response:
    detail = export_service.export_detail(session, principal.context, export_id)
    lang = i18n.current_language.get()
    context = {
        "detail": detail,
        "category_titles": _titles(policy),
        "purpose_titles": {k: p.title.get(lang) for k, p in policy.purposes.items()},
        "recipient_names": {r.key: r.name for r in policy.recipients},
    }
    return render(request, "recipient_exports_detail.html", context, principal=principal)
