"""Input rules shared by every entry point, and Pydantic failures turned into InvalidInput.

- Text: no NUL byte anywhere, no C0/C1 control character in a single-line field; multi-line
  free text (notes, reasons, message bodies) may hold tab, newline and carriage return.
  `InputModel` applies this to every field of a request schema (multi-line ones are marked
  `MultiLine`), and `Line`/`Text` to form fields and query parameters.
- Strict types: dates and times only as ISO 8601 text (never a number of seconds), whole
  numbers never as booleans or text (but 10.0 is 10: JSON numbers have no int/float kinds).

Pydantic's own message repeats the input value; ours never does, because it reaches logs.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg, as_msg

M = TypeVar("M", bound=BaseModel)

# Ids are 32-bit in the schema (PostgreSQL INTEGER): a larger number names no row.
MAX_ROW_ID = 2**31 - 1

# C0 controls, DEL and C1 controls; multi-line text may keep tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NUL_REASON = Msg("must not contain a NUL byte")
CONTROL_REASON = Msg("must not contain control characters")
LINE_BREAK_REASON = Msg("must not contain control characters other than tab and line breaks")


def check_text(value: str, *, multi_line: bool = False) -> str:
    """`value` unchanged, or ValueError naming the rule it breaks (never echoing it)."""
    if "\x00" in value:
        raise ValueError(NUL_REASON)
    if multi_line:
        if _CONTROL_BUT_LINE_BREAKS.search(value):
            raise ValueError(LINE_BREAK_REASON)
    elif _CONTROL.search(value):
        raise ValueError(CONTROL_REASON)
    return value


def check_texts(value: Any, *, multi_line: bool = False) -> Any:
    """check_text on every string in `value`, however nested in lists and dict keys/values."""
    if isinstance(value, str):
        check_text(value, multi_line=multi_line)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_texts(item, multi_line=multi_line)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_texts(key)
            check_texts(item, multi_line=multi_line)
    return value


def _single_line(value: Any) -> Any:
    return check_text(value) if isinstance(value, str) else value


def _multi_line(value: Any) -> Any:
    return check_text(value, multi_line=True) if isinstance(value, str) else value


# The same rules as JSON Schema patterns, so that /openapi.json states them (ECMA and Python
# regular expressions read them alike).
_SINGLE_LINE_REFUSED = "\\u0000-\\u001f\\u007f-\\u009f"
_MULTI_LINE_REFUSED = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
SINGLE_LINE_PATTERN = f"^[^{_SINGLE_LINE_REFUSED}]*$"
MULTI_LINE_PATTERN = f"^[^{_MULTI_LINE_REFUSED}]*$"
# What InputModel's str_strip_whitespace strips from both ends: Unicode White_Space (ECMA's
# \\s differs: it has U+FEFF and lacks U+0085, so the class is spelled out).
_WHITE_SPACE = (
    "\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)


@cache
def too_short_once_stripped(min_length: int) -> str:
    """A pattern matching text shorter than `min_length` once stripped (counting from the
    first to the last character that is not white space), for `"not": {"pattern": …}` where
    a field's text is stripped before its `minLength` is checked: "   " is blank, not three
    characters. (`maxLength` still counts the text as sent: stricter, not wrong.)"""
    space, solid = f"[{_WHITE_SPACE}]", f"[^{_WHITE_SPACE}]"
    if min_length <= 1:
        content = ""
    elif min_length == 2:
        content = f"{solid}?"
    else:
        content = f"(?:{solid}(?:[\\s\\S]{{0,{min_length - 3}}}{solid})?)?"
    return f"^{space}*{content}{space}*$"


def is_too_short_once_stripped(schema: dict[str, Any]) -> bool:
    """Whether `schema` carries too_short_once_stripped's rule (for /docs to say it in words)."""
    refused = schema.get("not")
    if not isinstance(refused, dict) or set(refused) != {"pattern"}:
        return False
    minimum = schema.get("minLength", 0)
    return bool(minimum) and refused["pattern"] == too_short_once_stripped(minimum)


def add_text_pattern(schema: dict[str, Any], pattern: str, *, stripped: bool = False) -> None:
    """Give every plain string in `schema` (however nested) the pattern, unless it has one;
    `stripped`: the strings are stripped before their `minLength` is checked."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        schema["pattern"] = pattern
        if stripped and schema.get("minLength", 0) > 0 and "not" not in schema:
            schema["not"] = {"pattern": too_short_once_stripped(schema["minLength"])}
    for combiner in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(combiner, ()):
            add_text_pattern(part, pattern, stripped=stripped)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            add_text_pattern(schema[key], pattern, stripped=stripped)
    names = schema.get("propertyNames")
    if isinstance(names, dict) and "pattern" not in names:
        names["pattern"] = SINGLE_LINE_PATTERN  # keys are single-line (check_texts)


class _TextRule:
    """Documents check_text in the JSON schema of a Line or Text field."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        add_text_pattern(schema, self.pattern)
        return schema


