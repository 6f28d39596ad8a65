"""The log of disclosures to authorities (/disclosures) for `disclosures.manage`: the list, the
form to record one, a disclosure's page and the lifting of its confidentiality
(disclosures/, docs/disclosures.md). Thin: each handler calls one service function."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dataskydd.auth.access import Permission
from dataskydd.disclosures import handover, service
from dataskydd.disclosures.models import AuthorityKind
from dataskydd.errors import Conflict, InvalidInput
from dataskydd.policy.schema import Policy
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, StaffPrincipal, requires
from dataskydd.web.deps import verify_csrf as verify_staff_csrf
from dataskydd.web.params import Line, QueryRowId, RowId, Text
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[StaffPrincipal, Depends(requires(Permission.DISCLOSURES_MANAGE))]
Checked = Annotated[StaffPrincipal, Depends(verify_staff_csrf)]
_ = i18n.gettext_

# The labels of the form's fields, for errors that name them (sv through the catalogue).
FIELDS = {
    "authority": "Authority",
    "authority_kind": "Kind of authority",
    "legal_ground": "Legal ground cited",
    "reference": "Their reference",
    "categories": "Data handed over",
    "description": "Description",
    "subjects": "Subject ids",
    "requested_on": "Requested on",
    "handed_over_on": "Handed over on",
    "confidential": "Confidential by law",
    "confidential_ground": "Ground for confidentiality",
    "confidential_until": "Confidential until",
    "reason": "Why the confidentiality ends",
}
KINDS = {
    AuthorityKind.COURT: "Court",
    AuthorityKind.POLICE: "Police or prosecutor",
    AuthorityKind.TAX_AGENCY: "Tax agency",
    AuthorityKind.OTHER: "Other authority",
}


def _titles(policy: Policy) -> dict[str, str]:
    lang = i18n.current_language.get()
    return {key: category.title.get(lang) for key, category in policy.categories.items()}


def _problems(problem: InvalidInput) -> list[str]:
    return [f"{_(FIELDS.get(field, field))}: {_(reason)}" for field, reason in problem.problems]


def _list_page(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    *,
    subject_id: int | None = None,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    total, found = service.list_disclosures(session, principal.context, subject_id=subject_id)
    context = {
        "disclosures": found,
        "total": total,
        "subject_id": subject_id,
        "secret": {d.id for d in found if service.is_confidential(d)},
        "category_titles": _titles(policy),
        "kinds": KINDS,
        "form": form or {},
        "errors": errors or [],
    }
    return render(
        request, "disclosures/index.html", context, principal=principal, status_code=status_code
    )


@router.get("/disclosures")
def disclosures(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Manager,
    subject: QueryRowId = None,
) -> Response:
    return _list_page(request, session, policy, principal, subject_id=subject)


@router.post("/disclosures")
def record(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    authority: Annotated[Line, Form(max_length=service.MAX_AUTHORITY)],
    authority_kind: Annotated[Line, Form(max_length=20)],
    legal_ground: Annotated[Line, Form(max_length=service.MAX_GROUND)],
    reference: Annotated[Line, Form(max_length=service.MAX_REFERENCE)],
    description: Annotated[Text, Form(max_length=service.MAX_DESCRIPTION)],
    subjects: Annotated[Line, Form(max_length=12 * service.MAX_SUBJECTS)],
    requested_on: Annotated[Line, Form(max_length=20)],
    handed_over_on: Annotated[Line, Form(max_length=20)],
    categories: Annotated[list[Line] | None, Form(max_length=100)] = None,
    confidential: Annotated[bool, Form()] = False,
    confidential_ground: Annotated[Line, Form(max_length=service.MAX_GROUND)] = "",
    confidential_until: Annotated[Line, Form(max_length=20)] = "",
) -> Response:
    draft = service.DisclosureDraft(
        authority=authority,
        authority_kind=authority_kind,
        legal_ground=legal_ground,
        reference=reference,
        categories=categories or [],
        description=description,
        subjects=subjects,
        requested_on=requested_on,
        handed_over_on=handed_over_on,
        confidential=confidential,
        confidential_ground=confidential_ground,
        confidential_until=confidential_until,
    )
    try:
        recorded = service.record_disclosure(session, principal.context, policy=policy, draft=draft)
    except InvalidInput as problem:
        # The form comes back as typed, with every problem named by its field.
        form = draft.__dict__ | {"categories": list(draft.categories)}
        return _list_page(
            request,
            session,
            policy,
            principal,
            form=form,
            errors=_problems(problem),
            status_code=422,
        )
    return RedirectResponse(f"/disclosures/{recorded.id}", status_code=303)


def _detail_page(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    disclosure_id: int,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    detail = service.get_disclosure(session, principal.context, disclosure_id)
    context = {
        "detail": detail,
        "case_purpose": _case_purpose(policy, principal),
        "d": detail.disclosure,
        "categories": service.categories_of(detail.disclosure),
        "category_titles": _titles(policy),
        "kinds": KINDS,
        "errors": errors or [],
    }
    return render(
        request, "disclosures/detail.html", context, principal=principal, status_code=status_code
    )


def _case_purpose(policy: Policy, principal: StaffPrincipal) -> str | None:
    """The purpose a subject of the disclosure is read under, when the policy has exactly one
    that needs a case and this member of staff may use it; else no link is offered."""
    try:
        purpose = handover.handover_purpose(policy, None)
    except InvalidInput:
        return None
    return purpose if principal.context.may_use(purpose) else None


@router.get("/disclosures/{disclosure_id}")
def disclosure(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Manager,
    disclosure_id: RowId,
) -> Response:
    return _detail_page(request, session, policy, principal, disclosure_id)


@router.post("/disclosures/{disclosure_id}/lift")
def lift(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    disclosure_id: RowId,
    reason: Annotated[Line, Form(max_length=service.MAX_GROUND)],
) -> Response:
    try:
        service.lift_confidentiality(
            session, principal.context, disclosure_id=disclosure_id, reason=reason
        )
    except (InvalidInput, Conflict) as problem:
        errors = _problems(problem) if isinstance(problem, InvalidInput) else [_(problem.message)]
        status = 422 if isinstance(problem, InvalidInput) else problem.status_code
        return _detail_page(
            request, session, policy, principal, disclosure_id, errors=errors, status_code=status
        )
    return RedirectResponse(f"/disclosures/{disclosure_id}", status_code=303)


@router.post("/disclosures/{disclosure_id}/handover")
def handover_file(
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    disclosure_id: RowId,
) -> Response:
    """The data the disclosure hands over, as a JSON file, read through the access decision
    with the disclosure as the case (a refusal is the usual 403 page)."""
    document = handover.build_handover(
        session,
        principal.context,
        policy=policy,
        disclosure_id=disclosure_id,
        lang=i18n.current_language.get(),
    )
    name = f"utlamnande-{disclosure_id}.json"
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{name}"'})
