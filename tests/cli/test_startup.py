"""The command starts fast: `--help` and light commands import neither the web app nor the
heavy libraries, every command in the registry is the one its module defines, and the demo
says which extra to install when Faker is missing (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataskydd.cli import COMMANDS, app, load_commands
from dataskydd.cli import demo as demo_cli
from tests.cli import processes

# Modules a start-up must not pay for unless its command needs them.
HEAVY = ("fastapi", "reportlab", "faker", "holidays", "uvicorn", "huey", "dataskydd.web")
WATCHED = (*HEAVY, "sqlalchemy", "dataskydd.all_models")


def run_cli(args: list[str], *, cwd: Path, prelude: str = "") -> tuple[str, str, int, list[str]]:
    """(stdout before the marker, stderr, exit code, heavy modules imported)."""
    return processes.run_cli(args, cwd=cwd, watched=WATCHED, prelude=prelude)


def test_help_lists_every_command_without_importing_any(tmp_path: Path) -> None:
    output, _, code, loaded = run_cli(["--help"], cwd=tmp_path)
    assert code == 0
    listed = [
        line.split()[0]
        for line in output.split("Commands:\n", 1)[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    assert listed == list(COMMANDS)
    # Not even SQLAlchemy: the help is the registry's text and Typer's.
    assert loaded == []


def test_help_shows_each_commands_own_first_line() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name, entry in COMMANDS.items():
        shown = next(line for line in result.output.splitlines() if line.split()[:1] == [name])
        text = shown.split(maxsplit=1)[1].removesuffix("...")
        assert entry.help.startswith(text), (name, text)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_registry_matches_the_command_its_module_defines(name: str) -> None:
    entry = COMMANDS[name]
    commands = load_commands(entry.module)
    # Each module defines only commands the registry lists, under that module.
    assert {COMMANDS[defined].module for defined in commands} == {entry.module}
    command = commands[name]
    assert command.help is not None
    own_help = " ".join(command.help.split())
    assert own_help.startswith(" ".join(entry.help.split())), (name, own_help)


@pytest.mark.parametrize(
    "args",
    [["policy", "notice"], ["policy", "--help"], ["subject", "show", "--help"]],
    ids=" ".join,
)
def test_light_commands_import_no_web_app_or_pdf(tmp_path: Path, args: list[str]) -> None:
    output, stderr, code, loaded = run_cli(args, cwd=tmp_path)
    assert code == 0, stderr
    assert output.strip()
    assert [module for module in loaded if _is_heavy(module)] == []


def _is_heavy(module: str) -> bool:
    return any(module == heavy or module.startswith(f"{heavy}.") for heavy in HEAVY)


def test_policy_notice_needs_no_database_library(tmp_path: Path) -> None:
    _, stderr, code, loaded = run_cli(["policy", "notice", "--format", "md"], cwd=tmp_path)
    assert code == 0, stderr
    assert not [module for module in loaded if module.startswith("sqlalchemy")]


def test_demo_without_faker_names_the_extra(tmp_path: Path) -> None:
    # Faker made unimportable, as in an installation without the `demo` extra.
    _, stderr, code, _ = run_cli(
        ["demo", "--customers", "3"], cwd=tmp_path, prelude="sys.modules['faker'] = None"
    )
    assert code == 6
    assert "pip install 'dataskydd[demo]'" in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "dataskydd.db").exists()  # refused before opening the database


def test_demo_help_works_without_faker(tmp_path: Path) -> None:
    output, stderr, code, _ = run_cli(
        ["demo", "--help"], cwd=tmp_path, prelude="sys.modules['faker'] = None"
    )
    assert code == 0, stderr
    assert f"1–{demo_cli.MAX_CUSTOMERS:,}" in " ".join(output.split())


def test_the_demo_help_states_the_generators_limit() -> None:
    pytest.importorskip("faker")
    from dataskydd.demo import generator

    assert demo_cli.MAX_CUSTOMERS == generator.MAX_CUSTOMERS


# The libraries of pyproject.toml's extras, and the only modules that may need one to import;
# everything else must load without them, as in `pip install dataskydd`.
EXTRAS = ("faker", "numpy", "scipy")
EXTRA_MODULES = {"dataskydd.demo", "dataskydd.recommendations.cooccurrence"}
WALK = """
import importlib, json, pkgutil, sys
for name in json.loads(sys.argv[1]):
    sys.modules[name] = None
import dataskydd
failed = {}
for info in pkgutil.walk_packages(dataskydd.__path__, "dataskydd."):
    if ".migrations." in info.name:
        continue
    try:
        importlib.import_module(info.name)
    except ImportError as error:
        failed[info.name] = str(error)
print(json.dumps(failed))
"""


def test_without_the_extras_only_their_own_modules_fail_to_import() -> None:
    # The quick start installs `.[demo]`, without scipy: the web app, the job list, the
    # registerutdrag and serving must all load (serve once crashed on `import numpy`).
    ran = subprocess.run(
        [sys.executable, "-c", WALK, json.dumps(list(EXTRAS))],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    failed = json.loads(ran.stdout)
    assert set(failed) == EXTRA_MODULES, failed
    assert "dataskydd.web.app" not in failed


def test_training_without_scipy_names_the_extra(tmp_path: Path) -> None:
    _, stderr, code, _ = run_cli(["init"], cwd=tmp_path)
    assert code == 0, stderr
    _, stderr, code, _ = run_cli(
        ["recommendations", "train"],
        cwd=tmp_path,
        prelude="sys.modules['numpy'] = None; sys.modules['scipy'] = None",
    )
    assert code == 6
    assert "pip install 'dataskydd[recommendations]'" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "args", [["init"], ["audit", "verify"], ["recommendations", "train"]], ids=" ".join
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, args: list[str]) -> None:
    # An empty key once gave every command pydantic's traceback (commands that read the
    # settings before `serve`'s own check did).
    _, stderr, code, _ = run_cli(
        args,
        cwd=tmp_path,
        prelude="import os; os.environ['DATASKYDD_SECRET_KEY'] = 'too-short-secret'",
    )
    assert code == 6
    assert stderr.startswith("error: DATASKYDD_SECRET_KEY: ")
    assert "Traceback" not in stderr
    assert "too-short-secret" not in stderr


def test_a_bad_import_limit_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "kunder.csv").write_text("namn\nAda\n", encoding="utf-8")
    _, stderr, code, _ = run_cli(
        ["import", "subjects", "kunder.csv", "--suggest"],
        cwd=tmp_path,
        prelude="import os; os.environ['DATASKYDD_IMPORT_MAX_FILE_BYTES'] = '12'",
    )
    assert code == 6
    assert stderr.startswith("error: DATASKYDD_IMPORT_MAX_FILE_BYTES: ")
    assert "Traceback" not in stderr
