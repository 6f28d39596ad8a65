"""The README's test command is exactly what CI runs, and every command has --help."""

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from dataskydd.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    (command,) = [line for line in ci_lines if "pytest" in line and "pip install" in line]
    readme = (ROOT / "README.md").read_text()
    assert f"\n{command}\n" in readme


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(get_command(app), [])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "dataskydd")
def test_every_command_has_help(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3
