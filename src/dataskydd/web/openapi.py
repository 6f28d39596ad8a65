"""/openapi.json: every operation with every answer it can really give.

FastAPI documents what it sees in a handler's signature: the success response, the path,
query and body parameters, and a 422 in its own `HTTPValidationError` shape. It cannot see
what happens outside the signature, so this module adds it:

- the error bodies: one `Problem` schema, the shape web/errors.py (`problem`) and the
  banner endpoints (web/api/collect.py, `problem`) both send, in place of FastAPI's 422 shape;
- per operation the statuses it answers: 401 with `WWW-Authenticate` and 403 on API-key
  routes (those depending on `web/deps.py: api_requires`), 404 where a path names a row,
  409 where a unique value or a stale banner text can conflict, 400 and 413 for bodies (and
  415 where collect.py reads them by hand), 422 wherever there is input, 503 with
  `Retry-After` everywhere (load shedding);
- the bodies of POST /consent and POST /collect, which collect.py reads from the raw body
  (JSON sent as application/json or as text/plain, so browsers need no CORS preflight),
  generated from their pydantic models and narrowed to what the policy offers;
- the tracking pixel as image/gif;
- path and query parameters without FastAPI's "or null" (a URL cannot say null).

Staff pages and the banner's static assets stay out: their routers say
`include_in_schema=False`; the document is for an engineer connecting a system.
tests/web/test_openapi_contract.py holds the application to this document with schemathesis.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from dataskydd.analytics import ingest
from dataskydd.consent.schemas import ConsentChoice
from dataskydd.policy.schema import Policy
from dataskydd.web.body_limits import API_BODY_LIMIT

PROBLEM = "Problem"
SCHEMAS = "#/components/schemas/"
API_KEY_SCHEME = "apiKey"

# The bodies collect.py parses by hand, by operation.
HAND_READ_BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/consent"): ConsentChoice,
    ("post", "/collect"): ingest.CollectedEvent,
}
HAND_READ_MEDIA_TYPES = ("application/json", "text/plain")

# Operations that answer 409, and when. A route may instead declare it in its decorator,
# `responses={409: {"description": "..."}}`: every error status a route declares without a
# body gets the Problem body here.
CONFLICTS: dict[tuple[str, str], str] = {
    ("post", "/api/v1/subjects"): "The personnummer is already registered for another subject.",
    ("patch", "/api/v1/subjects/{subject_id}"): (
        "The new personnummer is already registered for another subject."
    ),
    ("post", "/api/v1/subjects/{subject_id}/contracts"): "The contract number is already taken.",
    ("post", "/api/v1/subjects/{subject_id}/invoices"): "The invoice number is already taken.",
    ("post", "/consent"): (
        "The banner text has changed since the visitor saw it (`text_version` is not the"
        " current one): reload the banner and ask again."
    ),
}

# A page address as analytics.ingest.split_page takes it: a path from "/" (not "//", which
# would name a host) without white space or control characters, at most MAX_PATH characters,
# then an optional query (only the utm_* parameters are kept) and fragment.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
PAGE_PATTERN = (
    rf"^/(?:[^/\s?#{_CONTROL}][^\s?#{_CONTROL}]{{0,{ingest.MAX_PATH - 2}}})?"
    rf"(?:\?[^#{_CONTROL}]*)?(?:#[^{_CONTROL}]*)?$"
)
# What analytics.ingest.accept_event asks of each kind of event beyond the model's fields.
EVENT_KIND_RULES: list[dict[str, Any]] = [
    {
        "if": {"properties": {"kind": {"const": "count"}}},
        "then": {"properties": {"visitor_id": {"type": "null"}, "visit_id": {"type": "null"}}},
    },
    {
        "if": {"properties": {"kind": {"enum": ["view", "leave"]}}},
        "then": {"required": ["visitor_id"], "properties": {"visitor_id": {"type": "string"}}},
    },
    {
        "if": {"properties": {"kind": {"const": "leave"}}},
        "then": {"required": ["seconds"], "properties": {"seconds": {"type": "integer"}}},
    },
]


def install(app: FastAPI) -> None:
    """Serve build_openapi(app) at app.openapi_url, made once on first use."""

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    policy: Policy = app.state.policy
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(_problem_schemas())
    document["components"]["securitySchemes"] = {
        API_KEY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API key made by an administrator (Admin → API keys), shown once. It is"
                " scoped to purposes of the policy's `api_access`; only a key with write"
                " access may create or change rows."
            ),
        }
    }
    for (method, path), model in HAND_READ_BODIES.items():
        operation = document["paths"].get(path, {}).get(method)
        if operation is not None:
            operation["requestBody"] = _hand_read_body(model, schemas, policy)
            if policy.consent_banner is None and model is ConsentChoice:
                operation["responses"]["404"] = {"description": "The policy has no banner."}
    api_key_routes = _api_key_routes(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                _no_null(parameter)
            _document_answers(
                operation,
                method=method,
                path=path,
                api_key=(method, path) in api_key_routes,
                banner=(method, path) in HAND_READ_BODIES,
            )
    _document_pixel(document["paths"].get("/collect/pixel.gif", {}).get("get"))
    _recommendations_purpose(document, policy)
    return document


def _recommendations_purpose(document: dict[str, Any], policy: Policy) -> None:
    """Recommendations are made under one purpose, the policy's (422 for any other)."""
    key = policy.system_purposes.recommendations
    path = document["paths"].get("/api/v1/subjects/{subject_id}/recommendations", {})
    if key is None or "get" not in path:
        return
    for parameter in path["get"].get("parameters", []):
        if parameter["name"] == "purpose":
            parameter["schema"]["enum"] = [key]


