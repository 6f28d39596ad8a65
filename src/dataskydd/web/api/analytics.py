"""Web analytics over JSON (issue 14): the top-line figures and every table of the analyst's
overview, k-anonymous, for a preset or a custom period (analytics/web_stats.py).

A key reads them only if its purposes include the policy's statistics purpose (the
aggregate-only purpose the web analytics reports are made under, `system_purposes`): the
access decision (`decide_aggregate`) refuses any other key with a 403 and audits it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from dataskydd.analytics import web_stats
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.web.deps import PolicyDep, SessionDep, api_requires

router = APIRouter(prefix="/analytics", tags=["web analytics"])

# Every key that may read holds STATISTICS_READ; the purpose decides, in open_reports.
Reader = Annotated[AccessContext, Depends(api_requires(Permission.STATISTICS_READ))]

PresetName = StrEnum("PresetName", {key: key for key in web_stats.PRESETS})  # type: ignore[misc]
TableName = StrEnum("TableName", {key: key for key in web_stats.TABLES})  # type: ignore[misc]

PresetQuery = Annotated[
    PresetName | None,
    Query(
        description="A period ending today (Swedish date): today, 7d, 30d, this_month, "
        "last_month or 12m. Without it and without from/to: 30d."
    ),
]
FromQuery = Annotated[
    date | None,
    Query(alias="from", description="First day of a custom period (YYYY-MM-DD); not with preset."),
]
ToQuery = Annotated[
    date | None,
    Query(alias="to", description="Last day of a custom period, at most today; default today."),
]


class FigureOut(BaseModel):
    value: float | None
    previous: float | None
    change: float | None


class SummaryOut(BaseModel):
    """Top-line figures over the period and the one of the same length before it. A figure
    from fewer than k visitors is null."""

    from_: date = Field(alias="from")
    to: date
    previous_from: date
    previous_to: date
    k: int
    visitor_days: FigureOut
    visits: FigureOut
    views: FigureOut
    bounce_rate: FigureOut
    average_seconds: FigureOut


class TableOut(BaseModel):
    """One table: a row per value with the table's figures; a suppressed row's figures are
    null, and ranked tables leave rows under k out (`hidden_rows` counts them)."""

    table: str
    from_: date = Field(alias="from")
    to: date
    k: int
    figures: list[str]
    rows: list[dict[str, Any]]
    hidden_rows: int


def _period(preset: PresetName | None, start: date | None, end: date | None) -> web_stats.Period:
    return web_stats.period(preset.value if preset else None, start, end)


@router.get("/summary", response_model=SummaryOut, summary="Top-line web analytics figures")
def summary(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Reader,
    preset: PresetQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> SummaryOut:
    """Visitor-days, visits, page views, bounce rate and average visit length, with the
    change in percent against the previous period of the same length."""
    chosen = _period(preset, start, end)
    reports = web_stats.open_reports(session, policy, ctx, chosen, what="api:summary")
    data = web_stats.summary_json(reports.summary())
    return SummaryOut.model_validate(data)


@router.get("/tables/{table}", response_model=TableOut, summary="One web analytics table")
def table(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Reader,
    table: TableName,
    preset: PresetQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> TableOut:
    """Referrers, utm sources/media/campaigns, the pixel's campaigns, devices, browsers,
    pages, entry and exit pages, hours, weekdays or visit lengths."""
    chosen = _period(preset, start, end)
    reports = web_stats.open_reports(session, policy, ctx, chosen, what=f"api:{table.value}")
    data = web_stats.to_json(reports.table(table.value))
    return TableOut.model_validate(data)
