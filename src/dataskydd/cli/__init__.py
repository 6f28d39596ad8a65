"""The `dataskydd` command: a thin Typer tree over the service functions.

Sub-commands are loaded only when invoked: their modules import SQLAlchemy's models, the web
app, reportlab and the like, which a `--help` or a `policy check` must not wait for. The
registry below names each command's module and keeps its one-line help, so `dataskydd --help`
lists every command without importing any of them (tests/cli/test_startup.py checks both).

The command speaks Swedish or English (`language()`), every text through the gettext
catalogues with `_()`; help texts are translated when their module is imported, since the
language is fixed for the process. English loads no catalogue at all.
"""

from __future__ import annotations

import gettext
import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

import typer
from typer import core as typer_core
from typer._click.exceptions import ClickException
from typer.core import TyperCommand, TyperGroup
from typer.main import get_group

from dataskydd.cli import click_texts
from dataskydd.errors import ConfigurationError, DataskyddError
from dataskydd.messages_i18n import Msg

if TYPE_CHECKING:
    from dataskydd.policy.schema import Lang

LANGUAGE_VARIABLE = "DATASKYDD_LANGUAGE"
# The POSIX locale variables in gettext's order; LC_ALL overrides the others.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def locale_language() -> Lang:
    """The language of the POSIX locale: the first of LC_ALL, LC_MESSAGES and LANG that is
    set; Swedish when it starts with "sv", English for anything else (C and POSIX too)."""
    for name in LOCALE_VARIABLES:
        value = os.environ.get(name, "")
        if value:
            return "sv" if value.startswith("sv") else "en"
    return "en"


@cache
def language() -> Lang:
    """The command's language: DATASKYDD_LANGUAGE (sv or en) when set, else the locale's.
    Fixed for the process; ConfigurationError for any other value."""
    chosen = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    if not chosen:
        return locale_language()
    if chosen == "sv":
        return "sv"
    if chosen == "en":
        return "en"
    raise ConfigurationError(
        Msg(
            "DATASKYDD_LANGUAGE: must be sv (Swedish) or en (English), or unset to follow "
            "the locale (LC_ALL, LC_MESSAGES, LANG)"
        )
    )


@cache
def translations() -> gettext.NullTranslations:
    """The catalogue of the command's language, loaded once, on the first text translated.
    With a bad DATASKYDD_LANGUAGE the locale decides (the root command then says what is
    wrong and stops, before anything else runs)."""
    try:
        chosen = language()
    except ConfigurationError:
        chosen = locale_language()
    if chosen == "en":
        loaded = gettext.NullTranslations()  # the message ids are the English texts
    else:
        from dataskydd import catalogues

        loaded = catalogues.translations(chosen)
    # Typer translates its own texts (the help's section titles, "required", "default: …")
    # with the `_` its core module imported from the stdlib's gettext, which knows only .mo
    # files on disk: that name is pointed at this catalogue. (The click that typer bundles
    # writes its texts, "Usage:" and the usage errors, in English only: click_texts.py.)
    typer_core._ = loaded.gettext  # type: ignore[attr-defined]
    return loaded


def _(message: str) -> str:
    """A text of the command in its language (the message id is the English text)."""
    return translations().gettext(message)


click_texts.use(_)


def render(message: str) -> str:
    """A domain message (a `Msg`: an error's, a service's reason) in the command's language;
    any other text as it is."""
    return message.render(_) if isinstance(message, Msg) else message


class Entry(NamedTuple):
    module: str  # under dataskydd.cli; it has `register(root)` or a Typer `app`
    help: str  # the first line of the command's own help, shown by `dataskydd --help`


