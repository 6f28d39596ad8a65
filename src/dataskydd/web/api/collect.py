"""The banner's endpoints on any website: POST /consent, POST /collect, the tracking pixel.

Mounted at the root. Called across origins from the sites listed in DATASKYDD_CONSENT_ORIGINS;
consent.js sends `text/plain` JSON, a CORS "simple request", so browsers need no preflight,
and no cookie of this host is involved (the visitor id travels in the body). Bad input is a
4xx JSON problem and writes nothing.

Nothing answered 2xx is lost: an event is answered only after the transaction holding it has
committed (group commit, `analytics.writer`), and a choice only after its own transaction. What
cannot be stored is a 503 with Retry-After, logged and counted; a request waiting for the
writer holds neither a thread nor a database connection.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from dataskydd.analytics import ingest
from dataskydd.analytics.writer import GroupWriter, NotStored, error_kind
from dataskydd.consent import origins
from dataskydd.consent import service as consent_service
from dataskydd.consent.schemas import (
    ConsentChoice,
    ConsentRecorded,
    VisitorId,
    choice_context,
)
from dataskydd.db.maintenance import passive_checkpoint
from dataskydd.db.session import make_nowait_engine, make_session_factory, transaction
from dataskydd.errors import DataskyddError, InvalidInput
from dataskydd.policy.schema import ConsentBanner, Policy
from dataskydd.validation import Line, LineOf
from dataskydd.web.deps import get_session

logger = logging.getLogger(__name__)

router = APIRouter(tags=["consent banner"])

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_ACCEPTED_TYPES = ("application/json", "text/plain")


# The Problem `error` of a refused body by status, as web/errors.py names the same refusals.
_BODY_PROBLEMS = {413: "PayloadTooLarge", 415: "UnsupportedMediaType"}


class BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        self.kind = _BODY_PROBLEMS.get(status, "InvalidInput")


def problem(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    kind: str = "InvalidInput",
) -> JSONResponse:
    """The Problem shape of web/openapi.py; `kind` is its `error`, as web/errors.py names it."""
    return JSONResponse({"error": kind, "detail": message}, status_code=status, headers=headers)


def refused_origin(message: str) -> JSONResponse:
    return problem(403, message, kind="Forbidden")


def domain_problem(error: DataskyddError, headers: dict[str, str] | None) -> JSONResponse:
    """A domain error under its own name: a 409 is a Conflict, a 404 NotFound."""
    return problem(error.status_code, error.message, headers, kind=type(error).__name__)


def cors_headers(request: Request, *, preflight: bool = False) -> dict[str, str] | None:
    """The CORS answer for this request's Origin; None when the origin is not allowed."""
    configured = origins.parse_origins(request.app.state.settings.consent_origins)
    origin = request.headers.get("origin")
    if not origins.allowed(origin, host=request.headers.get("host"), configured=configured):
        return None
    headers = {"Vary": "Origin"}
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
    if preflight:
        headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Content-Type"
        headers["Access-Control-Max-Age"] = "86400"
    return headers


