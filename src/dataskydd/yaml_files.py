"""YAML files read into typed models, with errors that point at the line to fix.

Used for the policy file (policy/loader.py) and the data map files (datamap/map_files.py).
The YAML is parsed twice from the same text: once into plain data for Pydantic and once into
PyYAML's node tree, whose marks give the line of every key. Pydantic's error locations are
then mapped back to those lines. Anchors and aliases are refused (billion laughs), and the
size is bounded before anything is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from dataskydd.errors import DataskyddError
from dataskydd.messages_i18n import Msg, as_msg

PathPart = str | int
YamlPath = tuple[PathPart, ...]
Locations = Mapping[YamlPath, int]
M = TypeVar("M", bound=BaseModel)

_MAX_REPORTED_ERRORS = 3
# A validator's message that starts with the field it is about: "tables.x.links: text".
_NAMED_PATH = re.compile(r"^([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)*): (.+)$", re.DOTALL)


@dataclass(frozen=True)
class Form:
    """What kind of file is read: its name in messages, its error, its size bound."""

    noun: str  # "policy file"
    error: type[DataskyddError]
    max_bytes: int
    size_hint: str  # "a policy file is some tens of kilobytes"
    tag_hint: str | None = None  # the message for a union member without its `kind`


# libyaml's parser where PyYAML was built with it (about ten times faster than the pure-Python
# one; a policy is read at every start of the CLI and the server), the same rules either way.
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc]
    """SafeLoader without YAML 1.1's yes/no/on/off booleans.

    Otherwise `country: NO` (Norway) silently becomes `False`.
    """


_BOOL_TAG = "tag:yaml.org,2002:bool"
# Dates stay text for the schema to validate: YAML's own timestamp constructor raises a bare
# ValueError on 2023-02-30, where the schema names the field and the line.
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def format_path(path: YamlPath) -> str:
    """`("recipients", 2, "country")` -> `recipients[2].country`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def line_of(locations: Locations, path: YamlPath) -> int | None:
    """Line of `path`, or of its nearest ancestor present in the file (a missing key is
    reported at the mapping that should hold it)."""
    for end in range(len(path), 0, -1):
        line = locations.get(path[:end])
        if line is not None:
            return line
    return None


def _refuse_aliases(root: yaml.Node, source_name: str, form: Form) -> None:
    """Aliases (*name of an &name) are refused: nested aliases expand exponentially ("billion
    laughs") in everything that walks the document, and a policy needs none. In the composed
    tree an alias is a node met a second time; the walk stops there, before any expansion,
    and names the line of the anchored value."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            raise form.error(
                Msg(
                    "{source_name} (line {line}): YAML anchors and aliases (&, *) "
                    "are not allowed in a {noun}; write the values out",
                    source_name=source_name,
                    line=node.start_mark.line + 1,
                    noun=form.noun,
                )
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                pending.extend((value_node, key_node))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(reversed(node.value))


def _compose_and_load(text: str, source_name: str, form: Form) -> tuple[yaml.Node | None, Any]:
    """One parse: the node tree (for the lines of keys), then the plain data built from it."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _refuse_aliases(root, source_name, form)
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def _yaml_error_message(error: yaml.MarkedYAMLError, source_name: str) -> str:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    if mark is None:
        return f"{source_name}: {problem}"
    return f"{source_name} line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _collect(
    node: yaml.Node, path: YamlPath, locations: dict[YamlPath, int], source_name: str, form: Form
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            if child in locations:
                # PyYAML keeps the last duplicate silently; a file must not say two things.
                line = key_node.start_mark.line + 1
                raise form.error(
                    Msg(
                        "{source_name} line {line}: {key}: duplicate key (first on line {first})",
                        source_name=source_name,
                        line=line,
                        key=format_path(child),
                        first=locations[child],
                    )
                )
            locations[child] = key_node.start_mark.line + 1
            _collect(value_node, child, locations, source_name, form)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            locations[(*path, index)] = item.start_mark.line + 1
            _collect(item, (*path, index), locations, source_name, form)


def _locate(root: yaml.Node, loc: tuple[int | str, ...]) -> tuple[YamlPath, int]:
    """Follow a Pydantic error location through the node tree.

    Pydantic adds parts that are not in the file (the `kind` tag of a union); those are
    skipped. A last part that is not found is a missing key: it stays in the path and the
    line is that of the mapping that lacks it.
    """
    node = root
    path: list[PathPart] = []
    line = root.start_mark.line + 1
    for position, part in enumerate(loc):
        child = _child(node, part)
        if child is None:
            if position == len(loc) - 1 and part != "[key]":
                path.append(part)
            continue
        key_line, node = child
        path.append(part)
        line = key_line
    return tuple(path), line


