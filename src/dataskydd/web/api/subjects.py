"""Subjects over JSON: search, a purpose-stated read, create and rectify. Auth by API key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.datamap import subject_view
from dataskydd.register import service as register_service
from dataskydd.register.schemas import SubjectCreate, SubjectMatch, SubjectUpdate
from dataskydd.web.deps import PolicyDep, SessionDep, api_requires

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


class SubjectCreated(BaseModel):
    id: int


class SubjectChanged(BaseModel):
    id: int
    changed: list[str]


@router.get("", response_model=list[SubjectMatch], summary="Find subjects")
def search_subjects(
    session: SessionDep,
    ctx: Searcher,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[SubjectMatch]:
    return register_service.find_subjects(session, actor=ctx.actor, query=q, limit=limit)


@router.get("/{subject_id}", response_model=SubjectViewOut, summary="Read one subject")
def read_subject(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Reader,
    subject_id: int,
    purpose: Annotated[str, Query(min_length=1, max_length=64)],
    category: Annotated[list[str] | None, Query(max_length=30)] = None,
    lang: Literal["sv", "en"] = "sv",
) -> dict[str, Any]:
    """Only the categories the policy lets `purpose` use; the key must be scoped to it."""
    policy.purpose(purpose)  # an unknown purpose is 404 before the key's scope is judged
    ctx.require_purpose(purpose)
    view = subject_view.show_subject(
        session,
        actor=ctx.actor,
        policy=policy,
        subject_id=subject_id,
        purpose=purpose,
        categories=category,
        lang=lang,
    )
    return view.as_dict()


@router.post("", status_code=201, response_model=SubjectCreated, summary="Create a subject")
def create_subject(
    session: SessionDep, ctx: Writer, body: SubjectCreate, response: Response
) -> SubjectCreated:
    subject = register_service.create_subject(session, actor=ctx.actor, data=body)
    response.headers["Location"] = f"/api/v1/subjects/{subject.id}"
    return SubjectCreated(id=subject.id)


@router.patch("/{subject_id}", response_model=SubjectChanged, summary="Rectify a subject")
def update_subject(
    session: SessionDep, ctx: Writer, subject_id: int, body: SubjectUpdate
) -> SubjectChanged:
    changed = register_service.update_subject(
        session, actor=ctx.actor, subject_id=subject_id, changes=body
    )
    return SubjectChanged(id=subject_id, changed=changed)
