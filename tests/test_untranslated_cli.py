"""Swedish first, English complete, on the command line too: every text `dataskydd` shows (help,
output lines, table headers, progress labels, questions, errors) goes through the catalogues
with `_()` (cli/__init__.py), and every such message has its Swedish in a `.po` file.

Two checks, as for the pages: the source of src/dataskydd/cli is read (ast) for text handed to
the terminal without `_()`, which would reach a Swedish operator in English; and the messages
are extracted the way a translator's tool does (Babel), each required in Swedish. typer's own
texts (section titles, "required", "default: …"), which the command translates as well, are
extracted from typer itself, so a typer upgrade with a new text fails here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
import typer.core
from babel.messages.extract import extract_from_file

from dataskydd.messages_i18n import placeholders

SOURCE = Path(__file__).resolve().parents[1] / "src" / "dataskydd"
CLI = SOURCE / "cli"
SWEDISH = SOURCE / "web" / "locales" / "sv" / "LC_MESSAGES"
# N_: a text marked for the catalogue and translated where it is shown (cli/click_texts.py).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "Msg": None, "N_": None}
TRANSLATE = {"_", "gettext", "ngettext"}
# Calls whose first argument a person reads; Table's every column title; and keywords that
# are help or titles wherever they appear.
SHOWN_FIRST = {
    "echo",
    "secho",
    "confirm",
    "prompt",
    "print",
    "rule",
    "status",
    "add_task",
    "BadParameter",
    "_say",
}
SHOWN_ALL = {"Table"}
SHOWN_KEYWORDS = {"help", "title"}
# Not words of a sentence: names and formats the same in both languages.
NOT_WORDS = {"IMY", "SHA-256", "JSON", "CSV", "PDF"}
_MARKUP = re.compile(r"\[/?[a-z ]+\]|\{[^{}]*\}")
_WORD = re.compile(r"[^\W\d_][\w.-]*")


def has_words(text: str) -> bool:
    """Whether a literal holds words, once Rich markup and `{fields}` are taken out."""
    return any(word not in NOT_WORDS for word in _WORD.findall(_MARKUP.sub(" ", text)))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def why_untranslated(node: ast.expr) -> str | None:
    """Why a text shown to a person does not come from the catalogues, or None when it does
    (or is not text the source spells out: a variable, a value, a call)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return f"the literal {node.value!r}" if has_words(node.value) else None
    if isinstance(node, ast.JoinedStr):
        parts = "".join(
            str(value.value) for value in node.values if isinstance(value, ast.Constant)
        )
        return f"an f-string with the words {parts!r}" if has_words(parts) else None
    if isinstance(node, ast.BinOp):
        return why_untranslated(node.left) or why_untranslated(node.right)
    if isinstance(node, ast.IfExp):
        return why_untranslated(node.body) or why_untranslated(node.orelse)
    if isinstance(node, ast.Call) and _name(node.func) == "format":
        assert isinstance(node.func, ast.Attribute)
        return why_untranslated(node.func.value)
    return None


def _shown(call: ast.Call) -> Iterator[ast.expr]:
    name = _name(call.func)
    if name in SHOWN_FIRST and call.args:
        yield call.args[0]
    if name in SHOWN_ALL:
        yield from call.args
    for keyword in call.keywords:
        if keyword.arg in SHOWN_KEYWORDS:
            yield keyword.value


def _without_help(call: ast.Call) -> bool:
    return not any(keyword.arg == "help" for keyword in call.keywords)


def _groups(tree: ast.Module) -> Iterator[ast.Call]:
    """The module's command groups: `app = typer.Typer(...)` at its top level."""
    for statement in tree.body:
        value = statement.value if isinstance(statement, ast.Assign) else None
        if isinstance(value, ast.Call) and _name(value.func) == "Typer":
            yield value