def _child(node: yaml.Node, part: int | str) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if key_node.value == part:
                return key_node.start_mark.line + 1, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item.start_mark.line + 1, item
    return None


def _schema_error_message(
    error: ValidationError, root: yaml.Node, source_name: str, form: Form
) -> str:
    errors = error.errors(include_url=False)
    parts = []
    for detail in errors[:_MAX_REPORTED_ERRORS]:
        path, line = _locate(root, detail["loc"])
        explained = _explain(detail, form)
        inner = _NAMED_PATH.match(str(detail.get("ctx", {}).get("error", "")))
        if detail["type"] == "value_error" and inner:
            # A rule over several fields names the field it is about ("tables.x.links: ...");
            # point at that field's line rather than at the mapping that holds the rule.
            named = (*path, *inner.group(1).split("."))
            path, line = _locate(root, named)
            explained = inner.group(2)
        where = format_path(path) or "(top level)"
        parts.append(f"{source_name} line {line}: {where}: {explained}")
    more = len(errors) - _MAX_REPORTED_ERRORS
    suffix = f" (and {more} more)" if more > 0 else ""
    return "; ".join(parts) + suffix


def _explain(detail: ErrorDetails, form: Form) -> str:
    kind = detail["type"]
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    if kind in ("enum", "literal_error"):
        return f"must be one of {_choices(str(ctx.get('expected', '')))}"
    if kind == "union_tag_invalid":
        return f"kind must be one of {_choices(str(ctx.get('expected_tags', '')))}"
    if kind == "union_tag_not_found":
        return form.tag_hint or "needs a `kind`"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "string_pattern_mismatch":
        return _pattern_hint(str(ctx.get("pattern", "")))
    message = detail["msg"]
    return message[0].lower() + message[1:] if message else kind


def _choices(expected: str) -> str:
    names = [name.strip(" '\"") for name in re.split(r",| or ", expected) if name.strip(" '\"")]
    return ", ".join(names)


def _pattern_hint(pattern: str) -> str:
    if pattern == "^[A-Z]{2}$":
        return "must be a two-letter ISO 3166 country code in capitals, e.g. SE"
    if pattern.startswith("^[a-z]"):
        return "keys must be lower case letters, digits and underscores, starting with a letter"
    return f"does not match the pattern {pattern}"


def read_bounded(path: Path | str, form: Form) -> tuple[str, str]:
    """The file's text and name; the size is checked before the file is read."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > form.max_bytes:
            raise form.error(
                Msg(
                    "{name}: larger than {kilobytes} kB; {size_hint}",
                    name=path.name,
                    kilobytes=form.max_bytes // 1000,
                    size_hint=form.size_hint,
                )
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise form.error(Msg("{noun} not found: {path}", noun=form.noun, path=path)) from None
    except IsADirectoryError:
        raise form.error(
            Msg("{noun} is a directory, not a file: {path}", noun=form.noun, path=path)
        ) from None
    except UnicodeDecodeError:
        raise form.error(Msg("{name}: not UTF-8 text", name=path.name)) from None
    except OSError as error:
        raise form.error(
            Msg(
                "cannot read {noun} {path}: {strerror}",
                noun=form.noun,
                path=path,
                strerror=error.strerror,
            )
        ) from None
    return text, path.name


def parse_document(
    text: str, source_name: str, model: type[M], form: Form
) -> tuple[M, dict[YamlPath, int]]:
    """The text validated as `model`, and the line of every key by YAML path."""
    if len(text.encode("utf-8")) > form.max_bytes:
        raise form.error(
            Msg(
                "{source_name}: larger than {kilobytes} kB; {size_hint}",
                source_name=source_name,
                kilobytes=form.max_bytes // 1000,
                size_hint=form.size_hint,
            )
        )
    try:
        root, data = _compose_and_load(text, source_name, form)
    except yaml.MarkedYAMLError as error:
        raise form.error(as_msg(_yaml_error_message(error, source_name))) from None
    except yaml.YAMLError as error:
        raise form.error(
            Msg(
                "{source_name}: not valid YAML ({error})", source_name=source_name, error=str(error)
            )
        ) from None
    if not isinstance(data, dict) or root is None:
        raise form.error(
            Msg(
                "{source_name}: the {noun} must be a YAML mapping (key: value lines)",
                source_name=source_name,
                noun=form.noun,
            )
        )
    locations: dict[YamlPath, int] = {}
    _collect(root, (), locations, source_name, form)
    try:
        document = model.model_validate(data)
    except ValidationError as error:
        raise form.error(as_msg(_schema_error_message(error, root, source_name, form))) from None
    return document, locations
