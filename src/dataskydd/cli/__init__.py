"""The `dataskydd` command: a thin Typer tree over the service functions."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from dataskydd.cli import audit, demo, policy, setup, subject
from dataskydd.errors import DataskyddError


class _RootGroup(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DataskyddError as error:
            # One clear line, no traceback; messages never carry personal data (errors.py).
            typer.secho(f"error: {error.message}", fg=typer.colors.RED, err=True)
            raise click.exceptions.Exit(error.exit_code) from None


app = typer.Typer(
    name="dataskydd",
    cls=_RootGroup,
    help="Policy-as-code, a personal-data register and the GDPR operations around it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
setup.register(app)
demo.register(app)
app.add_typer(policy.app, name="policy")
app.add_typer(subject.app, name="subject")
app.add_typer(audit.app, name="audit")


def main() -> None:
    app()