# In the order `dataskydd --help` lists them.
COMMANDS: dict[str, Entry] = {
    "init": Entry(
        "setup",
        _("Create the database, its tables, the secret key and the first admin account."),
    ),
    "demo": Entry(
        "demo",
        _(
            "Add demo customers, suppliers and their history to the register (one "
            "transaction), then rows for a share of the customers to each other system of the "
            "data map with a URL."
        ),
    ),
    "serve": Entry(
        "serve", _("Run the web app (staff pages, /api/v1, the public privacy notice).")
    ),
    "outbox": Entry(
        "requests", _("Show the outbox (audited: it holds correspondence), or send what is unsent.")
    ),
    "reclaim": Entry(
        "maintenance",
        _("Make erased values leave the database files; run it after erasures (e.g. nightly)."),
    ),
    "promises": Entry(
        "promises",
        _("Check every promise the privacy notice makes against the register and the audit log."),
    ),
    "worker": Entry(
        "worker",
        _("Run the job queue: deliver the outbox, remind the DPO, run retention, watch the runs."),
    ),
    "requests": Entry("requests", _("The queue of subjects' requests (GDPR art. 12–22).")),
    "jobs": Entry("worker", _("The job queue: scheduled and long work (docs/jobs.md).")),
    "policy": Entry(
        "policy",
        _("Check the policy file; render the privacy notice and the record of processing."),
    ),
    "subject": Entry("subject", _("Find subjects and show what the register holds about them.")),
    "audit": Entry("audit", _("The tamper-evident audit log.")),
    "systems": Entry(
        "systems", _("The company's other systems: propose a data map from a database.")
    ),
    "retention": Entry(
        "retention", _("Retention: erase what the policy's rules say is due; legal holds.")
    ),
    "recipients": Entry(
        "recipients",
        _("Recipients' agreements: record them with their documents, see what needs attention."),
    ),
    "breaches": Entry(
        "breaches",
        _("Personal data breaches (GDPR art. 33-34): record, the 72-hour deadline, IMY, subjects."),
    ),
    "disclosures": Entry(
        "disclosures",
        _("Disclosures to authorities: who asked, on which ground, what was handed over."),
    ),
    "exports": Entry(
        "recipient_exports",
        _("Exports to recipients: only what the policy lets each receive, logged."),
    ),
    "recommendations": Entry(
        "recommendations",
        _("Personal recommendations from viewing history: train the model, show a subject's."),
    ),
    "analytics": Entry(
        "analytics", _("Web analytics on PostgreSQL: the raw events partitioned by month.")
    ),
    "import": Entry(
        "imports", _("Bulk import of an existing customer base from CSV or XLSX (docs/import.md).")
    ),
}


def load_commands(module_name: str) -> dict[str, Any]:
    """The click commands one CLI module defines, built as Typer builds them for the root."""
    module = importlib.import_module(f"dataskydd.cli.{module_name}")
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    register = getattr(module, "register", None)
    if register is not None:
        register(holder)
    else:
        (name,) = [name for name, entry in COMMANDS.items() if entry.module == module_name]
        holder.add_typer(module.app, name=name)
    commands = dict(get_group(holder).commands)
    click_texts.localise(commands.values())
    return commands


class _LazyCommands(MutableMapping[str, Any]):
    """The root's commands by name: the registry's names, each built on first access."""

    def __init__(self, loaded: MutableMapping[str, Any]) -> None:
        self._loaded = dict(loaded)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            entry = COMMANDS[name]  # KeyError: no such command
            self._loaded.update(load_commands(entry.module))
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._loaded if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(1 for name in self._loaded if name not in COMMANDS)


class _RootGroup(TyperGroup):
    # typer bundles click; its Context and HelpFormatter are private, hence Any.
    context_class = click_texts.Context

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # names only: listing must not load a module

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # As TyperGroup lists them, each help shortened to the width, from the registry's text.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, TyperCommand(name=name, help=entry.help).get_short_help_str(limit))
            for name, entry in COMMANDS.items()
        ]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            language()  # a bad DATASKYDD_LANGUAGE stops every command, --help too
        except ConfigurationError as error:
            _say_error(error)
            sys.exit(error.exit_code)
        return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except ClickException as error:  # the root's own options
            raise click_texts.shown(error, _) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DataskyddError as error:
            _say_error(error)
            raise typer.Exit(error.exit_code) from None
        except ClickException as error:  # a command's arguments, or no such command
            raise click_texts.shown(error, _) from None


def _say_error(error: DataskyddError) -> None:
    # One clear line, no traceback; messages never carry personal data (errors.py).
    line = _("error: {message}").format(message=render(error.message))
    typer.secho(line, fg=typer.colors.RED, err=True)


app = typer.Typer(
    name="dataskydd",
    cls=_RootGroup,
    help=_(
        "Policy-as-code, a personal-data register and the GDPR operations around it.\n\n"
        "Speaks Swedish or English: DATASKYDD_LANGUAGE=sv or en, else the locale (LC_ALL, "
        "LC_MESSAGES, LANG; sv… is Swedish)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain one-line usage errors: boxes wrap and are hard to read in logs and scripts.
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    # Typer builds a group only for an app with commands or a callback; the commands are
    # the registry's, added by _RootGroup, so the (empty) callback makes it a group.
    pass


def main() -> None:
    app()
