"""`dataskydd policy check | notice | ropa`: the policy file from the command line.

Which policy: the FILE given, else DATASKYDD_POLICY_FILE, else the bundled Omilon policy.
`check` checks it together with the data map: the DIR given by --data-map, else
DATASKYDD_DATA_MAP, else the bundled register map (docs/data-map-checks.md).
Errors from the policy package are `DataskyddError`s; the root app prints them as one line.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dataskydd.cli import _, render
from dataskydd.cli._files import write_text
from dataskydd.config import get_settings
from dataskydd.datamap import map_files
from dataskydd.errors import ConfigurationError
from dataskydd.policy.checks import Finding, check_policy, has_errors
from dataskydd.policy.loader import (
    PolicyDocument,
    load_bundled_document,
    load_policy_document,
)
from dataskydd.policy.notice import DEFAULT_ACCESS_REQUEST_HREF, render_notice
from dataskydd.policy.records_of_processing import render_ropa_csv, render_ropa_html
from dataskydd.policy.schema import Lang

app = typer.Typer(
    help=_("Check the policy file; render the privacy notice and the record of processing."),
    no_args_is_help=True,
)


class Language(StrEnum):
    SV = "sv"
    EN = "en"


class NoticeFormat(StrEnum):
    HTML = "html"
    MD = "md"


class RopaFormat(StrEnum):
    CSV = "csv"
    HTML = "html"


PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help=_("Policy file (default: DATASKYDD_POLICY_FILE or bundled).")),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help=_("Write to this file instead of standard output."))
]
LangOption = Annotated[Language, typer.Option("--lang", help=_("Language of the text."))]


def _document(path: Path | None) -> PolicyDocument:
    if path is not None:
        return load_policy_document(path)
    configured = get_settings().policy_file
    if configured is not None:
        return load_policy_document(configured)
    return load_bundled_document()


def _language(lang: Language) -> Lang:
    return "sv" if lang is Language.SV else "en"


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    write_text(out, text)
    typer.echo(_("Wrote {out}").format(out=out), err=True)


def _finding_line(finding: Finding) -> str:
    from dataskydd.datamap import map_check

    where = finding.path or _("(policy)")
    if finding.line is not None:
        where += " " + _("(line {line})").format(line=finding.line)
    if isinstance(finding, map_check.MapFinding):
        where = f"{finding.source}: {where}"
    severity = _("ERROR") if finding.severity == "error" else _("WARNING")
    return f"{severity} {where}: {render(finding.message)}"


def _map_documents(directory: Path | None) -> map_files.MapDocuments:
    if directory is not None:
        return map_files.load_map_documents(directory)
    return map_files.configured_map_documents(get_settings())


def _map_findings(
    document: PolicyDocument, maps: map_files.MapDocuments, *, live: bool
) -> list[Finding]:
    # Only `check` needs the register's tables (every model: _context imports them) and the
    # database; `notice` and `ropa` render the policy alone and start without them.
    from dataskydd.cli._context import cli_transaction
    from dataskydd.datamap import map_check
    from dataskydd.db.base import Base

    findings: list[Finding] = list(
        map_check.check_maps(
            document.policy,
            maps.data_map,
            register_metadata=Base.metadata,
            locations=maps.locations,
            policy_source=document.source_name,
            policy_locations=document.locations,
        )
    )
    if not live:
        return findings
    settings = get_settings()
    register = maps.data_map.register
    try:
        with cli_transaction() as session:
            findings += map_check.check_unused_tables(
                register, session, Base.metadata, maps.locations
            )
    except ConfigurationError as error:
        findings.append(
            map_check.MapFinding(
                severity="warning",
                code="register_not_checked",
                path="unused",
                # English, as every finding's message (they are in --json output too).
                message=f"the unused register tables were not checked for rows: {error}",
                source=register.source,
                system=register.key,
            )
        )
    findings += map_check.check_live(maps.data_map, settings, locations=maps.locations)
    return findings


@app.command(
    "check",
    help=_(
        "Find errors in the policy and the data map: broken references, missing rules, "
        "outdated law, categories the policy lacks, tables and columns the map does not "
        "classify."
    ),
)
def check(
    file: Annotated[
        Path | None,
        typer.Argument(help=_("Policy file (default: DATASKYDD_POLICY_FILE or the bundled one).")),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print the findings as JSON."))] = False,
    data_map: Annotated[
        Path | None,
        typer.Option(
            "--data-map",
            help=_("Directory of data map files (default: DATASKYDD_DATA_MAP or the bundled one)."),
            file_okay=False,
        ),
    ] = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help=_("Also connect (read-only) to every mapped system and compare its live schema."),
        ),
    ] = False,
) -> None:
    from dataskydd.cli import recipients

    document = _document(file)
    maps = _map_documents(data_map)
    findings = check_policy(document.policy, raw_locations=document.locations)
    findings += _map_findings(document, maps, live=live)
    findings += recipients.register_findings(document)  # when a database is there
    sources = [system.source for system in maps.data_map.systems]
    if as_json:
        report = {
            "source": document.source_name,
            "data_map": sources,
            "live": live,
            "findings": [finding.as_dict() for finding in findings],
        }
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    elif not findings:
        typer.echo(_("No findings in {source}.").format(source=document.source_name))
        checked = (
            _("Checked with the data map: {maps} (live).")
            if live
            else _("Checked with the data map: {maps}.")
        )
        typer.echo(checked.format(maps=", ".join(sources)))
    else:
        for finding in findings:
            colour = typer.colors.RED if finding.severity == "error" else typer.colors.YELLOW
            typer.secho(_finding_line(finding), fg=colour)
        errors = sum(1 for finding in findings if finding.severity == "error")
        typer.echo(
            _(
                "{source} and the data map ({maps}): {errors} error(s), {warnings} warning(s)."
            ).format(
                source=document.source_name,
                maps=", ".join(sources),
                errors=errors,
                warnings=len(findings) - errors,
            )
        )
    if has_errors(findings):
        raise typer.Exit(1)


@app.command("notice", help=_("Render the public privacy notice (GDPR art. 13) from the policy."))
def notice(
    lang: LangOption = Language.SV,
    fmt: Annotated[NoticeFormat, typer.Option("--format", help=_("Output format."))] = (
        NoticeFormat.HTML
    ),
    policy: PolicyOption = None,
    out: OutOption = None,
    access_request_href: Annotated[
        str, typer.Option("--access-request-href", help=_("Link to the registerutdrag form."))
    ] = DEFAULT_ACCESS_REQUEST_HREF,
) -> None:
    document = _document(policy)
    text = render_notice(
        document.policy,
        lang=_language(lang),
        fmt="html" if fmt is NoticeFormat.HTML else "md",
        access_request_href=access_request_href,
    )
    _emit(text, out)


@app.command(
    "ropa",
    help=_("Export the record of processing activities (GDPR art. 30, registerförteckning)."),
)
def ropa(
    fmt: Annotated[RopaFormat, typer.Option("--format", help=_("Output format."))] = RopaFormat.CSV,
    lang: LangOption = Language.SV,
    policy: PolicyOption = None,
    out: OutOption = None,
) -> None:
    document = _document(policy)
    if fmt is RopaFormat.CSV:
        _emit(render_ropa_csv(document.policy, _language(lang)), out)
    else:
        _emit(render_ropa_html(document.policy, _language(lang)), out)
