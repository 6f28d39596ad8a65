"""Staff pages for one subject: search, state a purpose, view by category, rectify, history.

Every read of personal data goes through a service that checks the purpose against the policy
and writes the audit row; these handlers only parse, call and render.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from dataskydd.auth.access import Permission
from dataskydd.datamap import contact_details, history
from dataskydd.datamap import labels as datamap_labels
from dataskydd.datamap import purposes as purpose_service
from dataskydd.datamap import search as subject_search
from dataskydd.datamap.customer_view import MAX_PAGE, json_lines, show_customer
from dataskydd.errors import InvalidInput
from dataskydd.policy import labels
from dataskydd.policy.schema import Policy
from dataskydd.register.enums import SubjectKind
from dataskydd.subject_requests.open_requests import open_requests_of
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, StaffPrincipal, requires, verify_csrf
from dataskydd.web.pages import request_queue
from dataskydd.web.params import Line, RowId, Text
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Searcher = Annotated[StaffPrincipal, Depends(requires(Permission.SUBJECT_SEARCH))]
Reader = Annotated[StaffPrincipal, Depends(requires(Permission.SUBJECT_READ))]
Writer = Annotated[StaffPrincipal, Depends(requires(Permission.SUBJECT_WRITE))]
CheckedWriter = Annotated[StaffPrincipal, Depends(verify_csrf)]
FormText = Annotated[Line | None, Form(max_length=500)]


def _table_label(table: str) -> str:
    return datamap_labels.table_label(table, i18n.current_language.get())


def _column_label(table: str, column: str) -> str:
    return datamap_labels.column_label(table, column, i18n.current_language.get())


def _value_label(value: object) -> object:
    return datamap_labels.value_label(value, i18n.current_language.get())


def _display_value(table: str, column: str, value: object) -> object:
    return datamap_labels.display_value(table, column, value, i18n.current_language.get())


def _filled_columns(rows: list[dict[str, object]]) -> list[str]:
    """Columns with a value in some row: a private person's table has no company columns."""
    names = [name for name in (rows[0] if rows else {}) if name != "id"]
    return [name for name in names if any(row[name] not in (None, "") for row in rows)]


def _field_label(key: str) -> str:
    """A rectified field, `table.field` (contact points: `contact_point.email`)."""
    table, _, field = key.partition(".")
    if table == "contact_point":
        return str(_value_label(field))
    if datamap_labels.has_column_label(table, field):
        return _column_label(table, field)
    return field


LABELS = {
    "table_label": _table_label,
    "column_label": _column_label,
    "value_label": _value_label,
    "display_value": _display_value,
    "filled_columns": _filled_columns,
    "field_label": _field_label,
    "json_lines": json_lines,
}
_FORM_FIELD = {"address." + name: name for name in contact_details.ADDRESS_FIELDS}


def _basis_in_words(policy: Policy, purpose: str) -> str:
    return labels.legal_basis(policy.purposes[purpose].legal_basis, i18n.current_language.get())


@router.get("/subjects")
def search(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Searcher,
    q: Annotated[Line, Query(max_length=200)] = "",
) -> Response:
    matches, error = None, None
    if q.strip():
        try:
            matches = subject_search.find_subjects(
                session, policy=policy, caller=principal.context, query=q
            )
        except InvalidInput as problem:
            error = problem.message
    return render(
        request,
        "subjects/search.html",
        {"q": q, "matches": matches, "error": error},
        principal=principal,
        status_code=422 if error else 200,
    )


@router.get("/subjects/{subject_id}")
def choose_purpose(
    request: Request, session: SessionDep, policy: PolicyDep, principal: Reader, subject_id: RowId
) -> Response:
    choices = purpose_service.purposes_for_subject(
        session,
        policy=policy,
        caller=principal.context,
        subject_id=subject_id,
        lang=i18n.current_language.get(),
    )
    return render(
        request,
        "subjects/purpose.html",
        {"subject_id": subject_id, "choices": choices},
        principal=principal,
    )


