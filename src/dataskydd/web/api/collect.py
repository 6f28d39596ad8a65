"""The banner's endpoints on any website: POST /consent, POST /collect, the tracking pixel.

Mounted at the root. Called across origins from the sites listed in DATASKYDD_CONSENT_ORIGINS;
consent.js sends `text/plain` JSON, a CORS "simple request", so browsers need no preflight,
and no cookie of this host is involved (the visitor id travels in the body). Bad input is a
4xx JSON problem and writes nothing.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect

from dataskydd.analytics import ingest
from dataskydd.consent import origins
from dataskydd.consent import service as consent_service
from dataskydd.consent.schemas import (
    VISITOR_ID_PATTERN,
    ConsentChoice,
    ConsentRecorded,
    choice_context,
)
from dataskydd.db.session import transaction
from dataskydd.errors import InvalidInput
from dataskydd.policy.schema import ConsentBanner, Policy
from dataskydd.web.deps import PolicyDep, SessionDep

router = APIRouter(tags=["consent banner"])

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_ACCEPTED_TYPES = ("application/json", "text/plain")


class BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": "InvalidInput", "detail": message}, status_code=status, headers=headers
    )


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
    """The parsed JSON body, refusing more than 16 kB before reading it all."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _ACCEPTED_TYPES:
        return BadBody(415, "send JSON as application/json or text/plain")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > ingest.MAX_BODY_BYTES):
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


Body = Annotated[Any, Depends(json_body)]


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
        return problem(403, "this origin may not use the consent banner")
    return Response(status_code=204, headers=headers)


@router.post("/consent", response_model=ConsentRecorded, status_code=201)
def record_consent(
    request: Request, session: SessionDep, policy: PolicyDep, body: Body
) -> Response:
    """Record one banner choice as evidence. Nothing is set on the visitor's device here.
    `granted` lists keys of the policy's optional banner choices; any other key is a 422."""
    headers = cors_headers(request)
    if headers is None:
        return problem(403, "this origin may not use the consent banner")
    if isinstance(body, BadBody):
        return problem(body.status, body.message, headers)
    banner = consent_service.banner_of(policy)
    try:
        choice = ConsentChoice.model_validate(body, context=choice_context(banner))
    except ValidationError as error:
        return problem(422, _invalid(error), headers)
    record = consent_service.record_choice(
        session,
        policy,
        choice=choice,
        user_agent=request.headers.get("user-agent"),
        gpc_header=request.headers.get("sec-gpc"),
    )
    recorded = consent_service.as_recorded(record)
    return JSONResponse(recorded.model_dump(), status_code=201, headers=headers)


@router.post("/collect", status_code=204)
def collect(request: Request, session: SessionDep, policy: PolicyDep, body: Body) -> Response:
    """One page event; a view or leave is stored only when the visitor's latest choice grants
    every banner choice that measures visits."""
    headers = cors_headers(request)
    if headers is None:
        return problem(403, "this origin may not send events")
    if isinstance(body, BadBody):
        return problem(body.status, body.message, headers)
    try:
        event = ingest.CollectedEvent.model_validate(body)
        accepted = ingest.accept_event(
            event,
            user_agent=request.headers.get("user-agent"),
            client_ip=request.client.host if request.client else None,
        )
    except (ValidationError, InvalidInput) as error:
        return problem(422, _invalid(error), headers)
    if accepted is not None:
        _store(request, session, policy, accepted)
    return Response(status_code=204, headers=headers)


@router.get("/collect/pixel.gif")
def pixel(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    v: Annotated[str | None, Query(pattern=VISITOR_ID_PATTERN)] = None,
    s: Annotated[str | None, Query(pattern=VISITOR_ID_PATTERN)] = None,
    p: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """A 1x1 GIF; stored only when the visitor's latest choice grants the banner's tracking
    pixel choice (never, if the policy has none). `v` visitor, `s` visit, `p` the page with
    its utm_* parameters."""
    try:
        accepted = ingest.accept_pixel(
            visitor_id=v,
            visit_id=s,
            page=p,
            user_agent=request.headers.get("user-agent"),
            client_ip=request.client.host if request.client else None,
        )
    except InvalidInput as error:
        return problem(422, _invalid(error))
    if accepted is not None:
        _store(request, session, policy, accepted)
    return Response(GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})


def _store(request: Request, session: Session, policy: Policy, accepted: ingest.Accepted) -> None:
    banner = policy.consent_banner
    if banner is None:
        return  # no banner, so no consent and no count either
    buffer = _buffer_of(request, banner=banner)
    if buffer is not None:
        buffer.add([accepted])
    else:
        ingest.store(session, [accepted], banner=banner)


_buffer_lock = threading.Lock()


def _buffer_of(request: Request, *, banner: ConsentBanner) -> ingest.EventBuffer | None:
    """The app's event queue when DATASKYDD_COLLECT_BATCH_SECONDS > 0, made on first use."""
    state = request.app.state
    interval: float = state.settings.collect_batch_seconds
    if interval <= 0:
        return None
    with _buffer_lock:
        buffer: ingest.EventBuffer | None = getattr(state, "collect_buffer", None)
        if buffer is None:
            factory = state.session_factory

            def write(batch: Sequence[ingest.Accepted]) -> int:
                with transaction(factory) as session:
                    return ingest.store(session, batch, banner=banner)

            buffer = ingest.EventBuffer(write, interval=interval)
            state.collect_buffer = buffer
    return buffer