class SchemaPattern:
    """States in the JSON schema a rule the field's validator applies, as a `pattern` (and a
    `description` for people): `Annotated[str, AfterValidator(check), SchemaPattern(...)]`.
    The validator stays the rule; the pattern must accept exactly what it accepts."""

    def __init__(self, pattern: str, description: str | None = None) -> None:
        self.pattern = pattern
        self.description = description

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        if self.description:
            schema["description"] = self.description
        return schema


# For form fields and query parameters: `Annotated[Line, Form(max_length=100)]`.
Line = Annotated[str, BeforeValidator(_single_line), _TextRule(SINGLE_LINE_PATTERN)]
Text = Annotated[str, BeforeValidator(_multi_line), _TextRule(MULTI_LINE_PATTERN)]
# A Line of a narrower string type: `LineOf[Annotated[str, StringConstraints(pattern=…)]]`.
# `Annotated[Line, Query(pattern=…)]` would enforce the pattern but leave it out of the JSON
# schema: pydantic cannot place a pattern given outside a type with a validator of its own.
S = TypeVar("S", bound=str)
LineOf = Annotated[S, BeforeValidator(_single_line), _TextRule(SINGLE_LINE_PATTERN)]


class MultiLine:
    """Marks a field of an InputModel as free text that may hold tab and line breaks."""


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value
    raise ValueError(Msg("must be a date written YYYY-MM-DD"))


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.match(value.strip()):
        return value
    raise ValueError(Msg("must be a date and time in ISO 8601 with its UTC offset"))


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]
# Strict: never a boolean or text. A model reads its WholeNumber fields through whole_number
# (InputModel does so for every field that holds only whole numbers), so that 10.0 is 10.
WholeNumber = StrictInt


def whole_number(value: Any) -> Any:
    """An integral JSON number written with a fraction (10.0) as the int it is: JSON has one
    number type, and JSON Schema's "integer" counts 10.0 as one. Booleans, text and 10.5
    are left for StrictInt to refuse.

    A field-level "before" validator, not a BeforeValidator inside WholeNumber: pydantic
    cannot push the bounds of `Field(ge=…, le=…)` into a type that has its own validator
    function, and then documents them as `ge`/`le`, words JSON Schema does not know."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _whole_numbers_only(annotation: Any) -> bool:
    """Whether `annotation` holds int and nothing else but None (bool is no whole number)."""
    if annotation is int:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _whole_numbers_only(get_args(annotation)[0])
    if origin in (Union, UnionType):
        kinds = [arg for arg in get_args(annotation) if arg is not type(None)]
        return bool(kinds) and all(_whole_numbers_only(arg) for arg in kinds)
    return False


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    origin = get_origin(annotation)
    if origin is Annotated:
        return _holds_model(get_args(annotation)[0])
    if origin in (Union, UnionType) or origin is not None:
        return any(_holds_model(arg) for arg in get_args(annotation))
    return False


class InputModel(BaseModel):
    """Base of every request schema: unknown fields refused, text checked field by field,
    whole numbers read as whole_number does."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        kind = _field_kind(cls, info.field_name or "")
        if kind == "model":
            return value  # a nested InputModel checks its own fields, naming them
        if kind == "whole_number":
            return whole_number(value)
        return check_texts(value, multi_line=kind == "multi_line")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            kind = _field_kind(cls, name)
            if kind != "model":
                pattern = MULTI_LINE_PATTERN if kind == "multi_line" else SINGLE_LINE_PATTERN
                stripped = bool(cls.model_config.get("str_strip_whitespace"))
                add_text_pattern(prop, pattern, stripped=stripped)
        return schema


@cache
def _field_kind(model: type[BaseModel], name: str) -> str:
    field = model.model_fields.get(name)
    if field is None:
        return "single_line"
    if _holds_model(field.annotation):
        return "model"
    if _whole_numbers_only(field.annotation):
        return "whole_number"
    if any(isinstance(item, MultiLine) or item is MultiLine for item in field.metadata):
        return "multi_line"
    return "single_line"


def field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "input"


def describe(error: ValidationError) -> InvalidInput:
    problems = [
        (
            field_path(tuple(item["loc"])),
            as_msg(str(item["msg"]).removeprefix("Value error, ")),
        )
        for item in error.errors(include_input=False, include_url=False)
    ]
    return InvalidInput(*problems[0], problems=problems)


def validate_model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise describe(error) from None
