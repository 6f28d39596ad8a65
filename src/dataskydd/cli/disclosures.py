"""`dataskydd disclosures record|list|show|lift|handover`: the log of disclosures to
authorities (docs/disclosures.md). The command line holds every permission (the operator has
the key file); the access decision still rules every read of a subject's data."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.auth.access import AccessContext, operator_context
from dataskydd.cli import _
from dataskydd.cli._context import (
    MAX_ID,
    JsonOption,
    Language,
    cli_actor,
    cli_transaction,
    current_policy,
)
from dataskydd.cli._files import atomic_file
from dataskydd.disclosures import handover as handover_service
from dataskydd.disclosures import service
from dataskydd.disclosures.models import AuthorityKind

app = typer.Typer(
    help=_("Disclosures to authorities: who asked, on which ground, what was handed over."),
    no_args_is_help=True,
)
console = Console(width=160)

DisclosureId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help=_("The disclosure's id."))]


class Kind(StrEnum):
    COURT = AuthorityKind.COURT.value
    POLICE = AuthorityKind.POLICE.value
    TAX_AGENCY = AuthorityKind.TAX_AGENCY.value
    OTHER = AuthorityKind.OTHER.value


def _ctx() -> AccessContext:
    return operator_context(cli_actor())


@app.command(
    "record",
    help=_(
        "Log a disclosure to an authority. Every field is checked first; nothing is written "
        "when one is wrong."
    ),
)
def record(
    authority: Annotated[str, typer.Option(help=_("The authority that asked, by name."))],
    kind: Annotated[Kind, typer.Option(help=_("What kind of authority."))],
    ground: Annotated[str, typer.Option(help=_("The legal ground they cited, e.g. 'RB 27 kap.'."))],
    reference: Annotated[str, typer.Option(help=_("Their reference (diarienummer)."))],
    category: Annotated[
        list[str],
        typer.Option("--category", help=_("A category handed over (policy key; repeat).")),
    ],
    description: Annotated[str, typer.Option(help=_("What was handed over, in words."))],
    subject: Annotated[
        list[str],
        typer.Option("--subject", help=_("A subject's id (repeat, or comma-separated).")),
    ],
    requested_on: Annotated[str, typer.Option(help=_("The day they asked (YYYY-MM-DD)."))],
    handed_over_on: Annotated[str, typer.Option(help=_("The day it was handed over."))],
    confidential: Annotated[
        bool, typer.Option(help=_("Confidential by law: left out of the registerutdrag."))
    ] = False,
    confidential_ground: Annotated[
        str, typer.Option(help=_("Why it is confidential, e.g. 'OSL 18 kap. 1 §'."))
    ] = "",
    confidential_until: Annotated[
        str, typer.Option(help=_("Last day of the confidentiality (YYYY-MM-DD); default open."))
    ] = "",
    as_json: JsonOption = False,
) -> None:
    policy = current_policy()
    draft = service.DisclosureDraft(
        authority=authority,
        authority_kind=kind.value,
        legal_ground=ground,
        reference=reference,
        categories=category,
        description=description,
        subjects=",".join(subject),
        requested_on=requested_on,
        handed_over_on=handed_over_on,
        confidential=confidential,
        confidential_ground=confidential_ground,
        confidential_until=confidential_until,
    )
    with cli_transaction() as session:
        recorded = service.record_disclosure(session, _ctx(), policy=policy, draft=draft)
        data = service.as_dict(recorded)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    said = (
        _("Disclosure {id} recorded (confidential).")
        if recorded.confidential
        else _("Disclosure {id} recorded.")
    )
    typer.echo(said.format(id=data["id"]))


@app.command("list", help=_("The latest disclosures, newest first."))
def list_disclosures(
    subject_id: Annotated[
        int | None, typer.Option("--subject", min=1, max=MAX_ID, help=_("Only this subject's."))
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help=_("At most this many."))] = 100,
    as_json: JsonOption = False,
) -> None:
    with cli_transaction() as session:
        total, found = service.list_disclosures(session, _ctx(), subject_id=subject_id, limit=limit)
        rows = [service.as_dict(d) for d in found]
    if as_json:
        typer.echo(json.dumps({"total": total, "disclosures": rows}, ensure_ascii=False))
        return
    if not rows:
        console.print(_("No disclosures."))
        return
    table = Table(
        _("id"),
        _("handed over"),
        _("kind"),
        _("authority"),
        _("reference"),
        _("categories"),
        _("secret"),
    )
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["handed_over_on"]),
            str(row["authority_kind"]),
            str(row["authority"]),
            str(row["reference"]),
            ", ".join(row["categories"]),  # type: ignore[arg-type]
            _("yes") if row["confidential_now"] else "",
        )
    console.print(table)
    if total > len(rows):
        console.print(
            _("Shown: the {shown} newest of {total}.").format(shown=len(rows), total=total)
        )


@app.command("show", help=_("One disclosure: what, for whom, and whether it is confidential now."))
def show(disclosure_id: DisclosureId, as_json: JsonOption = False) -> None:
    with cli_transaction() as session:
        detail = service.get_disclosure(session, _ctx(), disclosure_id)
        data = service.as_dict(detail.disclosure) | {
            "subjects": detail.subject_ids,
            "times_withheld": detail.times_withheld,
            "last_withheld_at": (
                detail.last_withheld_at.isoformat() if detail.last_withheld_at else None
            ),
        }
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for key, value in data.items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        console.print(f"{key}: {'' if shown is None else shown}", highlight=False)


@app.command(
    "lift",
    help=_("End a disclosure's confidentiality: the subjects' registerutdrag show it from now on."),
)
def lift(
    disclosure_id: DisclosureId,
    reason: Annotated[str, typer.Option(help=_("Why the confidentiality ends."))],
) -> None:
    with cli_transaction() as session:
        service.lift_confidentiality(session, _ctx(), disclosure_id=disclosure_id, reason=reason)
    typer.echo(_("The confidentiality of disclosure {id} is lifted.").format(id=disclosure_id))


@app.command(
    "handover",
    help=_(
        "Produce the data a disclosure hands over: its categories for each of its subjects, "
        "read through the access decision with the disclosure as the case. Audited."
    ),
)
def handover(
    disclosure_id: DisclosureId,
    out: Annotated[Path, typer.Option(help=_("The JSON file to write (whole or not at all)."))],
    purpose: Annotated[
        str | None,
        typer.Option(help=_("The purpose (one marked case_required); default the policy's only.")),
    ] = None,
    lang: Annotated[Language, typer.Option(help=_("Language of titles."))] = Language.SV,
    rows: Annotated[
        int,
        typer.Option(min=1, max=handover_service.MAX_ROWS_PER_TABLE, help=_("Rows per table.")),
    ] = 1000,
) -> None:
    policy = current_policy()
    # The file is renamed into place only after the transaction (and its audit) committed;
    # a refusal or a failed commit leaves no file behind.
    with atomic_file(out) as temp, cli_transaction() as session:
        document = handover_service.build_handover(
            session,
            _ctx(),
            policy=policy,
            disclosure_id=disclosure_id,
            purpose=purpose,
            lang=lang.as_lang(),
            rows_per_table=rows,
        )
        temp.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    count = len(document["subjects"])
    typer.echo(
        _("Disclosure {id}: data of {count} subject(s) written to {out}.").format(
            id=disclosure_id, count=count, out=out
        )
    )
