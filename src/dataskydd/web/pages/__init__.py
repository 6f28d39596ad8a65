"""Server-rendered pages, one module per screen group."""

from fastapi import APIRouter

from dataskydd.web.pages import (
    account,
    admin,
    audit_log,
    auth,
    policy_pages,
    public,
    statistics,
    subjects,
)

routers: list[APIRouter] = [
    public.router,
    auth.router,
    subjects.router,
    audit_log.router,
    policy_pages.router,
    statistics.router,
    account.router,
    admin.router,
]
