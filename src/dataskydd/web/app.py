"""create_app(settings) → the FastAPI app: pages, /api/v1, static files, error handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from dataskydd import __version__, runtime
from dataskydd.config import Settings, get_settings
from dataskydd.db.session import make_session_factory
from dataskydd.policy.schema import Policy
from dataskydd.web import api, i18n, pages
from dataskydd.web.deps import LANGUAGE_COOKIE
from dataskydd.web.errors import add_exception_handlers
from dataskydd.web.rate_limit import SlidingWindowLimiter
from dataskydd.web.security_headers import SecurityHeaders
from dataskydd.web.templating import make_templates


def create_app(
    settings: Settings | None = None, *, policy: Policy | None = None, engine: Engine | None = None
) -> FastAPI:
    settings = settings or get_settings()
    runtime.install_secret(settings)
    policy = policy or runtime.configured_policy(settings)
    engine = engine or runtime.engine_for(settings.database_url)

    app = FastAPI(
        title="dataskydd",
        version=__version__,
        description="Personal-data register API: every read states its purpose and is audited.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.policy = policy
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.inactivity_timeout = timedelta(
        seconds=settings.session_inactivity_seconds
        or policy.security.session_inactivity_minutes * 60
    )
    app.state.login_limiter = SlidingWindowLimiter(limit=20, window_seconds=300)

    @app.middleware("http")
    async def language(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        chosen = request.query_params.get("lang")
        lang = i18n.pick_language(chosen, request.cookies.get(LANGUAGE_COOKIE))
        token = i18n.current_language.set(lang)
        try:
            response = await call_next(request)
        finally:
            i18n.current_language.reset(token)
        if chosen in i18n.LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE,
                lang,
                max_age=365 * 24 * 3600,
                httponly=True,
                secure=settings.cookie_secure,
                samesite="lax",
            )
        return response

    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    app.mount("/static", StaticFiles(packages=[("dataskydd.web", "static")]), name="static")
    for router in pages.routers:
        app.include_router(router)
    for router in api.routers:
        app.include_router(router, prefix="/api/v1")
    for router in api.public_routers:
        app.include_router(router)
    add_exception_handlers(app)
    return app
