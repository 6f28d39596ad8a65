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
    help="Personal data breaches (GDPR art. 33-34): record, the 72-hour deadline, IMY, subjects.",
    no_args_is_help=True,
)
console = Console(width=160)

BreachId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The breach's number.")]
TitleOption = Annotated[str | None, typer.Option(help="A short name for the breach.")]
AwareOption = Annotated[
    str | None,
    typer.Option("--aware", help="When the company became aware (YYYY-MM-DD HH:MM, Swedish)."),
]
OccurredOption = Annotated[
    str | None,
    typer.Option("--occurred", help="When it happened, if known (YYYY-MM-DD HH:MM)."),
]
ApproximateOption = Annotated[
    bool | None, typer.Option("--approximate/--exact", help="Is --occurred approximate?")
]
NatureOption = Annotated[
    list[Nature] | None,
    typer.Option("--nature", help="confidentiality, integrity and/or availability (repeat)."),
]
CategoryOption = Annotated[
    list[str] | None, typer.Option("--category", help="A policy data category (repeat).")
]
KindOption = Annotated[
    list[str] | None, typer.Option("--subject-kind", help="A policy subject kind (repeat).")
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
    console.print(f"Breach {data['breach']}: {data['title']} ({data['status']})")
    console.print(f"Aware (Stockholm): {_local(data['aware_at'])}  deadline: {due}")
    if data["imy"]["decision"] == "pending":
        seconds = clock["seconds_left"]
        if clock["passed"]:
            console.print(f"[bold]Deadline passed {-seconds // 3600} h ago[/bold]")
        else:
            console.print(f"Left: {seconds // 3600} h {seconds % 3600 // 60} min")
    console.print(f"IMY: {data['imy']['decision']}  subjects: {data['subjects']['decision']}")


@app.command("record")
def record(
    title: Annotated[str, typer.Option(help="A short name for the breach.")],
    aware: Annotated[
        str, typer.Option(help="When the company became aware (YYYY-MM-DD HH:MM, Swedish).")
    ],
    nature: Annotated[list[Nature], typer.Option(help="confidentiality/integrity/availability.")],
    description: Annotated[str, typer.Option(help="What happened.")],
    category: Annotated[list[str], typer.Option(help="A policy data category (repeat).")],
    subject_kind: Annotated[list[str], typer.Option(help="A policy subject kind (repeat).")],
    subjects: Annotated[int, typer.Option(min=0, max=records.MAX_COUNT, help="About how many.")],
    records_count: Annotated[
        int, typer.Option("--records", min=0, max=records.MAX_COUNT, help="About how many.")
    ],
    consequences: Annotated[str, typer.Option(help="Likely consequences for the subjects.")],
    measures_taken: Annotated[str, typer.Option(help="What has been done.")],
    measures_planned: Annotated[str, typer.Option(help="What will be done.")],
    occurred: OccurredOption = None,
    approximate: Annotated[bool, typer.Option(help="--occurred is approximate.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Record a breach; the 72 hours to notify IMY run from --aware (art. 33.1)."""
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


@app.command("list")
def list_breaches(
    open_only: Annotated[bool, typer.Option("--open", help="Only open breaches.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The breach register, newest awareness first."""
    now = utc_now()
    with cli_transaction() as session:
        rows = [
            breach_views.as_dict(b, now)
            for b in records.list_breaches(session, _ctx(), open_only=open_only)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("breach", "title", "status", "aware (Stockholm)", "deadline", "IMY", "subjects")
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


@app.command("show")
def show(breach_id: BreachId, as_json: JsonOption = False) -> None:
    """One breach: the record, the countdown, decisions, notifications and history."""
    with cli_transaction() as session:
        data = breach_views.detail(session, _ctx(), breach_id, utc_now())
    if as_json:
        typer.echo(json.dumps(data))
        return
    _print(data)
    for notice in data["imy_notices"]:
        console.print(f"IMY phase {notice['phase']}: {notice['sent_at']} ({notice['reference']})")
    console.print(f"Subjects told: {data['subjects_notified']}")
    for event in data["history"]:
        console.print(f"{event['at'][:16]} {event['by']}: {event['kind']}")


@app.command("update")
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
    """Change what is known; the earlier values stay in the breach's history."""
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
    typer.echo(f"Breach {breach_id}: changed {', '.join(changed) if changed else 'nothing'}.")


@app.command("notified")
def notified(
    breach_id: BreachId,
    sent_at: Annotated[str, typer.Option(help="When it was sent (YYYY-MM-DD HH:MM, Swedish).")],
    reference: Annotated[str, typer.Option(help="IMY's reference or the receipt's number.")],
    delay_reason: Annotated[
        str, typer.Option(help="Why it went after 72 hours (required then, art. 33.1).")
    ] = "",
) -> None:
    """Record a notification sent to IMY; run again for a further phase (art. 33.4)."""
    with cli_transaction() as session:
        notice = decisions.record_imy_notification(
            session,
            _ctx(),
            breach_id,
            sent_at=sent_at,
            reference=reference,
            delay_reason=delay_reason,
        )
        typer.echo(f"Breach {breach_id}: notification to IMY recorded (phase {notice.phase}).")


class Decision(StrEnum):
    IMY_NOT_NOTIFY = "imy-not-notify"
    SUBJECTS_NOTIFY = "subjects-notify"
    SUBJECTS_NOT_NOTIFY = "subjects-not-notify"


@app.command("decide")
def decide(
    breach_id: BreachId,
    decision: Annotated[Decision, typer.Argument(help="What was decided.")],
    reason: Annotated[str, typer.Option(help="Why (art. 33.5 / 34.3).")],
    ground: Annotated[
        decisions.NoNoticeGround | None,
        typer.Option(help="For subjects-not-notify: the ground of art. 34.3."),
    ] = None,
) -> None:
    """Record a decision: not to notify IMY (unlikely to result in a risk, art. 33.5), or to
    notify the subjects or not (art. 34)."""
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
    typer.echo(f"Breach {breach_id}: decision recorded ({decision.value}).")


class Format(StrEnum):
    PDF = "pdf"
    JSON = "json"


@app.command("notification")
def notification(
    breach_id: BreachId,
    out: Annotated[Path, typer.Option(help="The file to write.", dir_okay=False)],
    format: Annotated[Format, typer.Option("--format", help="pdf or json.")] = Format.PDF,
    lang: Annotated[Language, typer.Option("--lang", help="sv or en.")] = Language.SV,
) -> None:
    """Draft the notification to IMY from the record: every item of art. 33.3."""
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
    typer.echo(f"Draft notification of breach {breach_id} written to {out}.")


CategoriesOption = Annotated[
    list[str], typer.Option("--category", help="Subjects holding this category (repeat).")
]
SystemOption = Annotated[
    str | None, typer.Option(help="The system of the data map (default: the register).")
]


@app.command("affected")
def affected_subjects(
    breach_id: BreachId,
    category: CategoriesOption,
    system: SystemOption = None,
    as_json: JsonOption = False,
) -> None:
    """How many subjects hold data of the categories: the preview before telling them."""
    policy = current_policy()
    with cli_transaction() as session:
        chosen = affected.selection(policy, category, system)
        counts = subject_notice.preview(session, policy, _ctx(), breach_id, chosen)
    if as_json:
        typer.echo(json.dumps(counts | chosen.as_dict()))
        return
    typer.echo(
        f"{counts['selected']} subject(s) hold such data; {counts['already_notified']} "
        f"already told; {counts['to_notify']} to tell."
    )


@app.command("notify-subjects")
def notify_subjects(
    breach_id: BreachId,
    category: CategoriesOption,
    system: SystemOption = None,
    batch_size: Annotated[int, typer.Option(min=1, max=affected.MAX_BATCH)] = 200,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Queue the art. 34 mail (Swedish and English) to each selected subject not yet told."""
    policy = current_policy()
    with cli_transaction() as session:
        chosen = affected.selection(policy, category, system)
        counts = subject_notice.preview(session, policy, _ctx(), breach_id, chosen)
    if not yes and not typer.confirm(f"Tell {counts['to_notify']} subject(s)?"):
        raise typer.Exit(1)
    with cli_transaction() as session:
        result = subject_notice.notify_subjects(
            session, policy, _ctx(), breach_id, chosen, batch_size=batch_size
        )
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    typer.echo(
        f"Queued {result.queued} mail(s); {result.already} already told, "
        f"{result.no_address} without an e-mail address, {result.refused} refused."
    )


@app.command("close")
def close(breach_id: BreachId) -> None:
    """Close a breach when nothing more is to be done; it stays in the register."""
    _set_status(breach_id, BreachStatus.CLOSED)


@app.command("reopen")
def reopen(breach_id: BreachId) -> None:
    """Reopen a closed breach (something new came up)."""
    _set_status(breach_id, BreachStatus.OPEN)


def _set_status(breach_id: int, status: BreachStatus) -> None:
    with cli_transaction() as session:
        records.set_status(session, _ctx(), breach_id, status)
    typer.echo(f"Breach {breach_id}: {status.value}.")
