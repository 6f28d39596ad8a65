"""Turn Pydantic validation failures into one InvalidInput naming every bad field.

Pydantic's own message repeats the input value; ours never does, because it reaches logs.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dataskydd.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "input"


def describe(error: ValidationError) -> InvalidInput:
    problems = [
        (field_path(tuple(item["loc"])), str(item["msg"]).removeprefix("Value error, "))
        for item in error.errors(include_input=False, include_url=False)
    ]
    return InvalidInput(*problems[0], problems=problems)


def validate_model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise describe(error) from None
