"""The register of recipients' agreements (/recipients, docs/recipients.md): every recipient
with its status, one recipient's agreement history and findings, the form that records a new
agreement with its PDF, and the document's download. DPO and admins only
(`recipients.manage`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dataskydd.auth.access import Permission
from dataskydd.clock import today_in_sweden
from dataskydd.config import Settings
from dataskydd.errors import InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy import labels
from dataskydd.policy.schema import KEY_PATTERN, Policy, TransferMechanism
from dataskydd.recipients import agreements, documents, overview
from dataskydd.recipients.agreements import AgreementInput, parse_day
from dataskydd.recipients.findings import Thresholds
from dataskydd.web import i18n
from dataskydd.web.body_limits import PAGE_BODY_LIMIT
from dataskydd.web.deps import PolicyDep, SessionDep, SettingsDep, StaffPrincipal, requires
from dataskydd.web.deps import verify_csrf as verify_staff_csrf
from dataskydd.web.params import Line, RowId
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[StaffPrincipal, Depends(requires(Permission.RECIPIENTS_MANAGE))]
Checked = Annotated[StaffPrincipal, Depends(verify_staff_csrf)]
RecipientKey = Annotated[Line, Path(max_length=40, pattern=KEY_PATTERN)]
DateField = Annotated[Line, Form(max_length=10)]
UPLOAD_PREFIX = "/recipients/"


def upload_limit(settings: Settings) -> tuple[str, int]:
    """The body limit (web/body_limits.py) of the upload form: the largest document the
    settings allow plus a form's worth for the other fields and the multipart framing."""
    return UPLOAD_PREFIX, settings.recipient_document_max_bytes + PAGE_BODY_LIMIT


def _limits(settings: Settings) -> Thresholds:
    return overview.thresholds(settings, today_in_sweden())


def _by(principal: StaffPrincipal) -> str:
    return f"staff:{principal.user.username}"


def reviews_due(session: Session, policy: Policy, settings: Settings) -> int:
    """For the DPO's start page: recipients whose review is overdue or due soon."""
    return overview.reviews_due(session, policy, _limits(settings))


@router.get("/recipients")
def recipient_list(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    principal: Manager,
) -> Response:
    states = overview.recipient_states(session, policy, _limits(settings))
    lang = i18n.current_language.get()
    roles = {r.key: labels.recipient_role_singular(r.role, lang) for r in policy.recipients}
    context = {"states": states, "roles": roles}
    return render(request, "recipients.html", context, principal=principal)


def _detail(
    request: Request,
    session: Session,
    policy: Policy,
    settings: Settings,
    principal: StaffPrincipal,
    key: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    state = overview.recipient_state(session, policy, key, _limits(settings))
    if state is None:
        raise NotFound(Msg("no recipient '{key}'", key=key))
    past = agreements.history(session, key)
    document_ids = {a.document_id for a in past if a.document_id is not None}
    lang = i18n.current_language.get()
    context: dict[str, Any] = {
        "state": state,
        "history": past,
        "documents": agreements.documents_of(session, document_ids),
        "category_titles": {k: c.title.get(lang) for k, c in policy.categories.items()},
        "role": labels.recipient_role_singular(state.recipient.role, lang)
        if state.recipient
        else None,
        "country": labels.country(state.recipient.country, lang) if state.recipient else None,
        "mechanisms": [
            m.value for m in TransferMechanism if m is not TransferMechanism.PRIVACY_SHIELD
        ],
        "max_bytes": settings.recipient_document_max_bytes,
        "lang": lang,
        "error": error,
    }
    return render(
        request, "recipients_detail.html", context, principal=principal, status_code=status_code
    )


@router.get("/recipients/{key}")
def recipient_detail(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    principal: Manager,
    key: RecipientKey,
) -> Response:
    return _detail(request, session, policy, settings, principal, key)


def _mechanism(value: str) -> TransferMechanism | None:
    if not value:
        return None
    try:
        return TransferMechanism(value)
    except ValueError:
        raise InvalidInput("transfer_mechanism", Msg("is not a transfer mechanism")) from None


def _module(value: str) -> int | None:
    if not value:
        return None
    if value not in ("1", "2", "3", "4"):
        raise InvalidInput("scc_module", Msg("must be 1, 2, 3 or 4"))
    return int(value)


def _document(upload: UploadFile | None, limit: int) -> documents.CheckedDocument | None:
    if upload is None or (not upload.filename and not upload.size):
        return None  # the form's file field left empty
    documents.check_size(upload.size, limit)
    # Already spooled by the form parser, within the body limit; read at most one byte more.
    content = upload.file.read(limit + 1)
    return documents.check_document(content, file_name=upload.filename, limit=limit)


@router.post("/recipients/{key}/agreements")
def record_agreement(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    _manager: Manager,
    principal: Checked,
    key: RecipientKey,
    signed_on: DateField,
    review_on: DateField,
    categories: Annotated[list[Line], Form(max_length=100)] = [],  # noqa: B006 - FastAPI copies
    country: Annotated[Line, Form(max_length=2)] = "",
    transfer_mechanism: Annotated[Line, Form(max_length=20)] = "",
    dpf_checked_on: DateField = "",
    scc_module: Annotated[Line, Form(max_length=2)] = "",
    scc_signed_on: DateField = "",
    tia_reference: Annotated[Line, Form(max_length=120)] = "",
    document: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        checked = _document(document, settings.recipient_document_max_bytes)
        data = AgreementInput(
            signed_on=_required(signed_on, "signed_on"),
            review_on=_required(review_on, "review_on"),
            categories=tuple(categories),
            country=country or None,
            transfer_mechanism=_mechanism(transfer_mechanism),
            dpf_checked_on=parse_day(dpf_checked_on, "dpf_checked_on"),
            scc_module=_module(scc_module),
            scc_signed_on=parse_day(scc_signed_on, "scc_signed_on"),
            tia_reference=tia_reference or None,
        )
        agreements.record_agreement(
            session,
            policy=policy,
            recipient_key=key,
            data=data,
            document=checked,
            by=_by(principal),
        )
    except InvalidInput as problem:
        # Nothing was written: the service checks everything before it stores anything.
        return _detail(
            request,
            session,
            policy,
            settings,
            principal,
            key,
            error=problem.message,
            status_code=422,
        )
    return RedirectResponse(f"/recipients/{key}", status_code=303)


def _required(value: str, field: str) -> Any:
    day = parse_day(value, field)
    if day is None:
        raise InvalidInput(field, Msg("is required (YYYY-MM-DD)"))
    return day


@router.get("/recipients/{key}/agreements/{agreement_id}/document")
def download_document(
    session: SessionDep, principal: Manager, key: RecipientKey, agreement_id: RowId
) -> Response:
    found = agreements.agreement_document(
        session, recipient_key=key, agreement_id=agreement_id, by=_by(principal)
    )
    return Response(
        content=found.content,
        media_type=found.content_type,
        headers={
            # Never inline: the browser saves the file instead of rendering it here.
            "Content-Disposition": _disposition(found.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def _disposition(name: str) -> str:
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