@router.get("/subjects/{subject_id}/view")
def view(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Reader,
    subject_id: RowId,
    purpose: Annotated[Line, Query(min_length=1, max_length=100)],
    case: Annotated[Line | None, Query(max_length=40)] = None,
    more: Annotated[Line | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    shown = show_customer(
        session,
        caller=principal.context,
        policy=policy,
        subject_id=subject_id,
        purpose=purpose,
        case=case or None,
        lang=i18n.current_language.get(),
        more=more or None,
        page=page,
    )
    return render(
        request,
        "subjects/view.html",
        {
            "view": shown.view,
            "customer": shown,
            "summary": shown.summary,
            "overview": shown.overview,
            "open_requests": open_requests_of(session, principal.context, subject_id=subject_id),
            "request_kinds": request_queue.labels()["kind"],
            "basis": _basis_in_words(policy, shown.view.purpose),
            "base_query": _view_query(shown.view.purpose, case or None),
            **LABELS,
        },
        principal=principal,
    )


def _view_query(purpose: str, case: str | None) -> str:
    """The view's own query string, for links to further pages of a table."""
    return urlencode([("purpose", purpose)] + ([("case", case)] if case else []))


def _edit_page(
    request: Request,
    principal: StaffPrincipal,
    details: contact_details.ContactDetails,
    *,
    values: dict[str, str] | None = None,
    reason: str = "",
    error: InvalidInput | None = None,
) -> Response:
    errors: dict[str, str] = {}
    for field, why in error.problems if error else []:
        errors.setdefault(_FORM_FIELD.get(field, field), why)
    return render(
        request,
        "subjects/edit.html",
        {
            "details": details,
            "values": values if values is not None else details.values(),
            "reason": reason,
            "errors": errors,
            "is_organisation": details.kind.value == "organisation",
        },
        principal=principal,
        status_code=422 if error else 200,
    )


@router.get("/subjects/{subject_id}/edit")
def edit_form(
    request: Request, session: SessionDep, policy: PolicyDep, principal: Writer, subject_id: RowId
) -> Response:
    details = contact_details.current_contact_details(
        session, caller=principal.context, policy=policy, subject_id=subject_id
    )
    return _edit_page(request, principal, details)


@router.post("/subjects/{subject_id}/edit")
def edit(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _writer: Writer,
    principal: CheckedWriter,
    subject_id: RowId,
    kind: Annotated[Line, Form(max_length=20)] = "person",
    given_name: FormText = None,
    family_name: FormText = None,
    organisation_name: FormText = None,
    email: FormText = None,
    phone: FormText = None,
    care_of: FormText = None,
    street: FormText = None,
    postal_code: FormText = None,
    city: FormText = None,
    reason: Annotated[Text, Form(max_length=500)] = "",
) -> Response:
    submitted = {
        "given_name": given_name,
        "family_name": family_name,
        "organisation_name": organisation_name,
        "email": email,
        "phone": phone,
        "care_of": care_of,
        "street": street,
        "postal_code": postal_code,
        "city": city,
    }
    try:
        changed = contact_details.rectify_contact_details(
            session,
            caller=principal.context,
            policy=policy,
            subject_id=subject_id,
            submitted=submitted,
            reason=reason,
        )
    except InvalidInput as error:
        # update_subject validates before it writes, so nothing of this request is stored.
        details = contact_details.ContactDetails(
            subject_id=subject_id, kind=SubjectKind(_kind(kind))
        )
        return _edit_page(
            request,
            principal,
            details,
            values={k: v or "" for k, v in submitted.items()},
            reason=reason,
            error=error,
        )
    return RedirectResponse(f"/subjects/{subject_id}/history?saved={len(changed)}", status_code=303)


def _kind(value: str) -> str:
    return "organisation" if value == "organisation" else "person"


@router.get("/subjects/{subject_id}/history")
def rectification_history(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Reader,
    subject_id: RowId,
    saved: Annotated[int | None, Query(ge=0, le=100)] = None,
) -> Response:
    rows = history.list_rectifications(
        session, caller=principal.context, policy=policy, subject_id=subject_id
    )
    return render(
        request,
        "subjects/history.html",
        {"subject_id": subject_id, "rows": rows, "saved": saved, **LABELS},
        principal=principal,
    )
