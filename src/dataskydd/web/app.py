"""create_app(settings) → the FastAPI app: pages, /api/v1, static files, error handlers."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from dataskydd import __version__, runtime
from dataskydd.config import Settings, get_settings
from dataskydd.db.session import make_session_factory
from dataskydd.policy.schema import Policy
from dataskydd.web import api, api_reference, openapi, pages
from dataskydd.web.addresses import trust_proxies
from dataskydd.web.admission import Admission
from dataskydd.web.body_limits import LIMITS, BodyLimits
from dataskydd.web.errors import ServerErrors, add_exception_handlers
from dataskydd.web.head import HeadAsGet
from dataskydd.web.health import Health
from dataskydd.web.language import Language
from dataskydd.web.security_headers import SecurityHeaders
from dataskydd.web.templating import make_templates


def create_app(
    settings: Settings | None = None, *, policy: Policy | None = None, engine: Engine | None = None
) -> FastAPI:
    settings = settings or get_settings()
    runtime.install_secret(settings)
    runtime.install_data_map(settings)
    policy = policy or runtime.configured_policy(settings)
    engine = engine or runtime.web_engine(settings.database_url, settings.concurrent_requests)

    app = FastAPI(
        title="dataskydd",
        version=__version__,
        description="Personal-data register API: every read states its purpose and is audited.",
        openapi_url="/openapi.json",
        docs_url=None,  # /docs is web/pages/api_reference.py: server-rendered, no CDN script
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.policy = policy
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.inactivity_timeout = timedelta(
        seconds=settings.session_inactivity_seconds
        or policy.security.session_inactivity_minutes * 60
    )

    app.add_middleware(Language, secure=settings.cookie_secure)

    # Inside the security headers, so their answers (413, 401, 500) carry them too.
    # The agreement upload form takes a document (web/pages/recipients.py).
    app.add_middleware(BodyLimits, limits=(*LIMITS, pages.recipients.upload_limit(settings)))
    app.add_middleware(ServerErrors)
    app.add_middleware(HeadAsGet)
    # Inside the security headers (its 503s carry them), outside everything that does work.
    app.add_middleware(
        Admission,
        limit=settings.concurrent_requests,
        queue=settings.queued_requests,
        wait_seconds=settings.queue_wait_seconds,
    )
    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    trust_proxies(app, settings)  # every layer inside sees the real client
    app.add_middleware(Health)  # outermost: the liveness check never waits (web/health.py)
    app.mount("/static", StaticFiles(packages=[("dataskydd.web", "static")]), name="static")
    # Routes are matched in order, each a test per request: the banner's endpoints, which
    # take most requests, first; then the API; then the staff and public pages.
    for router in api.public_routers:
        app.include_router(router)
    for router in api.routers:
        app.include_router(router, prefix="/api/v1")
    for router in pages.routers:
        app.include_router(router)
    add_exception_handlers(app)
    openapi.install(app)
    api_reference.install(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The requests' threads hand the GIL round every 1 ms instead of Python's 5 ms. The thread
    # holding the database's write lock (SQLite) or the audit chain's lock then gets it back
    # sooner, which shortens the serial part of every request, and the event loop (which
    # answers /healthz and queues requests) never waits behind 20 busy threads for long.
    # bench_load.py, 100 connections, one worker: API reads ~110 → ~170 req/s, staff pages
    # ~260 → ~400 req/s, slowest /healthz beside them 100-240 → 50-90 ms.
    sys.setswitchinterval(0.001)
    yield
    # Events still queued belong to requests not yet answered: write them before exiting.
    await api.collect.drain_events(app)
