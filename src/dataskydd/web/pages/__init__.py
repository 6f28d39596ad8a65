"""Server-rendered pages, one module per screen group."""

from fastapi import APIRouter

from dataskydd.web.pages import (
    access_requests,
    account,
    admin,
    audit_log,
    auth,
    consent_banner,
    demo_site,
    jobs,
    policy_pages,
    promises,
    public,
    request_queue,
    retention,
    self_service,
    statistics,
    subjects,
    systems,
    web_analytics,
)

routers: list[APIRouter] = [
    public.router,
    auth.router,
    subjects.router,
    audit_log.router,
    promises.router,
    jobs.router,
    retention.router,
    systems.router,
    policy_pages.router,
    statistics.router,
    account.router,
    admin.router,
    access_requests.router,
    request_queue.router,
    self_service.router,
    consent_banner.router,
    web_analytics.router,
    demo_site.router,
]
