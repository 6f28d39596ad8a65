"""The command line speaks Swedish or English: DATASKYDD_LANGUAGE, else the POSIX locale as
gettext reads it (LC_ALL, LC_MESSAGES, LANG); help, output lines, table headers and domain
errors all through the catalogues, machine-readable output unchanged, and English without
loading any catalogue (cli/__init__.py)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from dataskydd import cli
from dataskydd.datamap.entries import contact_category
from dataskydd.errors import ConfigurationError
from dataskydd.policy.schema import Policy
from tests.breaches.conftest import record_options
from tests.cli import processes
from tests.cli.conftest import Run

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

LOCALE = ("DATASKYDD_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
# The catalogue modules, and the policy package they once imported.
CATALOGUE_MODULES = ("polib", "dataskydd.catalogues", "dataskydd.policy")


def dataskydd(args: list[str], cwd: Path, **locale: str) -> tuple[str, str, int, list[str]]:
    """The command as a new process with only the given language variables: (stdout, stderr,
    exit code, catalogue modules it imported)."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE} | locale
    return processes.run_cli(args, cwd=cwd, watched=CATALOGUE_MODULES, env=env)


def words(text: str) -> str:
    """Help text as one line: it is wrapped at 80 columns, also after a hyphen."""
    return " ".join(re.sub(r"-\n\s+", "-", text).split())


# The rule, as a unit.


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in LOCALE:
        monkeypatch.delenv(name, raising=False)
    cli.language.cache_clear()
    yield monkeypatch
    cli.language.cache_clear()


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DATASKYDD_LANGUAGE": "sv"}, "sv"),
        ({"DATASKYDD_LANGUAGE": "en", "LANG": "sv_SE.UTF-8"}, "en"),
        ({"DATASKYDD_LANGUAGE": "sv", "LC_ALL": "C"}, "sv"),
        ({"DATASKYDD_LANGUAGE": "", "LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_FI.UTF-8"}, "sv"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "sv_SE.UTF-8"}, "en"),
        ({"LC_ALL": "POSIX", "LC_MESSAGES": "sv_SE.UTF-8"}, "en"),
        ({"LC_MESSAGES": "sv_SE.UTF-8", "LANG": "en_US.UTF-8"}, "sv"),
        ({"LC_ALL": "sv_SE.UTF-8", "LANG": "C"}, "sv"),
        ({"LC_ALL": "", "LANG": "sv_SE"}, "sv"),
        ({}, "en"),
    ],
    ids=lambda value: (
        " ".join(f"{k}={v}" for k, v in value.items()) or "nothing set"
        if isinstance(value, dict)
        else value
    ),
)
def test_the_language_rule(
    environment: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)
    assert cli.language() == expected


@pytest.mark.parametrize("value", ["de", "SV", "sv_SE", "svenska", "english"])
def test_another_language_value_is_a_configuration_error(
    environment: pytest.MonkeyPatch, value: str
) -> None:
    environment.setenv("DATASKYDD_LANGUAGE", value)
    with pytest.raises(ConfigurationError) as raised:
        cli.language()
    assert raised.value.exit_code == 6
    assert raised.value.message.startswith("DATASKYDD_LANGUAGE: must be sv (Swedish) or en")


# Help, through the command as it runs (a new process: help texts are made on import).


def test_the_top_level_help_in_swedish(tmp_path: Path) -> None:
    output, stderr, code, _ = dataskydd(["--help"], tmp_path, DATASKYDD_LANGUAGE="sv")
    assert code == 0, stderr
    text = words(output)
    assert "Policy som kod, ett personuppgiftsregister" in text
    assert "Talar svenska eller engelska: DATASKYDD_LANGUAGE=sv eller en" in text
    assert "Kommandon:" in output
    assert "Hitta registrerade och visa vad registret" in text
    assert "Personuppgiftsincidenter (GDPR art." in text
    assert "Commands:" not in output
    assert "Find subjects" not in text


def test_the_top_level_help_in_english_loads_no_catalogue(tmp_path: Path) -> None:
    output, stderr, code, loaded = dataskydd(["--help"], tmp_path, DATASKYDD_LANGUAGE="en")
    assert code == 0, stderr
    text = words(output)
    assert "Policy-as-code, a personal-data register" in text
    assert "Speaks Swedish or English: DATASKYDD_LANGUAGE=sv or en" in text
    assert "Commands:" in output
    assert "Find subjects and show what the register holds" in text  # shortened to the width
    assert loaded == []  # English is the message ids: no catalogue read, no policy package


