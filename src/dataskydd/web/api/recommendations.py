"""A subject's personal recommendations for the company's viewing service (issue 16): computed
per request through the access decision, so an objection stops them at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.recommendations import serving
from dataskydd.web.deps import PolicyDep, SessionDep, api_requires
from dataskydd.web.params import Line, RowId

router = APIRouter(prefix="/subjects", tags=["recommendations"])

Reader = Annotated[AccessContext, Depends(api_requires(Permission.SUBJECT_READ))]


class RecommendationOut(BaseModel):
    title: str
    score: float
    because: str
    reason: str


class ModelOut(BaseModel):
    training_id: int
    trained_at: datetime


class RecommendationsOut(BaseModel):
    subject_id: int
    purpose: str
    model: ModelOut | None
    items: list[RecommendationOut]


@router.get(
    "/{subject_id}/recommendations",
    response_model=RecommendationsOut,
    summary="A subject's personal recommendations",
)
def recommendations(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Reader,
    subject_id: RowId,
    purpose: Annotated[Line, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=serving.MAX_LIMIT)] = 10,
    lang: Literal["sv", "en"] = "sv",
) -> dict[str, Any]:
    """Titles the subject has not watched, most similar first to what they watched recently,
    each with the watched title it comes from (`because`) and a reason in `lang`. `purpose`
    must be the policy's recommendations purpose and the key scoped to it. A subject who
    objected, or whose viewing is restricted, gets a 403 with the reason from that moment:
    nothing is kept per subject. `model` is null until a model has been trained (`items`
    then empty)."""
    found = serving.recommend(
        session,
        policy,
        ctx,
        subject_id=subject_id,
        purpose=purpose,
        limit=limit,
        lang=lang,
    )
    return found.as_dict()