def _no_null(parameter: dict[str, Any]) -> None:
    """A URL has no null: FastAPI documents an optional parameter (`str | None = None`) as
    "string or null", but `?v=` is the empty string, and a parameter left out is how the
    caller says None. So the parameter is its non-null option, and not required."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if not options:
        return
    kept = [option for option in options if option.get("type") != "null"]
    if len(kept) == len(options):
        return
    del schema["anyOf"]
    if len(kept) == 1:
        schema.update(kept[0])
    else:
        schema["anyOf"] = kept


def _problem_schemas() -> dict[str, Any]:
    return {
        PROBLEM: {
            "title": "Problem",
            "description": (
                "Every error answer. `detail` names fields and rules, never the values sent"
                " (it reaches logs); it is English, stable for scripts, and `message` is the same"
                " in the reader's language (`?lang=` or the language cookie, Swedish by"
                " default). `problems` lists each broken rule of invalid input on"
                " /api/v1 (empty for other errors); the banner endpoints send `error` and"
                " `detail` only."
            ),
            "type": "object",
            "properties": {
                "error": {
                    "type": "string",
                    "description": (
                        "The kind: InvalidInput, AuthenticationRequired, Forbidden,"
                        " AccessRefused, NotFound, Conflict, PayloadTooLarge,"
                        " UnsupportedMediaType, HTTPError, …"
                    ),
                },
                "detail": {"type": "string"},
                "message": {"type": "string", "description": "`detail` in the reader's language"},
                "problems": {"type": "array", "items": {"$ref": SCHEMAS + "ProblemItem"}},
            },
            "required": ["error", "detail"],
            "additionalProperties": False,
        },
        "ProblemItem": {
            "title": "ProblemItem",
            "type": "object",
            "properties": {
                "field": {"type": "string", "description": "The field's path, e.g. emails.0"},
                "reason": {"type": "string"},
                "message": {"type": "string", "description": "`reason` in the reader's language"},
            },
            "required": ["field", "reason"],
            "additionalProperties": False,
        },
    }


def _api_key_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route that depends on `api_requires` (marked `.api`)."""
    found: set[tuple[str, str]] = set()
    for route, path, dependant in _routes(app):
        if any(getattr(call, "api", False) for call in _calls(dependant)):
            found.update((method.lower(), path) for method in route.methods or ())
    return found


def _routes(app: FastAPI) -> Iterator[tuple[APIRoute, str, Any]]:
    """(route, full path, dependant with the router's dependencies) of every API route.
    FastAPI ≥ 0.12x includes routers lazily: iter_route_contexts applies their prefixes."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    if iterate is None:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route, route.path_format, route.dependant
        return
    for context in iterate(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.original_route, str(context.path_format), context.dependant


def _calls(dependant: Any) -> list[Any]:
    calls: list[Any] = []
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            calls.append(dependency.call)
        calls.extend(_calls(dependency))
    return calls


def _hand_read_body(model: type[BaseModel], schemas: dict[str, Any], policy: Policy) -> Any:
    schema = model.model_json_schema(ref_template=SCHEMAS + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    properties = schema.get("properties", {})
    if model is ConsentChoice:
        _offered_choices_only(properties["granted"], policy)
    if model is ingest.CollectedEvent:
        _valid_pages_only(properties)
        schema.setdefault("allOf", []).extend(copy.deepcopy(EVENT_KIND_RULES))
        schema["description"] = (
            schema.get("description", "") + "\n\nA `count` (no consent: the page's anonymous"
            " daily total) carries no `visitor_id` or `visit_id`; a `view` needs `visitor_id`, a"
            " `leave` also `seconds` on the page."
        ).strip()
    schemas[model.__name__] = schema
    reference = {"$ref": SCHEMAS + model.__name__}
    return {
        "required": True,
        "description": (
            f"JSON, at most {ingest.MAX_BODY_BYTES} bytes, sent as application/json or as"
            " text/plain (a CORS simple request: browsers send no preflight)."
        ),
        "content": {media_type: {"schema": reference} for media_type in HAND_READ_MEDIA_TYPES},
    }


def _offered_choices_only(granted: dict[str, Any], policy: Policy) -> None:
    """`granted` may name only the banner's optional choices; any other key is a 422."""
    banner = policy.consent_banner
    offered = list(banner.optional_choices) if banner is not None else []
    items = granted.setdefault("items", {})
    items.pop("pattern", None)
    items.pop("maxLength", None)
    items["enum"] = offered
    if not offered:
        granted["maxItems"] = 0