async def json_body(request: Request) -> Any:
    """The parsed JSON body, refusing more than ingest.MAX_BODY_BYTES before reading it all."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _ACCEPTED_TYPES:
        return BadBody(415, "send JSON as application/json or text/plain")
    declared = request.headers.get("content-length")
    if declared is not None and (
        not (declared.isascii() and declared.isdigit()) or int(declared) > ingest.MAX_BODY_BYTES
    ):
        return BadBody(413, f"the body may be at most {ingest.MAX_BODY_BYTES} bytes")
    received = bytearray()
    try:
        async for chunk in request.stream():
            received.extend(chunk)
            if len(received) > ingest.MAX_BODY_BYTES:
                return BadBody(413, f"the body may be at most {ingest.MAX_BODY_BYTES} bytes")
    except ClientDisconnect:
        return BadBody(400, "the client went away before the body was complete")
    try:
        return json.loads(received)
    except (ValueError, RecursionError):
        return BadBody(400, "the body is not valid JSON")


def _invalid(error: ValidationError | InvalidInput) -> str:
    if isinstance(error, InvalidInput):
        return error.message
    # Field paths and rules only: pydantic's own messages may echo the input.
    return "; ".join(
        ".".join(str(part) for part in item["loc"]) + ": " + item["msg"] for item in error.errors()
    )[:500]


@router.options("/consent", include_in_schema=False)
@router.options("/collect", include_in_schema=False)
def preflight(request: Request) -> Response:
    headers = cors_headers(request, preflight=True)
    if headers is None:
        return refused_origin("this origin may not use the consent banner")
    return Response(status_code=204, headers=headers)


@router.post("/consent", response_model=ConsentRecorded, status_code=201)
async def record_consent(request: Request) -> Response:
    """Record one banner choice as evidence. Nothing is set on the visitor's device here.
    `granted` lists keys of the policy's optional banner choices; any other key is a 422.
    Answered 201 only once the choice has committed; a database that cannot take it is a 503."""
    headers = cors_headers(request)
    if headers is None:
        return refused_origin("this origin may not use the consent banner")
    # Read in the handler rather than as a dependency: FastAPI's dependency solving costs
    # more than the rest of the event's work (benchmarks/bench_collect.py).
    body = await json_body(request)
    if isinstance(body, BadBody):
        return problem(body.status, body.message, headers, kind=body.kind)
    policy = _policy(request)
    try:
        banner = consent_service.banner_of(policy)
        choice = ConsentChoice.model_validate(body, context=choice_context(banner))
    except ValidationError as error:
        return problem(422, _invalid(error), headers)
    except DataskyddError as error:
        return domain_problem(error, headers)
    try:
        recorded = await run_in_threadpool(
            _record_choice,
            units_of_work(request.app),
            policy,
            choice,
            request.headers.get("user-agent"),
            request.headers.get("sec-gpc"),
        )
    except DataskyddError as error:
        return domain_problem(error, headers)
    except SQLAlchemyError as error:
        logger.error(
            "consent choice not stored: error=%s not_stored_total=%d",
            error_kind(error),
            count_failure(request.app, "consent_not_stored"),
        )
        return unavailable("the choice could not be stored; try again", 5, headers)
    return JSONResponse(recorded.model_dump(), status_code=201, headers=headers)


def _record_choice(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    policy: Policy,
    choice: ConsentChoice,
    user_agent: str | None,
    gpc_header: str | None,
) -> ConsentRecorded:
    # One transaction inside one threadpool call: the connection is held only while working.
    with unit_of_work() as session:
        record = consent_service.record_choice(
            session, policy, choice=choice, user_agent=user_agent, gpc_header=gpc_header
        )
        return consent_service.as_recorded(record)


@router.post("/collect", status_code=204)
async def collect(request: Request) -> Response:
    """One page event; a view or leave is stored only when the visitor's latest choice grants
    every banner choice that measures visits. 204 once the event's batch has committed."""
    headers = cors_headers(request)
    if headers is None:
        return refused_origin("this origin may not send events")
    body = await json_body(request)
    if isinstance(body, BadBody):
        return problem(body.status, body.message, headers, kind=body.kind)
    try:
        event = ingest.CollectedEvent.model_validate(body)
        accepted = ingest.accept_event(
            event,
            user_agent=request.headers.get("user-agent"),
            client_ip=request.client.host if request.client else None,
            site=_site(request),
        )
    except (ValidationError, InvalidInput) as error:
        return problem(422, _invalid(error), headers)
    if accepted is not None:
        try:
            await _store(request, accepted)
        except NotStored as error:
            return unavailable(error.message, error.retry_after, headers)
    return Response(status_code=204, headers=headers)


@router.get("/collect/pixel.gif")
async def pixel(
    request: Request,
    v: Annotated[LineOf[VisitorId] | None, Query()] = None,
    s: Annotated[LineOf[VisitorId] | None, Query()] = None,
    p: Annotated[Line | None, Query(max_length=ingest.MAX_PAGE)] = None,
    r: Annotated[Line | None, Query(max_length=ingest.MAX_PAGE)] = None,
) -> Response:
    """A 1x1 GIF; stored only when the visitor's latest choice grants the banner's tracking
    pixel choice (never, if the policy has none). `v` visitor, `s` visit, `p` the page with
    its utm_* parameters, `r` the other site the visitor came from (only its host name is
    kept). Invalid parameters are a 422 problem (web/errors.py), as on /api."""
    accepted = ingest.accept_pixel(
        visitor_id=v,
        visit_id=s,
        page=p,
        user_agent=request.headers.get("user-agent"),
        client_ip=request.client.host if request.client else None,
        referrer=r,
        site=_site(request),
    )
    if accepted is not None:
        try:
            await _store(request, accepted)
        except NotStored as error:
            return unavailable(error.message, error.retry_after)
    return Response(GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})


def _site(request: Request) -> str | None:
    """The site that sent the event, so that its own pages are not counted as referrers."""
    return request.headers.get("origin") or request.headers.get("referer")


