"""The README's test command is exactly what CI runs, its commands install the extras they
use, and every command has --help."""

import re
import tomllib
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


def _extras_installed(command: str) -> set[str]:
    """The extras a `pip install` of this checkout installs, with those they name in turn
    (`test` names `dataskydd[demo]`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional: dict[str, list[str]] = project["optional-dependencies"]
    found = re.search(r"pip install (?:-q )?(?:-e )?'?\.(?:\[([a-z,]+)\])?'?(?: |$)", command)
    assert found, command
    todo, extras = (found.group(1) or "").split(","), set()
    while todo:
        extra = todo.pop()
        if extra and extra not in extras:
            extras.add(extra)
            for requirement in optional[extra]:
                named = re.fullmatch(r"dataskydd\[([a-z,]+)\]", requirement)
                todo += named.group(1).split(",") if named else []
    return extras


def test_faker_is_the_demo_extra_not_a_dependency() -> None:
    # Issue 13: only `dataskydd demo` uses Faker, so a plain install goes without it.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[\s<>=!~;\[]", dep)[0].lower() for dep in project["dependencies"]]
    assert "faker" not in names
    assert [dep.split(">")[0] for dep in project["optional-dependencies"]["demo"]] == ["faker"]


def test_every_install_command_has_the_extras_it_uses() -> None:
    """The README's try-it command runs `dataskydd demo`, so it installs the demo extra; the
    test command (CI's) runs the demo's tests, so its extra includes the demo's."""
    readme = (ROOT / "README.md").read_text()
    commands = [line for line in readme.splitlines() if "pip install" in line and "&&" in line]
    try_it, tests = commands
    assert "dataskydd demo" in try_it
    assert "demo" in _extras_installed(try_it)
    assert "pytest" in tests
    assert {"test", "demo"} <= _extras_installed(tests)


def test_extras_of_a_plain_install_are_none() -> None:
    assert _extras_installed("python -m pip install -e . && dataskydd init") == set()


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