def untranslated(files: list[tuple[Path, ast.Module]]) -> list[str]:
    found = []
    for path, tree in files:
        where = path.relative_to(SOURCE.parent)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            translates = isinstance(node.func, ast.Name) and name in TRANSLATE
            if translates and not all(_is_literal(arg) for arg in node.args[:2]):
                found.append(f"{where}:{node.lineno}: {name}() of a text that is not a literal")
                continue
            for shown in _shown(node):
                why = why_untranslated(shown)
                if why:
                    found.append(f"{where}:{shown.lineno}: {name}(...) shows {why}")
            # Without help=, typer shows the function's docstring: English only.
            if name == "command" and _without_help(node):
                found.append(f"{where}:{node.lineno}: a command without help=_(...)")
        for group in _groups(tree):
            if _without_help(group):
                found.append(f"{where}:{group.lineno}: a command group without help=_(...)")
    return found


def _files() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(CLI.glob("*.py"))]


def _swedish() -> dict[str, polib.POEntry]:
    return {
        entry.msgid: entry
        for po in sorted(SWEDISH.glob("*.po"))
        for entry in polib.pofile(str(po)).translated_entries()
    }


def test_every_text_the_command_shows_is_translated() -> None:
    found = untranslated(_files())
    assert not found, f"{len(found)} texts outside the catalogues:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ('console.print("No subject matches.")', "the literal"),
        ('typer.echo(f"Wrote {out}", err=True)', "an f-string"),
        ('typer.confirm("Erase now?")', "the literal"),
        ('Table(_("id"), _("kind"), "name")', "'name'"),
        ('Table(_("table"), title="Erasure plan")', "'Erasure plan'"),
        ('typer.Option(help="Print JSON.")', "the literal"),
        ('console.print(_("Erased.") + " Kept: " + kept)', "' Kept: '"),
        ('raise typer.BadParameter("is a file")', "the literal"),
        ('console.print("Purpose: {p}".format(p=p))', "the literal"),
        ('typer.echo(_(f"Wrote {out}"))', "not a literal"),
        ('@app.command("find")\ndef find() -> None:\n    """Find subjects."""', "without help"),
        ("app = typer.Typer(no_args_is_help=True)", "group without help"),
    ],
)
def test_the_check_finds_untranslated_text(source: str, complaint: str) -> None:
    found = untranslated([(CLI / "example.py", ast.parse(source))])
    assert found, source
    assert complaint in found[0], found


@pytest.mark.parametrize(
    "source",
    [
        'console.print(_("No subject matches."))',
        'typer.echo(_("Wrote {out}").format(out=out), err=True)',
        'Table(_("id"), _("kind"), "IMY", title=_("Erasure plan"))',
        "typer.echo(text, nl=False)",
        "typer.echo(f\"{data['key']}: {name} — {status}\")",
        'console.print(f"[bold]{title}[/bold]")',
        'typer.echo("  " + _("agreement {id}").format(id=1))',
        '@app.command("find", help=_("Find subjects."))\ndef find() -> None:\n    pass',
        'app = typer.Typer(help=_("The audit log."), no_args_is_help=True)',
    ],
)
def test_the_check_accepts_translated_text(source: str) -> None:
    assert untranslated([(CLI / "example.py", ast.parse(source))]) == []


def _cli_messages() -> Iterator[tuple[str, str]]:
    for path in sorted(CLI.glob("*.py")):
        for lineno, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            text = message if isinstance(message, str) else message[0]
            if text:
                yield f"{path.name}:{lineno}", text


def test_every_cli_message_has_swedish_with_its_placeholders() -> None:
    messages = list(_cli_messages())
    # Guards the test: an extraction that found nothing would pass everything below.
    assert len(messages) > 400
    assert any(text == "No subject matches." for _where, text in messages)
    swedish = _swedish()
    missing = [f"{where}: {text!r}" for where, text in messages if text not in swedish]
    assert not missing, "no Swedish for:\n" + "\n".join(missing)
    changed = [
        f"{where}: {text!r} -> {swedish[text].msgstr!r}"
        for where, text in messages
        if placeholders(text) != placeholders(swedish[text].msgstr)
    ]
    assert not changed, "placeholders differ:\n" + "\n".join(changed)


def test_typers_own_texts_have_swedish() -> None:
    extracted = extract_from_file("python", typer.core.__file__, keywords={"_": None})
    found = [text for _line, text, _comments, _context in extracted]
    assert {"Options", "Arguments", "Commands", "required", "default: {default}"} <= set(found)
    swedish = _swedish()
    assert [text for text in found if text not in swedish] == []
