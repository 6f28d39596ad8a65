"""`dataskydd retention plan|run|report|runs` and `dataskydd retention hold|lift|holds`: the
policy's retention rules applied to every system of the data map (docs/retention.md). The
job runner runs `retention run` daily (docs/jobs.md); these commands are for the DPO and for
operators who schedule it themselves."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataskydd import runtime
from dataskydd.cli import _, render
from dataskydd.cli._context import MAX_ID, JsonOption, SubjectIdArgument, cli_actor, cli_transaction
from dataskydd.clock import today_in_sweden
from dataskydd.config import get_settings
from dataskydd.errors import NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.retention import holds as hold_service
from dataskydd.retention import runs
from dataskydd.retention.rules import read_rule

# What a run does to a due row (the data map's on_erase), as the plan names it.
_ACTIONS = {"delete": _("delete"), "blank": _("blank"), "anonymise": _("anonymise")}

app = typer.Typer(
    help=_("Retention: erase what the policy's rules say is due; legal holds."),
    no_args_is_help=True,
)
# Wide enough for the rule column when the output is a file or a pipe (no terminal width).
console = Console(width=160)

TodayOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--today",
        formats=["%Y-%m-%d"],
        help=_("Apply the rules as on this day (YYYY-MM-DD); default today in Sweden."),
    ),
]


def _today(value: dt.datetime | None) -> dt.date:
    return value.date() if value is not None else today_in_sweden()


@app.command(
    "plan",
    help=_(
        "Dry run: per system, table and category the rows due, their subjects and the rule and "
        "date that made them due. Nothing is changed."
    ),
)
def plan(today: TodayOption = None, as_json: JsonOption = False) -> None:
    day = _today(today)
    with cli_transaction() as session:
        policy = runtime.configured_policy(get_settings())
        lines = runs.plan_retention(session, policy, today=day)
    if as_json:
        typer.echo(json.dumps({"today": day.isoformat(), "lines": [x.as_dict() for x in lines]}))
        return
    table = Table(
        _("system"),
        _("table"),
        _("category"),
        _("due"),
        _("subjects"),
        _("held"),
        _("restricted"),
        _("rule"),
    )
    for line in lines:
        table.add_row(
            line.system,
            line.table,
            line.category,
            str(line.rows_due) if line.cannot is None else "-",
            str(line.subjects),
            str(line.rows_held),
            str(line.rows_restricted),
            render(line.cannot)
            if line.cannot
            else f"{render(line.rule)} ({_ACTIONS.get(line.action, line.action)})",
        )
    console.print(table)
    total = sum(line.rows_due for line in lines)
    console.print(
        _("{total} row(s) due on {day}; nothing was changed.").format(
            total=total, day=day.isoformat()
        )
    )


@app.command(
    "run",
    help=_(
        "Erase every row whose retention rule has passed, in short batches; the report is kept "
        "(`retention report`). Safe to stop and run again."
    ),
)
def run(
    today: TodayOption = None,
    batch_size: Annotated[
        int | None,
        typer.Option(min=10, max=100_000, help=_("Rows per transaction (default: the setting).")),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    settings = get_settings()
    with cli_transaction():
        pass  # refuses an uninitialised database and loads the key, like every command
    policy = runtime.configured_policy(settings)
    engine = runtime.engine_for(settings.database_url)
    run_id = runs.run_retention(
        engine,
        policy,
        today=_today(today),
        by=cli_actor(),
        batch_size=batch_size or settings.retention_batch_size,
    )
    _print_report(run_id, as_json)


def _print_report(run_id: int | None, as_json: bool) -> None:
    with cli_transaction() as session:
        found = runs.report(session, run_id)
        if found is None:
            raise NotFound(
                Msg("no retention run yet")
                if run_id is None
                else Msg("no run {run_id}", run_id=run_id)
            )
        data = found.as_dict()
    if as_json:
        typer.echo(json.dumps(data))
        return
    console.print(
        _("Retention run {run} ({status}) for {today}: {erased} row(s) erased.").format(
            run=data["run"], status=data["status"], today=data["today"], erased=data["rows_erased"]
        )
    )
    if data["resumed_runs"]:
        console.print(
            _("Carried on after stopped run(s): {runs}").format(runs=data["resumed_runs"])
        )
    if data["problem"]:
        console.print(_("Problem: {problem}").format(problem=data["problem"]))
    table = Table(
        _("system"),
        _("table"),
        _("category"),
        _("due"),
        _("erased"),
        _("held"),
        _("restricted"),
        _("rule"),
    )
    lines = data["lines"]
    assert isinstance(lines, list)
    for line in lines:
        if not (line["rows_due"] or line["rows_held"] or line["rows_restricted"]):
            continue
        table.add_row(
            line["system"],
            line["table"],
            line["category"],
            str(line["rows_due"]),
            str(line["rows_erased"]),
            str(line["rows_held"]),
            str(line["rows_restricted"]),
            render(read_rule(str(line["rule"]))),
        )
    console.print(table)


@app.command("report", help=_("The report of a retention run, kept as evidence."))
def report(
    run_id: Annotated[
        int | None, typer.Argument(min=1, max=MAX_ID, help=_("A run's id; default the latest."))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    _print_report(run_id, as_json)


@app.command("runs", help=_("The latest retention runs."))
def list_runs(as_json: JsonOption = False) -> None:
    with cli_transaction() as session:
        rows = [
            {
                "run": r.id,
                "status": r.status.value,
                "today": r.today.isoformat(),
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "rows_erased": r.rows_erased,
                "by": r.by,
            }
            for r in runs.recent_runs(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(_("run"), _("status"), _("for"), _("started"), _("erased"), _("by"))
    for row in rows:
        table.add_row(
            str(row["run"]),
            str(row["status"]),
            str(row["today"]),
            str(row["started_at"])[:16],
            str(row["rows_erased"]),
            str(row["by"]),
        )
    console.print(table)


@app.command(
    "hold",
    help=_("Place a legal hold: no retention run and no erasure touches the data while it stands."),
)
def hold(
    subject_id: SubjectIdArgument,
    reason: Annotated[str, typer.Option(help=_("Why the data must be kept."))],
    reference: Annotated[str, typer.Option(help=_("The case or authority's reference."))],
    category: Annotated[
        str | None,
        typer.Option(help=_("Only this category (a key of the policy); default all.")),
    ] = None,
) -> None:
    with cli_transaction() as session:
        policy = runtime.configured_policy(get_settings())
        placed = hold_service.place_hold(
            session,
            policy=policy,
            subject_id=subject_id,
            category=category,
            reason=reason,
            reference=reference,
            by=cli_actor(),
        )
        typer.echo(
            _("Hold {id} placed on subject {subject} ({scope}).").format(
                id=placed.id, subject=subject_id, scope=category or _("all data")
            )
        )


@app.command(
    "lift",
    help=_("Lift a legal hold; the next retention run applies the rules to the data again."),
)
def lift(
    hold_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help=_("The hold's id."))],
    reason: Annotated[str, typer.Option(help=_("Why the hold ends."))],
) -> None:
    with cli_transaction() as session:
        lifted = hold_service.lift_hold(session, hold_id=hold_id, reason=reason, by=cli_actor())
        typer.echo(_("Hold {id} lifted.").format(id=lifted.id))


@app.command("holds", help=_("Legal holds with their reasons and references."))
def list_holds(
    subject_id: Annotated[
        int | None, typer.Option("--subject", min=1, max=MAX_ID, help=_("Only this subject."))
    ] = None,
    standing: Annotated[bool, typer.Option(help=_("Only holds not lifted."))] = False,
    as_json: JsonOption = False,
) -> None:
    with cli_transaction() as session:
        rows = [
            {
                "hold": h.id,
                "subject": h.subject_id,
                "category": h.category,
                "reason": h.reason,
                "reference": h.reference,
                "placed_by": h.placed_by,
                "placed_at": h.placed_at.isoformat(),
                "lifted_at": h.lifted_at.isoformat() if h.lifted_at else None,
            }
            for h in hold_service.holds(session, subject_id=subject_id, standing_only=standing)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(_("hold"), _("subject"), _("category"), _("reference"), _("placed"), _("lifted"))
    for row in rows:
        table.add_row(
            str(row["hold"]),
            str(row["subject"]),
            str(row["category"] or _("all")),
            str(row["reference"]),
            str(row["placed_at"])[:10],
            str(row["lifted_at"] or "")[:10],
        )
    console.print(table)
