"""`dataskydd recipients list|show|agreement|document|findings`: the register of recipients'
agreements (docs/recipients.md). Recording and downloading are audited as the operator."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect, make_url
from sqlalchemy.exc import SQLAlchemyError

from dataskydd import runtime
from dataskydd.cli import _, language
from dataskydd.cli._context import MAX_ID, JsonOption, cli_actor, cli_transaction
from dataskydd.cli._files import atomic_file
from dataskydd.clock import today_in_sweden
from dataskydd.config import Settings, get_settings
from dataskydd.errors import ConfigurationError, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy import labels
from dataskydd.policy.checks import Finding
from dataskydd.policy.loader import PolicyDocument
from dataskydd.policy.schema import RecipientRole, TransferMechanism
from dataskydd.recipients import agreements, documents, overview
from dataskydd.recipients.agreements import AgreementInput, parse_day
from dataskydd.recipients.findings import RecipientFinding, Thresholds

app = typer.Typer(
    help=_("Recipients' agreements: record them with their documents, see what needs attention."),
    no_args_is_help=True,
)
console = Console(width=160)
KeyArgument = Annotated[str, typer.Argument(help=_("The recipient's key in the policy."))]


def _status(status: str) -> str:
    """An agreement's status in words, as the staff page words it (recipients_status.html)."""
    return {
        overview.Status.OK: _("In order"),
        overview.Status.REVIEW_SOON: _("Review soon"),
        overview.Status.OVERDUE: _("Review overdue"),
        overview.Status.NO_AGREEMENT: _("No agreement recorded"),
        overview.Status.TRANSFER_PROBLEM: _("Transfer problem"),
        overview.Status.REMOVED: _("Removed from the policy"),
    }.get(overview.Status(status), status)


def _limits(settings: Settings) -> Thresholds:
    return overview.thresholds(settings, today_in_sweden())


@app.command(
    "list",
    help=_(
        "Every recipient with its status: ok, review soon, overdue, no agreement, transfer "
        "problem, or removed from the policy (history kept)."
    ),
)
def list_recipients(as_json: JsonOption = False) -> None:
    settings = get_settings()
    with cli_transaction() as session:
        policy = runtime.configured_policy(settings)
        rows = [s.as_dict() for s in overview.recipient_states(session, policy, _limits(settings))]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(_("recipient"), _("role"), _("status"), _("review"), _("signed"), _("document"))
    for row in rows:
        agreement = row["agreement"] or {}
        table.add_row(
            row["key"],
            labels.recipient_role_singular(RecipientRole(row["role"]), language())
            if row["role"]
            else "-",
            _status(row["status"]),
            row["review_on"] or "-",
            agreement.get("signed_on") or "-",
            str(agreement["document"]) if agreement.get("document") else "-",
        )
    console.print(table)


@app.command("show", help=_("One recipient: the current agreement, its findings and its history."))
def show(key: KeyArgument, as_json: JsonOption = False) -> None:
    settings = get_settings()
    with cli_transaction() as session:
        policy = runtime.configured_policy(settings)
        state = overview.recipient_state(session, policy, key, _limits(settings))
        if state is None:
            raise NotFound(Msg("no recipient '{key}' in the policy or the register", key=key))
        data: dict[str, Any] = state.as_dict()
        found = list(state.findings)
        data["history"] = [overview.agreement_dict(a) for a in agreements.history(session, key)]
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    name = data["name"] or _("(no longer in the policy)")
    typer.echo(f"{data['key']}: {name} — {_status(data['status'])}")
    for finding in found:
        typer.echo(
            f"  {_severity(finding.severity)} {finding.code}: "
            f"{_finding_text(finding.en, finding.sv)}"
        )
    for past in data["history"]:
        typer.echo(
            "  "
            + _(
                "agreement {id}: signed {signed_on}, review {review_on}, {country} {mechanism}, "
                "categories {categories}, document {document}"
            ).format(
                id=past["id"],
                signed_on=past["signed_on"],
                review_on=past["review_on"],
                country=past["country"],
                mechanism=past["transfer_mechanism"],
                categories=", ".join(past["categories"]),
                document=past["document"] or "-",
            )
        )


def _severity(severity: str) -> str:
    return _("ERROR") if severity == "error" else _("WARNING")


def _finding_text(en: str, sv: str) -> str:
    """A recipient's finding is written in both languages by its service (findings.py)."""
    return sv if language() == "sv" else en


def _read_document(path: Path, limit: int) -> documents.CheckedDocument:
    try:
        # The size is checked before anything is read.
        documents.check_size(path.stat().st_size, limit)
        with path.open("rb") as handle:
            content = handle.read(limit + 1)
    except OSError as error:
        raise InvalidInput(
            "document", Msg("cannot be read ({value})", value=error.strerror or "error")
        ) from None
    return documents.check_document(content, file_name=path.name, limit=limit)


