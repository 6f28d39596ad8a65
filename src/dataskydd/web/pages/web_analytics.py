"""Web analytics for staff (analyst and up): k-anonymous charts with their numbers beside.

/analytics/overview is the analyst's summary over a preset or custom period (web_stats, read
from the daily rollups), with every table downloadable as CSV and JSON; the other pages are
the detailed reports of web_reports.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from dataskydd.analytics import charts, web_reports, web_stats
from dataskydd.auth.access import Permission
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, StaffPrincipal, requires
from dataskydd.web.params import Line
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Analyst = Annotated[StaffPrincipal, Depends(requires(Permission.STATISTICS_READ))]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


def _page(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    *,
    report: str,
    start: date | None,
    end: date | None,
) -> Response:
    result = web_reports.build_web_report(
        session, principal.context, policy=policy, report=report, start=start, end=end
    )
    return render(
        request,
        f"analytics/{report}.html",
        {
            "report": result,
            "charts": charts,
            "current": report,
            "weekdays": [i18n.gettext_(day) for day in web_reports.WEEKDAYS],
            "translate": i18n.gettext_,
        },
        principal=principal,
    )


@router.get("/analytics")
def traffic(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="traffic", start=start, end=end)


@router.get("/analytics/times")
def busy_times(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="times", start=start, end=end)


@router.get("/analytics/paths")
def navigation(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="paths", start=start, end=end)


@router.get("/analytics/visits")
def visit_lengths(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="visits", start=start, end=end)


@router.get("/analytics/campaigns")
def campaigns(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="campaigns", start=start, end=end)


# The overview's sections: which tables each shows.
SECTIONS: dict[str, tuple[str, ...]] = {
    "sources": ("referrers", "utm_sources", "utm_mediums", "utm_campaigns", "pixel_campaigns"),
    "devices": ("devices", "browsers"),
    "pages": ("pages", "entry_pages", "exit_pages"),
    "times": ("hours", "weekdays", "visit_lengths"),
}
Preset = Annotated[Line | None, Query(max_length=20)]
Section = Annotated[Line | None, Query(max_length=20)]

TableName = StrEnum("TableName", {key: key for key in web_stats.TABLES})  # type: ignore[misc]


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _label_of(label: str) -> str:
    return i18n.gettext_(label) if label in web_stats.FIXED_LABELS else label


@router.get("/analytics/overview")
def overview(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    preset: Preset = None,
    start: From = None,
    end: To = None,
    section: Section = None,
) -> Response:
    chosen = web_stats.period(preset or None, start, end)
    section = section or "sources"
    if section not in SECTIONS:
        raise InvalidInput("section", Msg("must be one of {values}", values=", ".join(SECTIONS)))
    reports = web_stats.open_reports(
        session, policy, principal.context, chosen, what=f"overview:{section}"
    )
    lang = i18n.current_language.get()
    return render(
        request,
        "analytics/overview.html",
        {
            "summary": reports.summary(),
            "tables": [reports.table(key) for key in SECTIONS[section]],
            "grid": reports.weekday_hours() if section == "times" else None,
            "chosen": chosen,
            "section": section,
            "sections": list(SECTIONS),
            "presets": web_stats.PRESETS,
            "charts": charts,
            "num": partial(charts.number, lang=lang),
            "weekdays": [i18n.gettext_(day) for day in web_stats.WEEKDAYS],
            "label_of": _label_of,
            "current": "overview",
        },
        principal=principal,
    )


@router.get("/analytics/export/{table}")
def export(
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    table: TableName,
    format: ExportFormat = ExportFormat.CSV,
    preset: Preset = None,
    start: From = None,
    end: To = None,
) -> Response:
    """One table of the overview as a file: CSV (a suppressed figure is "< k") or JSON."""
    chosen = web_stats.period(preset or None, start, end)
    reports = web_stats.open_reports(
        session, policy, principal.context, chosen, what=f"export:{table.value}"
    )
    result = reports.table(table.value)
    name = f"{table.value}_{chosen.start}_{chosen.end}.{format.value}"
    disposition = {"content-disposition": f'attachment; filename="{name}"'}
    if format is ExportFormat.JSON:
        body = json.dumps(web_stats.to_json(result), ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json", headers=disposition)
    return Response(
        web_stats.to_csv(result), media_type="text/csv; charset=utf-8", headers=disposition
    )
