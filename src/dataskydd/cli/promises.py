"""`dataskydd promises`: every promise the public notice makes, checked on live data.

Exit 0 when none is broken (promises not checked yet are listed but do not fail), 1 naming
each broken one.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dataskydd.auth.access import operator_context
from dataskydd.cli._context import Language, cli_actor, cli_transaction, current_policy
from dataskydd.config import get_settings
from dataskydd.policy.schema import Lang
from dataskydd.promises import service
from dataskydd.promises.registry import Status
from dataskydd.promises.service import PromiseReport

_LABELS: dict[Status, tuple[str, str, str]] = {
    Status.HOLDS: ("HÅLLS", "HOLDS", typer.colors.GREEN),
    Status.BROKEN: ("BRUTET", "BROKEN", typer.colors.RED),
    Status.NOT_CHECKED: ("EJ KONTROLLERAT", "NOT CHECKED", typer.colors.YELLOW),
}


def promises(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    lang: Annotated[
        Language, typer.Option("--lang", help="Language of the promises and evidence.")
    ] = Language.SV,
) -> None:
    """Check every promise the privacy notice makes against the register and the audit log."""
    settings = get_settings()
    policy = current_policy(settings)
    with cli_transaction() as session:
        report = service.check_promises(
            session, policy, operator_context(cli_actor()), settings=settings
        )
    chosen = lang.as_lang()
    if as_json:
        typer.echo(json.dumps(report.as_dict(chosen), ensure_ascii=False, indent=2))
    else:
        _print(report, chosen)
    if not report.ok:
        raise typer.Exit(1)


def _print(report: PromiseReport, lang: Lang) -> None:
    sv = lang == "sv"
    width = max(len(label[0 if sv else 1]) for label in _LABELS.values())
    indent = " " * (width + 2)
    for evidence in report.promises:
        label = _LABELS[evidence.status]
        typer.secho(f"{label[0 if sv else 1]:<{width}}  ", fg=label[2], bold=True, nl=False)
        typer.echo(f"{evidence.key}: {evidence.promise.get(lang)}")
        typer.echo(f"{indent}{evidence.evidence.get(lang)}")
        if evidence.offending:
            typer.echo(
                f"{indent}{'gäller' if sv else 'offending'}: {', '.join(evidence.offending)}"
            )
    counts = report.counts()
    total = len(report.promises)
    if sv:
        summary = (
            f"{total} löften: {counts['holds']} hålls, {counts['broken']} brutna, "
            f"{counts['not_checked']} ej kontrollerade."
        )
    else:
        summary = (
            f"{total} promises: {counts['holds']} hold, {counts['broken']} broken, "
            f"{counts['not_checked']} not checked."
        )
    typer.echo(summary)
    if report.broken:
        keys = ", ".join(evidence.key for evidence in report.broken)
        typer.secho(f"{'Brutna löften' if sv else 'Broken promises'}: {keys}", fg="red", err=True)


def register(app: typer.Typer) -> None:
    app.command("promises")(promises)
