"""The DPO's page of systems: every system the data map names, whether it answers, what its
map covers and what the check of policy and map finds (datamap/systems_overview.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.auth.access import Permission
from dataskydd.datamap import map_files
from dataskydd.datamap.systems_overview import systems_overview
from dataskydd.db.base import Base
from dataskydd.subject_requests import systems as request_systems
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, SettingsDep, StaffPrincipal, requires
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

AuditReader = Annotated[StaffPrincipal, Depends(requires(Permission.AUDIT_READ))]

assert ALL_MODEL_MODULES  # imported so that Base.metadata holds every register table


@router.get("/systems")
def systems(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    principal: AuditReader,
) -> Response:
    activity = request_systems.activity_by_system(session)
    overview = systems_overview(
        policy,
        map_files.configured_map_documents(settings),
        settings,
        register_metadata=Base.metadata,
        lang=i18n.current_language.get(),
        last_handled={key: a.last_done for key, a in activity.items() if a.last_done},
    )
    return render(request, "systems.html", {"overview": overview}, principal=principal)