@app.command(
    "agreement", help=_("Record a new agreement for a recipient; it supersedes the current one.")
)
def record(
    key: KeyArgument,
    signed_on: Annotated[
        str, typer.Option("--signed-on", "--signed", help=_("Signed on (YYYY-MM-DD)."))
    ],
    review_on: Annotated[
        str, typer.Option("--review-on", "--review", help=_("Review by (YYYY-MM-DD)."))
    ],
    categories: Annotated[
        list[str] | None,
        typer.Option("--category", help=_("A category covered (repeat); default the policy's.")),
    ] = None,
    country: Annotated[
        str | None, typer.Option(help=_("ISO country code; default the policy's."))
    ] = None,
    mechanism: Annotated[
        TransferMechanism | None,
        typer.Option("--transfer-mechanism", help=_("Default the policy's.")),
    ] = None,
    dpf_checked_on: Annotated[
        str | None, typer.Option(help=_("EU-US DPF: the day the DPF list was checked."))
    ] = None,
    scc_module: Annotated[
        int | None, typer.Option(min=1, max=4, help=_("SCC: the module (1-4)."))
    ] = None,
    scc_signed_on: Annotated[
        str | None, typer.Option(help=_("SCC: the day the clauses were signed."))
    ] = None,
    tia_reference: Annotated[
        str | None, typer.Option(help=_("SCC/BCR: the transfer impact assessment's reference."))
    ] = None,
    document: Annotated[
        Path | None,
        typer.Option(
            help=_("The signed agreement (PDF); required for a processor."), dir_okay=False
        ),
    ] = None,
) -> None:
    settings = get_settings()
    data = AgreementInput(
        signed_on=_required_day(signed_on, "signed_on"),
        review_on=_required_day(review_on, "review_on"),
        categories=tuple(categories or ()),
        country=country,
        transfer_mechanism=mechanism,
        dpf_checked_on=parse_day(dpf_checked_on, "dpf_checked_on"),
        scc_module=scc_module,
        scc_signed_on=parse_day(scc_signed_on, "scc_signed_on"),
        tia_reference=tia_reference,
    )
    checked = _read_document(document, settings.recipient_document_max_bytes) if document else None
    with cli_transaction() as session:
        policy = runtime.configured_policy(settings)
        if not data.categories:
            shared = agreements.policy_recipient(policy, key).categories
            data = replace(data, categories=shared)
        saved = agreements.record_agreement(
            session,
            policy=policy,
            recipient_key=key,
            data=data,
            document=checked,
            by=cli_actor(),
        )
        typer.echo(
            _("Agreement {id} recorded for {key} (review by {review_on}).").format(
                id=saved.id, key=key, review_on=saved.review_on
            )
        )


def _required_day(value: str, field: str) -> Any:
    day = parse_day(value, field)
    if day is None:
        raise InvalidInput(field, Msg("is required (YYYY-MM-DD)"))
    return day


@app.command("document", help=_("Save an agreement's document (default: the current agreement's)."))
def document(
    key: KeyArgument,
    out: Annotated[Path, typer.Option("--out", help=_("Write the document to this file."))],
    agreement_id: Annotated[
        int | None,
        typer.Option("--agreement", min=1, max=MAX_ID, help=_("An earlier agreement's id.")),
    ] = None,
) -> None:
    with cli_transaction() as session:
        found = agreements.agreement_document(
            session, recipient_key=key, agreement_id=agreement_id, by=cli_actor()
        )
        content, sha256 = found.content, found.sha256
        with atomic_file(out) as temp:
            temp.write_bytes(content)
    typer.echo(
        _("Wrote {out} ({size} bytes, SHA-256 {sha256}).").format(
            out=out, size=len(content), sha256=sha256
        ),
        err=True,
    )


@app.command(
    "findings",
    help=_(
        "What needs attention: overdue or coming reviews, processors without a recorded "
        "agreement, third-country transfers without valid evidence. Exit 1 on any error."
    ),
)
def findings(as_json: JsonOption = False) -> None:
    settings = get_settings()
    with cli_transaction() as session:
        policy = runtime.configured_policy(settings)
        found = [
            finding
            for state in overview.recipient_states(session, policy, _limits(settings))
            for finding in state.findings
        ]
    if as_json:
        typer.echo(json.dumps([finding.as_dict() for finding in found], ensure_ascii=False))
    elif not found:
        typer.echo(_("No findings: every agreement is in order."))
    else:
        _print_findings(found)
    if any(finding.severity == "error" for finding in found):
        raise typer.Exit(1)


def _print_findings(found: list[RecipientFinding]) -> None:
    for finding in found:
        colour = typer.colors.RED if finding.severity == "error" else typer.colors.YELLOW
        typer.secho(
            f"{_severity(finding.severity)} {finding.recipient}: {finding.code}: "
            f"{_finding_text(finding.en, finding.sv)}",
            fg=colour,
        )


def _database_ready(settings: Settings) -> bool:
    """Whether the configured database exists and is migrated, found without creating it (an
    SQLite file is made by connecting to it)."""
    url = make_url(settings.database_url)
    file = url.database or ""
    if url.get_backend_name() == "sqlite" and (file in ("", ":memory:") or not Path(file).exists()):
        return False
    engine = runtime.engine_for(settings.database_url)
    names = inspect(engine).get_table_names()
    return "alembic_version" in names and "recipient_agreement" in names


def register_findings(document: PolicyDocument) -> list[Finding]:
    """`policy check`'s findings from the register of agreements, when a database is there."""
    settings = get_settings()
    try:
        if not _database_ready(settings):
            return []
        with cli_transaction() as session:
            return overview.policy_check_findings(
                session, document.policy, _limits(settings), document.locations
            )
    except (SQLAlchemyError, ConfigurationError) as error:
        return [
            Finding(
                severity="warning",
                code="register_not_checked",
                path="recipients",
                message=f"the register of agreements was not checked ({type(error).__name__})",
            )
        ]
