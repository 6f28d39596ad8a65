"""The `dataskydd` command: a thin Typer tree over the service functions.

Sub-commands are loaded only when invoked: their modules import SQLAlchemy's models, the web
app, reportlab and the like, which a `--help` or a `policy check` must not wait for. The
registry below names each command's module and keeps its one-line help, so `dataskydd --help`
lists every command without importing any of them (tests/cli/test_startup.py checks both).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_group

from dataskydd.errors import DataskyddError


class Entry(NamedTuple):
    module: str  # under dataskydd.cli; it has `register(root)` or a Typer `app`
    help: str  # the first line of the command's own help, shown by `dataskydd --help`


# In the order `dataskydd --help` lists them.
COMMANDS: dict[str, Entry] = {
    "init": Entry(
        "setup",
        "Create the database, its tables, the secret key and the first admin account.",
    ),
    "demo": Entry(
        "demo", "Add demo customers, suppliers and their history to the register (one transaction),"
    ),
    "serve": Entry("serve", "Run the web app (staff pages, /api/v1, the public privacy notice)."),
    "outbox": Entry(
        "requests", "Show the outbox (audited: it holds correspondence), or send what is unsent."
    ),
    "reclaim": Entry(
        "maintenance",
        "Make erased values leave the database files; run it after erasures (e.g. nightly).",
    ),
    "promises": Entry(
        "promises",
        "Check every promise the privacy notice makes against the register and the audit log.",
    ),
    "worker": Entry(
        "worker",
        "Run the job queue: deliver the outbox, remind the DPO, run retention, watch the runs.",
    ),
    "requests": Entry("requests", "The queue of subjects' requests (GDPR art. 12–22)."),
    "jobs": Entry("worker", "The job queue: scheduled and long work (docs/jobs.md)."),
    "policy": Entry(
        "policy",
        "Check the policy file; render the privacy notice and the record of processing.",
    ),
    "subject": Entry("subject", "Find subjects and show what the register holds about them."),
    "audit": Entry("audit", "The tamper-evident audit log."),
    "systems": Entry("systems", "The company's other systems: propose a data map from a database."),
    "retention": Entry(
        "retention", "Retention: erase what the policy's rules say is due; legal holds."
    ),
    "recipients": Entry(
        "recipients",
        "Recipients' agreements: record them with their documents, see what needs attention.",
    ),
    "breaches": Entry(
        "breaches",
        "Personal data breaches (GDPR art. 33-34): record, the 72-hour deadline, IMY, subjects.",
    ),
    "disclosures": Entry(
        "disclosures",
        "Disclosures to authorities: who asked, on which ground, what was handed over.",
    ),
    "exports": Entry(
        "recipient_exports",
        "Exports to recipients: only what the policy lets each receive, logged.",
    ),
    "recommendations": Entry(
        "recommendations",
        "Personal recommendations from viewing history: train the model, show a subject's.",
    ),
    "analytics": Entry(
        "analytics", "Web analytics on PostgreSQL: the raw events partitioned by month."
    ),
    "import": Entry(
        "imports", "Bulk import of an existing customer base from CSV or XLSX (docs/import.md)."
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
    return dict(get_group(holder).commands)


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
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DataskyddError as error:
            # One clear line, no traceback; messages never carry personal data (errors.py).
            typer.secho(f"error: {error.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="dataskydd",
    cls=_RootGroup,
    help="Policy-as-code, a personal-data register and the GDPR operations around it.",
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
