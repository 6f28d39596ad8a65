"""Read a policy file into a `Policy`, with errors that point at the line to fix (the YAML
reading itself, shared with the data map files, is `dataskydd/yaml_files.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dataskydd.errors import DataskyddError
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy
from dataskydd.yaml_files import (
    Form,
    Locations,
    YamlPath,
    format_path,
    line_of,
    parse_document,
    read_bounded,
)

__all__ = [
    "MAX_POLICY_BYTES",
    "Locations",
    "PolicyDocument",
    "PolicyError",
    "YamlPath",
    "format_path",
    "line_of",
    "load_bundled_document",
    "load_bundled_policy",
    "load_policy",
    "load_policy_document",
    "parse_policy",
    "parse_policy_document",
]


class PolicyError(DataskyddError):
    """The policy file cannot be read or does not match the schema."""

    status_code = 422
    exit_code = 2


# A real policy is some tens of kilobytes; the bound is checked before anything is parsed.
MAX_POLICY_BYTES = 1_000_000
POLICY_FILE = Form(
    noun=Msg("policy file"),
    error=PolicyError,
    max_bytes=MAX_POLICY_BYTES,
    size_hint=Msg("a policy file is some tens of kilobytes"),
    tag_hint="needs a `kind` (bookkeeping, while_customer, after_creation or while_consent)",
)


@dataclass(frozen=True)
class PolicyDocument:
    policy: Policy
    source_name: str
    # 1-based line of every mapping key and sequence item, by YAML path.
    locations: Locations


def load_policy(path: Path | str) -> Policy:
    return load_policy_document(path).policy


def load_policy_document(path: Path | str) -> PolicyDocument:
    text, name = read_bounded(path, POLICY_FILE)
    return parse_policy_document(text, name)


@lru_cache(maxsize=1)
def load_bundled_document() -> PolicyDocument:
    text = resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml").read_text("utf-8")
    return parse_policy_document(text, "omilon.yaml")


def load_bundled_policy() -> Policy:
    return load_bundled_document().policy


def parse_policy(text: str, source_name: str) -> Policy:
    return parse_policy_document(text, source_name).policy


def parse_policy_document(text: str, source_name: str) -> PolicyDocument:
    policy, locations = parse_document(text, source_name, Policy, POLICY_FILE)
    return PolicyDocument(policy=policy, source_name=source_name, locations=locations)
