"""The DPO's page of jobs (/jobs): each job of the queue with its last run, last outcome and
next run, what needs attention (failed or stuck runs, no worker), and the latest runs; the
same record as `dataskydd jobs list` (jobs/records.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from dataskydd.auth.access import Permission
from dataskydd.jobs import records
from dataskydd.jobs.tasks import default_jobs
from dataskydd.web.deps import SessionDep, SettingsDep, StaffPrincipal, requires
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

AuditReader = Annotated[StaffPrincipal, Depends(requires(Permission.AUDIT_READ))]

RECENT_RUNS = 50


@router.get("/jobs")
def jobs(
    request: Request, session: SessionDep, settings: SettingsDep, principal: AuditReader
) -> Response:
    defined = default_jobs(settings)
    context = {
        "rows": records.overview(session, defined, settings=settings),
        "problems": records.problems(session, jobs=defined),
        "runs": records.recent(session, limit=RECENT_RUNS),
        "titles": {job.name: job.title for job in defined},
    }
    return render(request, "jobs.html", context, principal=principal)