def test_swedish_reads_the_catalogue_without_the_policy_package(tmp_path: Path) -> None:
    _, stderr, code, loaded = dataskydd(["--help"], tmp_path, DATASKYDD_LANGUAGE="sv")
    assert code == 0, stderr
    assert loaded == ["dataskydd.catalogues", "polib"]


@pytest.mark.parametrize(
    ("args", "swedish", "english"),
    [
        (
            ["subject", "show", "--help"],
            [
                "Allt om en registrerad, grupperat per kategori, för ett ändamål. Loggas.",
                "Varför du läser uppgifterna; policyn avgör vad som får visas.",
                "Den registrerades id (se `subject find`).",
                "Argument:",
                "Flaggor:",
                "[krävs]",
                "[standard: 50;",
            ],
            [
                "Everything about one subject, grouped by category, for a purpose. Audited.",
                "Why you read the data; the policy decides what it may see.",
                "Arguments:",
                "Options:",
                "[required]",
                "[default: 50;",
            ],
        ),
        (
            ["breaches", "record", "--help"],
            [
                "Registrera en personuppgiftsincident; de 72 timmarna",
                "När företaget fick kännedom om den (ÅÅÅÅ-MM-DD TT:MM, svensk tid).",
            ],
            [
                "Record a breach; the 72 hours to notify IMY run from --aware (art. 33.1).",
                "When the company became aware (YYYY-MM-DD HH:MM, Swedish).",
            ],
        ),
        (
            ["retention", "--help"],
            [
                "Gallring: radera det som policyns regler säger ska bort; bevarandebeslut.",
                "Fatta ett bevarandebeslut",
                "Kommandon:",
            ],
            [
                "Retention: erase what the policy's rules say is due; legal holds.",
                "Place a legal hold",
                "Commands:",
            ],
        ),
        (
            ["init", "--help"],
            [
                "Skapa databasen, dess tabeller, den hemliga nyckeln",
                "Kan köras igen utan risk",
            ],
            [
                "Create the database, its tables, the secret key",
                "Safe to run again",
            ],
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and "--help" in value else "",
)
def test_a_commands_help_in_both_languages(
    tmp_path: Path, args: list[str], swedish: list[str], english: list[str]
) -> None:
    for lang, expected, other in (("sv", swedish, english), ("en", english, swedish)):
        output, stderr, code, _ = dataskydd(args, tmp_path, DATASKYDD_LANGUAGE=lang)
        assert code == 0, stderr
        text = words(output)
        for line in expected:
            assert line in text, (lang, line)
        for line in other:
            assert line not in text, (lang, line)


def test_lang_sv_se_selects_swedish(tmp_path: Path) -> None:
    output, stderr, code, _ = dataskydd(["policy", "--help"], tmp_path, LANG="sv_SE.UTF-8")
    assert code == 0, stderr
    assert "Kontrollera policyfilen; skapa personuppgiftspolicyn" in words(output)


def test_lc_all_c_selects_english_over_a_swedish_lang(tmp_path: Path) -> None:
    output, stderr, code, loaded = dataskydd(
        ["policy", "--help"], tmp_path, LC_ALL="C", LANG="sv_SE.UTF-8"
    )
    assert code == 0, stderr
    assert "Check the policy file; render the privacy notice" in words(output)
    assert "polib" not in loaded
    assert "dataskydd.catalogues" not in loaded


@pytest.mark.parametrize("args", [["--help"], ["policy", "check"], ["audit", "verify"]])
def test_a_bad_language_is_one_line_and_exit_6(tmp_path: Path, args: list[str]) -> None:
    output, stderr, code, _ = dataskydd(args, tmp_path, DATASKYDD_LANGUAGE="de")
    assert code == 6
    assert stderr == (
        "error: DATASKYDD_LANGUAGE: must be sv (Swedish) or en (English), or unset to follow "
        "the locale (LC_ALL, LC_MESSAGES, LANG)\n"
    )
    assert "Traceback" not in stderr
    assert output == ""
    assert not (tmp_path / "dataskydd.db").exists()  # stopped before anything ran


def test_a_bad_language_is_said_in_the_locales_language(tmp_path: Path) -> None:
    _, stderr, code, _ = dataskydd(
        ["--help"], tmp_path, DATASKYDD_LANGUAGE="de", LANG="sv_SE.UTF-8"
    )
    assert code == 6
    assert stderr.startswith("fel: DATASKYDD_LANGUAGE: måste vara sv (svenska) eller en")


# Output lines, table headers and domain errors, through the CLI runner.


@pytest.fixture
def swedish() -> Iterator[None]:
    """The command in Swedish for this test: its output (help texts were made on import, in
    English, and stay so)."""
    # Every command module imported first, in English: one imported here for the first time
    # would keep Swedish help texts for the later tests of this worker (the registry test of
    # tests/cli/test_startup.py compared them with the English registry and failed).
    for module in {entry.module for entry in cli.COMMANDS.values()}:
        cli.load_commands(module)
    before = os.environ.get("DATASKYDD_LANGUAGE")
    os.environ["DATASKYDD_LANGUAGE"] = "sv"
    cli.language.cache_clear()
    cli.translations.cache_clear()
    yield
    if before is None:
        del os.environ["DATASKYDD_LANGUAGE"]
    else:
        os.environ["DATASKYDD_LANGUAGE"] = before
    cli.language.cache_clear()
    cli.translations.cache_clear()
    cli.translations()  # typer's own texts back in English for the tests after this one


def test_init_says_what_it_did_in_swedish(swedish: None, run: Run) -> None:
    result = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
    assert result.exit_code == 0, result.output
    assert "Skapade den hemliga nyckeln" in result.output
    assert "Databasen har det senaste schemat." in result.output
    assert "Skapade administratörskontot" in result.output
    assert "Created" not in result.output
    again = run("init")
    assert "Det finns redan personalkonton; inget administratörskonto skapades." in again.output


def test_init_says_what_it_did_in_english(run: Run) -> None:
    result = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
    assert result.exit_code == 0, result.output
    assert "Database is at the latest schema." in result.output
    assert "Databasen" not in result.output


def test_a_table_and_its_summary_in_swedish(swedish: None, run: Run, initialised: Result) -> None:
    result = run("retention", "plan", "--today", "2026-01-15")
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[1]
    for title in ("System", "Tabell", "Kategori", "Förfaller", "Registrerade", "Regel"):
        assert title in header, header
    assert "rad(er) ska gallras 2026-01-15; inget ändrades." in result.output
    assert "nothing was changed" not in result.output


def test_the_same_table_in_english(run: Run, initialised: Result) -> None:
    result = run("retention", "plan", "--today", "2026-01-15")
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[1]
    for title in ("system", "table", "category", "due", "subjects", "rule"):
        assert title in header, header
    assert "row(s) due on 2026-01-15; nothing was changed." in result.output


def test_json_stays_as_it_is_in_swedish(swedish: None, run: Run, initialised: Result) -> None:
    result = run("retention", "plan", "--today", "2026-01-15", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["today"] == "2026-01-15"
    assert {"system", "table", "category", "rows_due"} <= set(report["lines"][0])


def test_a_domain_error_in_swedish(swedish: None, run: Run, initialised: Result) -> None:
    result = run("retention", "report")
    assert result.exit_code == 3
    assert result.stderr == "fel: ingen gallringskörning ännu\n"


def test_a_domain_error_in_english(run: Run, initialised: Result) -> None:
    result = run("retention", "report")
    assert result.exit_code == 3
    assert result.stderr == "error: no retention run yet\n"


def test_an_error_made_of_messages_in_swedish(swedish: None, run: Run, initialised: Result) -> None:
    # InvalidInput's "field: reason", each part translated.
    result = run("import", "subjects", "kunder.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        "fel: mapping: ange --mapping MAP.yaml (eller --suggest för ett förslag)\n"
    )


def test_output_lines_and_a_confirmation_question_in_swedish(
    swedish: None, run: Run, initialised: Result, policy: Policy
) -> None:
    recorded = run("breaches", "record", *record_options(policy))
    assert recorded.exit_code == 0, recorded.output
    lines = recorded.output.splitlines()
    assert lines[0] == "Incident 1: Kundlista till fel mottagare (open)"
    assert lines[1].startswith("Kännedom (Stockholm): ")
    assert "  tidsfrist: " in lines[1]
    assert lines[2].startswith("Kvar: 69 h ") or lines[2].startswith("Kvar: 70 h ")
    asked = run("breaches", "notify-subjects", "1", "--category", contact_category(), input="n\n")
    assert asked.exit_code == 1
    assert "Informera 0 registrerad(e)? [y/N]:" in asked.output