def unavailable(
    message: str, retry_after: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": "NotStored", "detail": message},
        status_code=503,
        headers={**(headers or {}), "Retry-After": str(retry_after)},
    )


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


async def _store(request: Request, accepted: ingest.Accepted) -> None:
    """Returns once the event's batch has committed; raises NotStored (also QueueFull)."""
    if _policy(request).consent_banner is None:
        return  # no banner, so no consent and no count either
    await event_writer(request.app).put(accepted)


def units_of_work(app: FastAPI) -> Callable[[], AbstractContextManager[Session]]:
    """How the banner's endpoints open a transaction: as a request's session does, through
    `get_session`'s override when the app has one (the test suite's rolled-back session)."""
    override = app.dependency_overrides.get(get_session)
    if override is not None:
        return contextmanager(override)
    factory = app.state.session_factory
    return lambda: transaction(factory)


_writer_lock = threading.Lock()
# Batches written in the loop between two checkpoints of SQLite's log. A batch changes a
# handful of pages (the events' and their indexes'), so this is near SQLite's own 1,000 pages.
CHECKPOINT_EVERY = 100


def event_writer(app: FastAPI) -> GroupWriter[ingest.Accepted]:
    """The app's one event writer (per process), made on first use."""
    writer: GroupWriter[ingest.Accepted] | None = getattr(app.state, "collect_writer", None)
    if writer is not None:
        return writer
    with _writer_lock:
        writer = getattr(app.state, "collect_writer", None)
        if writer is None:
            writer = _make_writer(app)
            app.state.collect_writer = writer
    return writer


def _make_writer(app: FastAPI) -> GroupWriter[ingest.Accepted]:
    settings = app.state.settings
    banner = app.state.policy.consent_banner
    unit_of_work = units_of_work(app)

    def write(batch: Sequence[ingest.Accepted]) -> int:
        with unit_of_work() as session:
            return ingest.store(session, batch, banner=banner)

    return GroupWriter(
        write,
        max_batch=ingest.MAX_BATCH,
        max_wait=settings.collect_batch_seconds,
        max_queued=settings.collect_queue_limit,
        environmental=_environmental,
        write_now=_write_in_loop(app, banner),
    )


def _write_in_loop(app: FastAPI, banner: ConsentBanner) -> Callable[[Sequence[Any]], int] | None:
    """On a SQLite file, each loop turn's events are written in the loop's own thread
    through a connection of their own that never waits for a lock (GroupWriter's `write_now`);
    None elsewhere, and under the test suite's session override."""
    if app.dependency_overrides.get(get_session) is not None:
        return None
    engine = make_nowait_engine(app.state.settings.database_url)
    if engine is None:
        return None
    app.state.collect_engine = engine
    factory = make_session_factory(engine)
    shared = app.state.session_factory.kw["bind"]
    written = 0

    def write_now(batch: Sequence[ingest.Accepted]) -> int:
        nonlocal written
        with transaction(factory) as session:
            stored = ingest.store(session, batch, banner=banner)
        written += 1
        if written % CHECKPOINT_EVERY == 0:
            # That connection never checkpoints the log (make_nowait_engine): a thread does.
            asyncio.get_running_loop().run_in_executor(None, _checkpoint, shared)
        return stored

    return write_now


def _environmental(error: Exception) -> bool:
    """The database is down, locked or out of connections: no one event is to blame."""
    return isinstance(error, OperationalError | InterfaceError | PoolTimeout)


def _checkpoint(engine: Engine) -> None:
    try:
        passive_checkpoint(engine)
    except Exception as error:  # the next one copies what this one left; nothing is lost
        logger.warning("checkpoint of the collector's log failed: %s", error_kind(error))


async def drain_events(app: FastAPI, timeout: float = 30.0) -> None:
    """At shutdown: refuse new events and write those still queued."""
    writer: GroupWriter[ingest.Accepted] | None = getattr(app.state, "collect_writer", None)
    if writer is None:
        return
    app.state.collect_writer = None
    drained = await run_in_threadpool(writer.close, timeout)
    engine = getattr(app.state, "collect_engine", None)
    if engine is not None:
        engine.dispose()
    if not drained:
        logger.error(
            "collect writer did not drain within %.0f s: queued=%d", timeout, writer.queued
        )


def count_failure(app: FastAPI, key: str) -> int:
    """Adds one to the app's count of `key` (in `app.state.banner_failures`); the new total."""
    with _writer_lock:
        failures: Counter[str] | None = getattr(app.state, "banner_failures", None)
        if failures is None:
            failures = app.state.banner_failures = Counter()
        failures[key] += 1
        return failures[key]
