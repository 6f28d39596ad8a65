"""`dataskydd breaches record|list|show|update|notified|decide|notification|affected|
notify-subjects|close|reopen`: the breach register of GDPR art. 33-34 (docs/breaches.md).

Moments are Swedish local time, `YYYY-MM-DD HH:MM`; the 72 hours run from `--aware`."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.auth.access import operator_context
from dataskydd.breaches import affected, decisions, notification_imy, records, subject_notice
from dataskydd.breaches import views as breach_views
from dataskydd.breaches.models import BreachStatus, Nature
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
from dataskydd.clock import utc_now
from dataskydd.formatting import format_moment

app = typer.Typer(
    help=_(
        "Personal data breaches (GDPR art. 33-34): record, the 72-hour deadline, IMY, subjects."
    ),
    no_args_is_help=True,
)
console = Console(width=160)

BreachId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help=_("The breach's number."))]
TitleOption = Annotated[str | None, typer.Option(help=_("A short name for the breach."))]
AwareOption = Annotated[
    str | None,
    typer.Option("--aware", help=_("When the company became aware (YYYY-MM-DD HH:MM, Swedish).")),
]
OccurredOption = Annotated[
    str | None,
    typer.Option("--occurred", help=_("When it happened, if known (YYYY-MM-DD HH:MM).")),
]
ApproximateOption = Annotated[
    bool | None, typer.Option("--approximate/--exact", help=_("Is --occurred approximate?"))
]
NatureOption = Annotated[
    list[Nature] | None,
    typer.Option("--nature", help=_("confidentiality, integrity and/or availability (repeat).")),
]
CategoryOption = Annotated[
    list[str] | None, typer.Option("--category", help=_("A policy data category (repeat)."))
]
KindOption = Annotated[
    list[str] | None, typer.Option("--subject-kind", help=_("A policy subject kind (repeat)."))
]
CountOption = Annotated[int | None, typer.Option(min=0, max=records.MAX_COUNT)]
TextOption = Annotated[str | None, typer.Option()]


def _ctx() -> Any:
    return operator_context(cli_actor())


def _local(moment: str) -> str:
    """An ISO moment from the views as the Swedish wall clock, as the DPO entered it."""
    return format_moment(datetime.fromisoformat(moment))


def _print(data: dict[str, Any]) -> None:
    clock = data["deadline"]
    due = clock["deadline_local"][:16].replace("T", " ")
    console.print(
        _("Breach {breach}: {title} ({status})").format(
            breach=data["breach"], title=data["title"], status=data["status"]
        )
    )
    console.print(
        _("Aware (Stockholm): {aware}  deadline: {deadline}").format(
            aware=_local(data["aware_at"]), deadline=due
        )
    )
    if data["imy"]["decision"] == "pending":
        seconds = clock["seconds_left"]
        if clock["passed"]:
            console.print(
                _("[bold]Deadline passed {hours} h ago[/bold]").format(hours=-seconds // 3600)
            )
        else:
            console.print(
                _("Left: {hours} h {minutes} min").format(
                    hours=seconds // 3600, minutes=seconds % 3600 // 60
                )
            )
    console.print(
        _("IMY: {imy}  subjects: {subjects}").format(
            imy=data["imy"]["decision"], subjects=data["subjects"]["decision"]
        )
    )


@app.command(
    "record", help=_("Record a breach; the 72 hours to notify IMY run from --aware (art. 33.1).")
)
def record(
    title: Annotated[str, typer.Option(help=_("A short name for the breach."))],
    aware: Annotated[
        str, typer.Option(help=_("When the company became aware (YYYY-MM-DD HH:MM, Swedish)."))
    ],
    nature: Annotated[
        list[Nature], typer.Option(help=_("confidentiality/integrity/availability."))
    ],
    description: Annotated[str, typer.Option(help=_("What happened."))],
    category: Annotated[list[str], typer.Option(help=_("A policy data category (repeat)."))],
    subject_kind: Annotated[list[str], typer.Option(help=_("A policy subject kind (repeat)."))],
    subjects: Annotated[int, typer.Option(min=0, max=records.MAX_COUNT, help=_("About how many."))],
    records_count: Annotated[
        int, typer.Option("--records", min=0, max=records.MAX_COUNT, help=_("About how many."))
    ],
    consequences: Annotated[str, typer.Option(help=_("Likely consequences for the subjects."))],
    measures_taken: Annotated[str, typer.Option(help=_("What has been done."))],
    measures_planned: Annotated[str, typer.Option(help=_("What will be done."))],
    occurred: OccurredOption = None,
    approximate: Annotated[bool, typer.Option(help=_("--occurred is approximate."))] = False,
    as_json: JsonOption = False,
) -> None:
    data = records.BreachInput(
        title=title,
        aware_at=aware,
        occurred_at=occurred or "",
        occurred_approximate=approximate,
        nature=[n.value for n in nature],
        description=description,
        categories=category,
        subject_kinds=subject_kind,
        subjects_approx=subjects,
        records_approx=records_count,
        consequences=consequences,
        measures_taken=measures_taken,
        measures_planned=measures_planned,
    )
    now = utc_now()
    with cli_transaction() as session:
        breach = records.record_breach(session, current_policy(), _ctx(), data, now=now)
        shown = breach_views.as_dict(breach, now)
    if as_json:
        typer.echo(json.dumps(shown))
        return
    _print(shown)


@app.command("list", help=_("The breach register, newest awareness first."))
def list_breaches(
    open_only: Annotated[bool, typer.Option("--open", help=_("Only open breaches."))] = False,
    as_json: JsonOption = False,
) -> None:
    now = utc_now()
    with cli_transaction() as session:
        rows = [
            breach_views.as_dict(b, now)
            for b in records.list_breaches(session, _ctx(), open_only=open_only)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(
        _("breach"),
        _("title"),
        _("status"),
        _("aware (Stockholm)"),
        _("deadline"),
        "IMY",
        _("subjects"),
    )
    for row in rows:
        table.add_row(
            str(row["breach"]),
            row["title"],
            row["status"],
            _local(row["aware_at"]),
            row["deadline"]["deadline_local"][:16].replace("T", " "),
            row["imy"]["decision"],
            row["subjects"]["decision"],
        )
    console.print(table)


@app.command(
    "show", help=_("One breach: the record, the countdown, decisions, notifications and history.")
)
def show(breach_id: BreachId, as_json: JsonOption = False) -> None:
    with cli_transaction() as session:
        data = breach_views.detail(session, _ctx(), breach_id, utc_now())
    if as_json:
        typer.echo(json.dumps(data))
        return
    _print(data)
    for notice in data["imy_notices"]:
        console.print(
            _("IMY phase {phase}: {sent_at} ({reference})").format(
                phase=notice["phase"], sent_at=notice["sent_at"], reference=notice["reference"]
            )
        )
    console.print(_("Subjects told: {count}").format(count=data["subjects_notified"]))
    for event in data["history"]:
        console.print(f"{event['at'][:16]} {event['by']}: {event['kind']}")


@app.command(
    "update", help=_("Change what is known; the earlier values stay in the breach's history.")
)
def update(
    breach_id: BreachId,
    title: TitleOption = None,
    aware: AwareOption = None,
    occurred: OccurredOption = None,
    approximate: ApproximateOption = None,
    nature: NatureOption = None,
    description: TextOption = None,
    category: CategoryOption = None,
    subject_kind: KindOption = None,
    subjects: CountOption = None,
    records_count: Annotated[
        int | None, typer.Option("--records", min=0, max=records.MAX_COUNT)
    ] = None,
    consequences: TextOption = None,
    measures_taken: TextOption = None,
    measures_planned: TextOption = None,
) -> None:
    given: dict[str, Any] = {
        "title": title,
        "aware_at": aware,
        "occurred_at": occurred,
        "occurred_approximate": approximate,
        "nature": [n.value for n in nature] if nature else None,
        "description": description,
        "categories": category or None,
        "subject_kinds": subject_kind or None,
        "subjects_approx": subjects,
        "records_approx": records_count,
        "consequences": consequences,
        "measures_taken": measures_taken,
        "measures_planned": measures_planned,
    }
    with cli_transaction() as session:
        ctx = _ctx()
        data = records.as_input(records.get_breach(session, ctx, breach_id))
        for name, value in given.items():
            if value is not None:
                setattr(data, name, value)
        changed = records.update_breach(session, current_policy(), ctx, breach_id, data)
    typer.echo(
        _("Breach {breach}: changed {fields}.").format(
            breach=breach_id, fields=", ".join(changed) if changed else _("nothing")
        )
    )


@app.command(
    "notified",
    help=_("Record a notification sent to IMY; run again for a further phase (art. 33.4)."),
)
def notified(
    breach_id: BreachId,
    sent_at: Annotated[str, typer.Option(help=_("When it was sent (YYYY-MM-DD HH:MM, Swedish)."))],
    reference: Annotated[str, typer.Option(help=_("IMY's reference or the receipt's number."))],
    delay_reason: Annotated[
        str, typer.Option(help=_("Why it went after 72 hours (required then, art. 33.1)."))
    ] = "",
) -> None:
    with cli_transaction() as session:
        notice = decisions.record_imy_notification(
            session,
            _ctx(),
            breach_id,
            sent_at=sent_at,
            reference=reference,
            delay_reason=delay_reason,
        )
        typer.echo(
            _("Breach {breach}: notification to IMY recorded (phase {phase}).").format(
                breach=breach_id, phase=notice.phase
            )
        )


class Decision(StrEnum):
    IMY_NOT_NOTIFY = "imy-not-notify"
    SUBJECTS_NOTIFY = "subjects-notify"
    SUBJECTS_NOT_NOTIFY = "subjects-not-notify"


@app.command(
    "decide",
    help=_(
        "Record a decision: not to notify IMY (unlikely to result in a risk, art. 33.5), or to "
        "notify the subjects or not (art. 34)."
    ),
)
def decide(
    breach_id: BreachId,
    decision: Annotated[Decision, typer.Argument(help=_("What was decided."))],
    reason: Annotated[str, typer.Option(help=_("Why (art. 33.5 / 34.3)."))],
    ground: Annotated[
        decisions.NoNoticeGround | None,
        typer.Option(help=_("For subjects-not-notify: the ground of art. 34.3.")),
    ] = None,
) -> None:
    with cli_transaction() as session:
        if decision is Decision.IMY_NOT_NOTIFY:
            decisions.decide_not_to_notify(session, _ctx(), breach_id, reason=reason)
        else:
            decisions.decide_subjects(
                session,
                _ctx(),
                breach_id,
                notify=decision is Decision.SUBJECTS_NOTIFY,
                reason=reason,
                ground=ground.value if ground else None,
            )
    typer.echo(
        _("Breach {breach}: decision recorded ({decision}).").format(
            breach=breach_id, decision=decision.value
        )
    )


class Format(StrEnum):
    PDF = "pdf"
    JSON = "json"


@app.command(
    "notification",
    help=_("Draft the notification to IMY from the record: every item of art. 33.3."),
)
def notification(
    breach_id: BreachId,
    out: Annotated[Path, typer.Option(help=_("The file to write."), dir_okay=False)],
    format: Annotated[Format, typer.Option("--format", help=_("pdf or json."))] = Format.PDF,
    lang: Annotated[Language, typer.Option("--lang", help=_("sv or en."))] = Language.SV,
) -> None:
    policy = current_policy()
    with cli_transaction() as session:
        ctx = _ctx()
        breach = records.get_breach(session, ctx, breach_id)
        data = notification_imy.draft(
            policy, breach, decisions.imy_notices(session, breach_id), lang.as_lang()
        )
        records.audit(session, ctx, "breach.imy_draft", breach, format=format.value)
    with atomic_file(out) as temp:
        if format is Format.JSON:
            temp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            temp.write_bytes(notification_imy.render_pdf(data, lang.as_lang()))
    typer.echo(
        _("Draft notification of breach {breach} written to {out}.").format(
            breach=breach_id, out=out
        )
    )


CategoriesOption = Annotated[
    list[str], typer.Option("--category", help=_("Subjects holding this category (repeat)."))
]
SystemOption = Annotated[
    str | None, typer.Option(help=_("The system of the data map (default: the register)."))
]


@app.command(
    "affected",
    help=_("How many subjects hold data of the categories: the preview before telling them."),
)
def affected_subjects(
    breach_id: BreachId,
    category: CategoriesOption,
    system: SystemOption = None,
    as_json: JsonOption = False,
) -> None:
    policy = current_policy()
    with cli_transaction() as session:
        chosen = affected.selection(policy, category, system)
        counts = subject_notice.preview(session, policy, _ctx(), breach_id, chosen)
    if as_json:
        typer.echo(json.dumps(counts | chosen.as_dict()))
        return
    typer.echo(
        _(
            "{selected} subject(s) hold such data; {already} already told; {to_notify} to tell."
        ).format(
            selected=counts["selected"],
            already=counts["already_notified"],
            to_notify=counts["to_notify"],
        )
    )


@app.command(
    "notify-subjects",
    help=_("Queue the art. 34 mail (Swedish and English) to each selected subject not yet told."),
)
def notify_subjects(
    breach_id: BreachId,
    category: CategoriesOption,
    system: SystemOption = None,
    batch_size: Annotated[int, typer.Option(min=1, max=affected.MAX_BATCH)] = 200,
    yes: Annotated[bool, typer.Option("--yes", help=_("Do not ask for confirmation."))] = False,
    as_json: JsonOption = False,
) -> None:
    policy = current_policy()
    with cli_transaction() as session:
        chosen = affected.selection(policy, category, system)
        counts = subject_notice.preview(session, policy, _ctx(), breach_id, chosen)
    question = _("Tell {count} subject(s)?").format(count=counts["to_notify"])
    if not yes and not typer.confirm(question):
        raise typer.Exit(1)
    with cli_transaction() as session:
        result = subject_notice.notify_subjects(
            session, policy, _ctx(), breach_id, chosen, batch_size=batch_size
        )
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    typer.echo(
        _(
            "Queued {queued} mail(s); {already} already told, {no_address} without an e-mail "
            "address, {refused} refused."
        ).format(
            queued=result.queued,
            already=result.already,
            no_address=result.no_address,
            refused=result.refused,
        )
    )


@app.command(
    "close", help=_("Close a breach when nothing more is to be done; it stays in the register.")
)
def close(breach_id: BreachId) -> None:
    _set_status(breach_id, BreachStatus.CLOSED)


@app.command("reopen", help=_("Reopen a closed breach (something new came up)."))
def reopen(breach_id: BreachId) -> None:
    _set_status(breach_id, BreachStatus.OPEN)


def _set_status(breach_id: int, status: BreachStatus) -> None:
    with cli_transaction() as session:
        records.set_status(session, _ctx(), breach_id, status)
    typer.echo(_("Breach {breach}: {status}.").format(breach=breach_id, status=status.value))
