"""Subjects over JSON: search, a purpose-stated read, create and rectify. Auth by API key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.datamap import search as subject_search
from dataskydd.datamap import subject_view, writes
from dataskydd.register.schemas import SubjectCreate, SubjectMatch, SubjectUpdate
from dataskydd.web.deps import PolicyDep, SessionDep, api_requires
from dataskydd.web.params import Line, RowId

router = APIRouter(prefix="/subjects", tags=["subjects"])

Searcher = Annotated[AccessContext, Depends(api_requires(Permission.SUBJECT_SEARCH))]
Reader = Annotated[AccessContext, Depends(api_requires(Permission.SUBJECT_READ))]
Writer = Annotated[AccessContext, Depends(api_requires(Permission.SUBJECT_WRITE))]


class TableRowsOut(BaseModel):
    table: str
    total: int
    rows: list[dict[str, Any]]


class CategoryOut(BaseModel):
    category: str
    title: str
    purpose: str
    legal_basis: str
    retention: str
    tables: list[TableRowsOut]


class SubjectViewOut(BaseModel):
    subject_id: int
    name: str
    purpose: str
    categories: list[CategoryOut]
    withheld_categories: list[str]
    withheld_reasons: dict[str, str]


class SubjectCreated(BaseModel):
    id: int


class SubjectChanged(BaseModel):
    id: int
    changed: list[str]


@router.get("", response_model=list[SubjectMatch], summary="Find subjects")
def search_subjects(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Searcher,
    q: Annotated[Line, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[SubjectMatch]:
    """Only subjects and fields the key's purposes may show; aggregate-only keys cannot search."""
    return subject_search.find_subjects(session, policy=policy, caller=ctx, query=q, limit=limit)


@router.get("/{subject_id}", response_model=SubjectViewOut, summary="Read one subject")
def read_subject(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Reader,
    subject_id: RowId,
    purpose: Annotated[Line, Query(min_length=1, max_length=64)],
    category: Annotated[list[Line] | None, Query(max_length=30)] = None,
    case: Annotated[Line | None, Query(max_length=40)] = None,
    lang: Literal["sv", "en"] = "sv",
) -> dict[str, Any]:
    """Only what the access decision allows: the key must be scoped to `purpose`, the policy
    must let it use each category, and the subject's consent, objections and restrictions
    apply. A refusal is 403 with the reason, and is audited like an allowed read."""
    view = subject_view.show_subject(
        session,
        caller=ctx,
        policy=policy,
        subject_id=subject_id,
        purpose=purpose,
        categories=category,
        case=case,
        lang=lang,
    )
    return view.as_dict()


@router.post("", status_code=201, response_model=SubjectCreated, summary="Create a subject")
def create_subject(
    session: SessionDep, policy: PolicyDep, ctx: Writer, body: SubjectCreate, response: Response
) -> SubjectCreated:
    subject = writes.create_subject(session, policy=policy, caller=ctx, data=body)
    response.headers["Location"] = f"/api/v1/subjects/{subject.id}"
    return SubjectCreated(id=subject.id)


@router.patch("/{subject_id}", response_model=SubjectChanged, summary="Rectify a subject")
def update_subject(
    session: SessionDep, policy: PolicyDep, ctx: Writer, subject_id: RowId, body: SubjectUpdate
) -> SubjectChanged:
    changed = writes.update_subject(
        session, policy=policy, caller=ctx, subject_id=subject_id, changes=body
    )
    return SubjectChanged(id=subject_id, changed=changed)
