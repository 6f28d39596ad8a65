"""The texts of the click that typer bundles, in the command's language.

Typer translates its own texts with gettext (cli/__init__.py points them at the catalogue),
but the click it bundles writes "Usage:", "Show this message and exit." and every usage
error ("Missing option '--purpose'.", "No such option: --x") as English literals. So:

* contexts are made with `Context`, whose formatter writes the usage line's prefix and the
  help option's text through the catalogue (`localise` sets it on every command);
* a usage error is shown as `UsageShown`: the same usage line, hint and exit code, its message
  rebuilt in the command's language from the error's parts - the parameter, the option's
  name, the closest names - or, for a message click only gives as text, read back against the
  English templates below (each a message id of the catalogue) and written again.

A message that matches nothing is shown as click wrote it: English, never lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import IO, Any

import typer
from typer._click.core import Context as _ClickContext
from typer._click.exceptions import (
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter

from dataskydd.messages_i18n import template_pattern

Translate = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a text marked, not translated
    """Marks a message id for the catalogue; translated where it is shown."""
    return message


# click's own texts: the usage line's prefix and its help option, as click gives them.
USAGE = N_("Usage: ")
CLICK_HELP_OPTION = N_("Show this message and exit.")
# The usage line's placeholders for a command's options and a group's commands (typer's).
USAGE_PLACEHOLDERS = (N_("[OPTIONS]"), N_("COMMAND [ARGS]..."))

# Messages click and typer give only as finished English text, as templates: the English
# with each variable part named. Each template is a message id of the catalogue.
TEMPLATES = tuple(
    N_(template)
    for template in (
        "Got unexpected extra argument(s) ({arguments})",
        "Option {name} does not take a value.",
        "Option {name} requires an argument.",
        "Option {name} requires {count} arguments.",
        "Argument {name} takes {count} values.",
        "{message}. Did you mean {suggestions}?",
        # Typer's conversion of a value (pydantic's messages, and typer's own for choices).
        "Input should be a valid integer, unable to parse string as an integer",
        "Input should be a valid number, unable to parse string as a number",
        "Input should be greater than or equal to {limit}",
        "Input should be less than or equal to {limit}",
        "Input should be greater than {limit}",
        "Input should be less than {limit}",
        "Input should be a valid boolean, unable to interpret input",
        "Value error, {value} is not one of {choices}.",
        "Value {value} is not a valid {kind}.",
        "{kind} {path} does not exist.",
        "{kind} {path} is a file.",
        "{kind} {path} is a directory.",
        "{kind} {path} is not readable.",
        "{kind} {path} is not writable.",
    )
)
# What a template's {kind} is in the message: typer's labels of a path parameter.
_KINDS = (N_("file"), N_("dir"), N_("path"))


@cache
def _pattern(template: str) -> re.Pattern[str]:
    # A template that starts with a path's kind matches only typer's labels there.
    kinds = {"kind": _KINDS} if template.startswith("{kind}") else None
    return template_pattern(template, kinds)


def translate_text(message: str, translate: Translate) -> str:
    """`message` in the command's language where it is one of the templates (its parts
    translated in turn: a suggestion's message, a kind of path); else as it is."""
    for template in TEMPLATES:
        found = _pattern(template).match(message)
        if found is None:
            continue
        parts = found.groupdict()
        if "message" in parts:
            parts["message"] = translate_text(parts["message"], translate)
        if parts.get("kind") in _KINDS:
            parts["kind"] = translate(parts["kind"])  # one of _KINDS, marked above
        return translate(template).format(**parts)  # one of TEMPLATES, marked above
    return message


class Formatter(HelpFormatter):
    """click's formatter, with its two texts in the command's language."""

    translate: Translate = staticmethod(lambda text: text)  # set by `use`

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for placeholder in USAGE_PLACEHOLDERS:
            args = args.replace(placeholder, self.translate(placeholder))
        super().write_usage(prog, args, self.translate(USAGE) if prefix is None else prefix)

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [
            (term, self.translate(text) if text == CLICK_HELP_OPTION else text)
            for term, text in rows
        ]
        super().write_dl(rows, col_max, col_spacing)


class Context(_ClickContext):
    formatter_class = Formatter


def use(translate: Translate) -> None:
    """The command's `_`, for the formatter's texts."""
    Formatter.translate = staticmethod(translate)


def localise(commands: Iterable[Any]) -> None:
    """Makes `commands` (and the commands of any group among them) write their usage and
    help with `Context`'s formatter."""
    for command in commands:
        command.context_class = Context
        localise(getattr(command, "commands", {}).values())


def _hint(error: BadParameter) -> str:
    """The parameter as click names it in a message: 'subject_id', '--purpose'."""
    hint: Any = error.param_hint
    if hint is None:
        hint = error.param.get_error_hint() if error.param is not None else ""
    return hint if isinstance(hint, str) else " / ".join(repr(item) for item in hint)


def message_of(error: ClickException, _: Translate) -> str:
    """The error's message in the command's language."""
    if isinstance(error, MissingParameter):
        kind = error.param_type or (error.param.param_type_name if error.param else "parameter")
        if kind == "argument":
            text = _("Missing argument {name}.").format(name=_hint(error))
        elif kind == "option":
            text = _("Missing option {name}.").format(name=_hint(error))
        else:
            text = _("Missing parameter {name}.").format(name=_hint(error))
        return f"{text} {error.message}" if error.message else text
    if isinstance(error, BadParameter):
        return _("Invalid value for {name}: {reason}").format(
            name=_hint(error), reason=translate_text(error.message, _)
        )
    if isinstance(error, NoSuchOption):
        text = _("No such option: {name}").format(name=error.option_name)
        if error.possibilities:
            names = ", ".join(sorted(error.possibilities))
            text += " " + _("(Possible options: {names})").format(names=names)
        return text
    return translate_text(error.format_message(), _)


class UsageShown(UsageError):
    """A usage error shown in the command's language; what it exits with is click's."""

    def __init__(self, error: UsageError, _: Translate) -> None:
        super().__init__(message_of(error, _), error.ctx)
        self.exit_code = error.exit_code
        lines = []
        if self.ctx is not None:
            lines.append(self.ctx.get_usage())
            help_names = self.ctx.help_option_names
            if self.ctx.command.get_help_option(self.ctx) is not None and help_names:
                lines.append(
                    _("Try '{command} {option}' for help.").format(
                        command=self.ctx.command_path, option=help_names[0]
                    )
                )
            lines.append("")
        lines.append(_("Error: {message}").format(message=self.message))
        self.text = "\n".join(lines)

    def show(self, file: IO[Any] | None = None) -> None:
        typer.echo(self.text, err=True)


def shown(error: ClickException, translate: Translate) -> ClickException:
    """`error` as the command shows it: a usage error in its language; a request for help
    (no arguments given) and any other error as they are."""
    if isinstance(error, UsageError) and not isinstance(error, NoArgsIsHelpError):
        return UsageShown(error, translate)
    return error
