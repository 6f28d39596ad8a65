"""Usage errors and the usage line in the command's language (cli/click_texts.py): the click
that typer bundles writes them in English only; a Swedish operator reads them in Swedish,
an English one exactly as click writes them, with click's exit code 2."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer._click.exceptions import ClickException

from dataskydd.cli import click_texts
from tests.cli.test_cli_language import dataskydd

pytestmark = pytest.mark.every_company


@pytest.mark.parametrize(
    ("args", "swedish", "english"),
    [
        (
            ["subject", "show"],
            [
                "Användning: dataskydd subject show [FLAGGOR] {subject_id}",
                "Skriv 'dataskydd subject show --help' för hjälp.",
                "Fel: Argumentet 'subject_id' saknas.",
            ],
            [
                "Usage: dataskydd subject show [OPTIONS] {subject_id}",
                "Try 'dataskydd subject show --help' for help.",
                "Error: Missing argument 'subject_id'.",
            ],
        ),
        (
            ["subject", "show", "1", "--purpose"],
            ["Fel: Flaggan '--purpose' behöver ett värde."],
            ["Error: Option '--purpose' requires an argument."],
        ),
        (
            ["audit", "verify", "--jsn"],
            ["Fel: Ingen sådan flagga: --jsn (möjliga flaggor: --json)"],
            ["Error: No such option: --jsn (Possible options: --json)"],
        ),
        (
            ["jobs", "list", "extra"],
            ["Fel: Oväntade extra argument (extra)"],
            ["Error: Got unexpected extra argument(s) (extra)"],
        ),
        (
            ["jobs", "lista"],
            ["Fel: Inget sådant kommando: 'lista'. Menade du 'list'?"],
            ["Error: No such command 'lista'. Did you mean 'list'?"],
        ),
        (
            ["serve", "--port", "0"],
            ["Fel: Ogiltigt värde för '--port': ska vara minst 1"],
            ["Error: Invalid value for '--port': Input should be greater than or equal to 1"],
        ),
        (
            ["serve", "--port", "åtta"],
            ["Fel: Ogiltigt värde för '--port': ska vara ett heltal"],
            ["Error: Invalid value for '--port': Input should be a valid integer"],
        ),
        (
            ["policy", "notice", "--lang", "fi"],
            ["Fel: Ogiltigt värde för '--lang': 'fi' är inget av 'sv', 'en'."],
            ["Error: Invalid value for '--lang': Value error, 'fi' is not one of 'sv', 'en'."],
        ),
        (
            ["--verbose"],
            [
                "Användning: dataskydd [FLAGGOR] KOMMANDO [ARGUMENT]...",
                "Fel: Ingen sådan flagga: --verbose",
            ],
            [
                "Usage: dataskydd [OPTIONS] COMMAND [ARGS]...",
                "Error: No such option: --verbose",
            ],
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and value[0] != "" else "",
)
def test_a_usage_error_in_both_languages(
    tmp_path: Path, args: list[str], swedish: list[str], english: list[str]
) -> None:
    for lang, expected, other in (("sv", swedish, english), ("en", english, swedish)):
        output, stderr, code, _ = dataskydd(args, tmp_path, DATASKYDD_LANGUAGE=lang)
        assert code == 2, (lang, output, stderr)
        for line in expected:
            assert line in stderr, (lang, line, stderr)
        for line in other:
            assert line not in stderr, (lang, line)
        assert "Traceback" not in stderr


def test_the_help_options_text_and_usage_line_in_swedish(tmp_path: Path) -> None:
    output, stderr, code, _ = dataskydd(["jobs", "--help"], tmp_path, DATASKYDD_LANGUAGE="sv")
    assert code == 0, stderr
    assert output.startswith("Användning: dataskydd jobs [FLAGGOR] KOMMANDO")
    assert "--help  Visa den här hjälpen och avsluta." in output
    assert "Show this message" not in output
    assert "Usage" not in output


# Every kind of usage error typer and its click give, from a command that has each kind of
# parameter: each must come out translated, or a typer upgrade has changed a text.


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


_demo = typer.Typer()


@_demo.command()
def _paint(
    colour: Annotated[Colour, typer.Argument()],
    wall: Annotated[Path, typer.Option(exists=True)],
    coats: Annotated[int, typer.Option(min=1, max=3)] = 1,
    share: Annotated[float, typer.Option(min=0, max=1)] = 0.5,
    pair: Annotated[tuple[int, int], typer.Option()] = (1, 2),
    dry: Annotated[bool, typer.Option()] = False,
) -> None:
    pass


def _marked(text: str) -> str:
    return f"«{text}»"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["green", "--wall", "."],
        ["red", "--wall", "/no/such/wall"],
        ["red", "--wall", ".", "--coats", "4"],
        ["red", "--wall", ".", "--coats", "0"],
        ["red", "--wall", ".", "--coats", "two"],
        ["red", "--wall", ".", "--share", "half"],
        ["red", "--wall", ".", "--share", "2"],
        ["red", "--wall", ".", "--pair", "1"],
        ["red", "--wall", ".", "--coats"],
        ["red", "--wall", ".", "--dry=yes"],
        ["red", "--wall", ".", "--colour", "red"],
        ["red", "--wall", ".", "extra"],
        ["red"],
    ],
    ids=" ".join,
)
def test_every_kind_of_usage_error_is_translated(args: list[str]) -> None:
    with pytest.raises(ClickException) as raised:
        _demo(args, standalone_mode=False)
    message = click_texts.message_of(raised.value, _marked)
    # The frame and, for a bad value, the reason: both from the catalogue.
    assert message.startswith("«"), message
    if "Invalid value" in message:
        assert message.count("«") >= 2, message


def test_a_message_outside_the_templates_is_kept_as_click_wrote_it() -> None:
    assert click_texts.translate_text("Something new in typer.", _marked) == (
        "Something new in typer."
    )


def test_a_templates_parts_are_kept_and_its_kind_translated() -> None:
    text = click_texts.translate_text("file '/a b/c.csv' does not exist.", _marked)
    assert text == "««file» '/a b/c.csv' does not exist.»"
