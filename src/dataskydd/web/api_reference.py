"""/docs: the API reference as a server-rendered page, made from the app's OpenAPI document.

No third-party script and no CDN: the page works offline and under the same Content Security
Policy as every other page. /openapi.json stays the machine-readable contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

from dataskydd.validation import (
    MULTI_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    is_too_short_once_stripped,
)
from dataskydd.web import i18n
from dataskydd.web.templating import render

_ = i18n.gettext_

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    notes: str = ""
    where: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list[Field]
    body: str | None
    responses: list[tuple[str, str]]


@dataclass
class Reference:
    title: str
    version: str
    description: str
    groups: dict[str, list[Operation]] = field(default_factory=dict)
    schemas: dict[str, list[Field]] = field(default_factory=dict)


def _ref_name(ref: str) -> str:
    return ref.removeprefix(REF_PREFIX)


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema in a few words: `string (date)`, `list of AddressIn`, `a | b`."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for combiner in ("anyOf", "oneOf", "allOf"):
        if combiner in schema:
            return " | ".join(type_of(part) for part in schema[combiner])
    if "enum" in schema:
        return " | ".join(repr(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_of(schema['additionalProperties'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _constraints() -> tuple[tuple[str, str], ...]:
    return (
        ("minLength", _("min length")),
        ("maxLength", _("max length")),
        ("minItems", _("min items")),
        ("maxItems", _("max items")),
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("exclusiveMinimum", ">"),
        ("exclusiveMaximum", "<"),
        ("pattern", _("pattern")),
        ("default", _("default")),
    )


def _constraint(key: str, label: str, value: Any) -> str:
    if key == "pattern" and value == SINGLE_LINE_PATTERN:
        return _("no control characters")
    if key == "pattern" and value == MULTI_LINE_PATTERN:
        return _("no control characters but tab and line breaks")
    return f"{label} {value}"


def _notes(schema: dict[str, Any]) -> list[str]:
    parts = [_constraint(k, label, schema[k]) for k, label in _constraints() if k in schema]
    if is_too_short_once_stripped(schema):
        parts.append(_("white space at either end is not counted"))
    return parts


def notes_of(schema: dict[str, Any]) -> str:
    parts = _notes(schema)
    for part in schema.get("anyOf", ()):
        parts.extend(_notes(part))
    if schema.get("description"):
        parts.insert(0, str(schema["description"]))
    return "; ".join(parts)


def _fields(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", ()))
    return [
        Field(name, type_of(prop), name in required, notes_of(prop))
        for name, prop in schema.get("properties", {}).items()
    ]


def _body(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        return type_of(media.get("schema", {}))
    return None


def _operation(path: str, method: str, operation: dict[str, Any]) -> Operation:
    parameters = [
        Field(
            parameter["name"],
            type_of(parameter.get("schema", {})),
            bool(parameter.get("required")),
            notes_of({**parameter.get("schema", {}), "description": parameter.get("description")}),
            parameter.get("in", ""),
        )
        for parameter in operation.get("parameters", ())
    ]
    responses = [
        (str(status), str(answer.get("description", "")))
        for status, answer in operation.get("responses", {}).items()
    ]
    anchor = operation.get("operationId") or f"{method}-{path}"
    return Operation(
        method=method.upper(),
        path=path,
        summary=str(operation.get("summary", "")),
        description=str(operation.get("description", "")),
        anchor=str(anchor),
        parameters=parameters,
        body=_body(operation),
        responses=responses,
    )


def build_reference(document: dict[str, Any]) -> Reference:
    info = document.get("info", {})
    reference = Reference(
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        description=str(info.get("description", "")),
    )
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                reference.groups.setdefault(tag, []).append(_operation(path, method, operation))
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        reference.schemas[name] = _fields(schema)
    return reference


def api_reference(request: Request) -> Response:
    app: FastAPI = request.app
    reference = build_reference(app.openapi())
    return render(request, "api_reference/reference.html", {"reference": reference})


def install(app: FastAPI) -> None:
    """A plain route, like FastAPI's own /docs: public, and not itself part of the API."""
    app.add_route("/docs", api_reference, methods=["GET"], include_in_schema=False)
