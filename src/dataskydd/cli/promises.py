"""`dataskydd promises`: every promise the public notice makes, checked on live data.

Exit 0 when none is broken (promises not checked yet are listed but do not fail), 1 naming
each broken one.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dataskydd import catalogues
from dataskydd.auth.access import operator_context
from dataskydd.cli import _
from dataskydd.cli._context import Language, cli_actor, cli_transaction, current_policy
from dataskydd.config import get_settings
from dataskydd.policy.schema import Lang
from dataskydd.promises import service
from dataskydd.promises.registry import Status
from dataskydd.promises.service import PromiseReport

_COLOURS: dict[Status, str] = {
    Status.HOLDS: typer.colors.GREEN,
    Status.BROKEN: typer.colors.RED,
    Status.NOT_CHECKED: typer.colors.YELLOW,
}


def promises(
    as_json: Annotated[bool, typer.Option("--json", help=_("Print the report as JSON."))] = False,
    lang: Annotated[
        Language, typer.Option("--lang", help=_("Language of the promises and evidence."))
    ] = Language.SV,
) -> None:
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
    # The whole report in the language of --lang, as the promises and their evidence.
    gettext = catalogues.translations(lang).gettext
    labels = {
        Status.HOLDS: gettext("HOLDS"),
        Status.BROKEN: gettext("BROKEN"),
        Status.NOT_CHECKED: gettext("NOT CHECKED"),
    }
    width = max(len(label) for label in labels.values())
    indent = " " * (width + 2)
    for evidence in report.promises:
        typer.secho(
            f"{labels[evidence.status]:<{width}}  ",
            fg=_COLOURS[evidence.status],
            bold=True,
            nl=False,
        )
        typer.echo(f"{evidence.key}: {evidence.promise.get(lang)}")
        typer.echo(f"{indent}{evidence.evidence.get(lang)}")
        if evidence.offending:
            offending = gettext("offending: {ids}").format(ids=", ".join(evidence.offending))
            typer.echo(f"{indent}{offending}")
    counts = report.counts()
    summary = gettext(
        "{total} promises: {holds} hold, {broken} broken, {not_checked} not checked."
    ).format(
        total=len(report.promises),
        holds=counts["holds"],
        broken=counts["broken"],
        not_checked=counts["not_checked"],
    )
    typer.echo(summary)
    if report.broken:
        keys = ", ".join(evidence.key for evidence in report.broken)
        typer.secho(gettext("Broken promises: {keys}").format(keys=keys), fg="red", err=True)


def register(app: typer.Typer) -> None:
    app.command(
        "promises",
        help=_(
            "Check every promise the privacy notice makes against the register and the audit log."
        ),
    )(promises)