def _valid_pages_only(properties: dict[str, Any]) -> None:
    """The page address rules of ingest.split_page, where the model does not state them."""
    for name in ("page", "previous"):
        schema = properties.get(name)
        if schema is None:
            continue
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "string":
                option.setdefault("pattern", PAGE_PATTERN)


def _problem_response(description: str, headers: dict[str, Any] | None = None) -> Any:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": SCHEMAS + PROBLEM}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _has_input(operation: dict[str, Any]) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


def _path_ids(path: str) -> bool:
    return "{" in path


def _document_answers(
    operation: dict[str, Any], *, method: str, path: str, api_key: bool, banner: bool
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    declared = {
        status: copy.deepcopy(answer)
        for status, answer in responses.items()
        if status[:1] in "45" and "content" not in answer
    }
    if banner:
        responses["400"] = _problem_response(
            "The body is not valid JSON, or the client went away before it was complete."
        )
        responses["403"] = _problem_response(
            "The request's Origin is not one of the sites allowed to use the banner"
            " (DATASKYDD_CONSENT_ORIGINS). Requests without an Origin are allowed."
        )
        responses["413"] = _problem_response(
            f"The body is larger than {ingest.MAX_BODY_BYTES} bytes."
        )
        responses["415"] = _problem_response(
            "The Content-Type is neither application/json nor text/plain."
        )
    if api_key:
        operation["security"] = [{API_KEY_SCHEME: []}]
        responses["401"] = _problem_response(
            "No API key, or one that is unknown or revoked. Send `Authorization: Bearer <key>`.",
            headers={
                "WWW-Authenticate": {
                    "description": "Always `Bearer`.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        )
        responses["403"] = _problem_response(
            "The key may not do this: it lacks write access, or the access decision refused"
            " (the key's purposes, the policy's categories, the subject's consent, objections"
            " and restrictions). `detail` gives the reason; a refusal is audited like an"
            " allowed read."
        )
        if _path_ids(path):
            responses["404"] = _problem_response(
                "No such subject, or the row named in the path is not the subject's."
            )
    if "requestBody" in operation and not banner:
        responses["400"] = _problem_response(
            "The body could not be read as JSON text (e.g. it is not UTF-8). JSON that does not"
            " parse is a 422."
        )
        responses["413"] = _problem_response(f"The body is larger than {API_BODY_LIMIT} bytes.")
    conflict = CONFLICTS.get((method, path))
    if conflict is not None:
        responses["409"] = _problem_response(conflict)
    if _has_input(operation):
        responses["422"] = _problem_response(
            "The input breaks a rule. `detail` and `problems` name each field and rule."
        )
    responses["503"] = _problem_response(
        "The server is shedding load; try again after `Retry-After` seconds.",
        headers=_retry_after(required=True),
    )
    for status, answer in declared.items():
        headers = _retry_after(required=False) if status in ("429", "503") else None
        responses[status] = {**_problem_response("", headers), **answer}
    operation["responses"] = dict(sorted(responses.items()))


def _retry_after(*, required: bool) -> dict[str, Any]:
    return {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": required,
            "schema": {"type": "integer", "minimum": 0},
        }
    }


def _document_pixel(operation: dict[str, Any] | None) -> None:
    if operation is None:
        return
    operation["responses"]["200"] = {
        "description": (
            "A transparent 1×1 GIF, whatever was stored. Stored only when the visitor's latest"
            " choice grants the banner's tracking-pixel choice and the client is a browser."
        ),
        "headers": {
            "Cache-Control": {
                "description": "`no-store`: every load is a request.",
                "required": True,
                "schema": {"type": "string"},
            }
        },
        "content": {"image/gif": {"schema": {"type": "string", "format": "binary"}}},
    }
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == "p":
            for option in parameter["schema"].get("anyOf", [parameter["schema"]]):
                if option.get("type") == "string":
                    # In place of Line's pattern: a page address has no control characters
                    # either, and more rules besides.
                    option["pattern"] = PAGE_PATTERN
