"""Policies to test against: the bundled one as editable data, written to a temporary file."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AS_PUBLISHED = REPO / "examples" / "policies" / "omilon-as-published.yaml"

_BUNDLED_TEXT = (
    resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml").read_text("utf-8")
)


@pytest.fixture
def as_published() -> Path:
    """The policy exactly as Omilon publishes it, outdated parts included."""
    return AS_PUBLISHED


WritePolicy = Callable[[dict[str, Any]], Path]


@pytest.fixture
def bundled_data() -> dict[str, Any]:
    """The bundled policy as plain data, parsed afresh so each test edits its own copy."""
    data: dict[str, Any] = yaml.safe_load(_BUNDLED_TEXT)
    return data


@pytest.fixture
def write_policy(tmp_path: Path) -> WritePolicy:
    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / "policy.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return write
