"""The policy is the only source of truth: no purpose, role or banner-choice key of the bundled
policy is written in the code. (Category keys are still named by the register's data map in
datamap/entries.py, which becomes a YAML file with issue 10; the code elsewhere names columns
and asks the map for their category.)"""

from __future__ import annotations

import ast
import inspect
from enum import Enum
from pathlib import Path
from typing import Literal, get_args, get_origin

from pydantic import BaseModel

from dataskydd.policy import schema
from dataskydd.policy.loader import load_bundled_policy

SRC = Path(__file__).resolve().parents[2] / "src" / "dataskydd"


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def _schema_vocabulary() -> set[str]:
    """Words of the policy file's own schema (field names, enum values): `dpo`, `statistics`
    in `system_purposes.statistics`, `bookkeeping` as a retention kind. The bundled policy's
    keys may share them; the code naming the schema is not the code naming a key."""
    words: set[str] = set()
    for _name, item in inspect.getmembers(schema, inspect.isclass):
        if issubclass(item, BaseModel) and item.__module__ == schema.__name__:
            words |= set(item.model_fields)
            for field in item.model_fields.values():
                if get_origin(field.annotation) is Literal:
                    words |= {str(arg) for arg in get_args(field.annotation)}
        elif issubclass(item, Enum) and item.__module__ == schema.__name__:
            words |= {str(member.value) for member in item}
    return words


# Literals that equal a key by coincidence, each with why.
COINCIDENCES = {
    ("cli/setup.py", "admin"): "the default username of the first account, not a role key",
}


def test_no_purpose_role_or_banner_key_of_the_bundled_policy_is_a_literal() -> None:
    policy = load_bundled_policy()
    keys = set(policy.purposes) | set(policy.roles)
    if policy.consent_banner is not None:
        keys |= set(policy.consent_banner.purposes)
    keys -= _schema_vocabulary()
    assert {"customer_relationship", "marketing", "customer_service"} <= keys
    offending = [
        f"{path.relative_to(SRC)}:{line}: {value!r}"
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
        for line, value in _string_constants(path)
        if value in keys and (str(path.relative_to(SRC)), value) not in COINCIDENCES
    ]
    assert offending == []


def test_javascript_names_no_banner_choice() -> None:
    policy = load_bundled_policy()
    assert policy.consent_banner is not None
    script = (SRC / "web" / "static" / "consent.js").read_text(encoding="utf-8")
    named = [key for key in policy.consent_banner.purposes if f'"{key}"' in script]
    assert named == []
