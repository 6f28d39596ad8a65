"""The `dataskydd` command: a thin Typer tree over the service functions."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from dataskydd.cli import (
    audit,
    breaches,
    demo,
    disclosures,
    maintenance,
    policy,
    promises,
    recipient_exports,
    recipients,
    requests,
    retention,
    serve,
    setup,
    subject,
    systems,
    worker,
)
from dataskydd.errors import DataskyddError


class _RootGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:  # typer bundles click; its Context is private
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
setup.register(app)
demo.register(app)
serve.register(app)
requests.register(app)
maintenance.register(app)
promises.register(app)
worker.register(app)
app.add_typer(policy.app, name="policy")
app.add_typer(subject.app, name="subject")
app.add_typer(audit.app, name="audit")
app.add_typer(systems.app, name="systems")
app.add_typer(retention.app, name="retention")
app.add_typer(recipients.app, name="recipients")
app.add_typer(breaches.app, name="breaches")
app.add_typer(disclosures.app, name="disclosures")
app.add_typer(recipient_exports.app, name="exports")


def main() -> None:
    app()
