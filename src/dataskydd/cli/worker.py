"""`dataskydd worker` (runs the job queue) and `dataskydd jobs list|run` (docs/jobs.md)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import inspect

from dataskydd.cli import _, render
from dataskydd.cli._context import cli_actor, cli_transaction
from dataskydd.config import Settings
from dataskydd.config import get_settings as _settings
from dataskydd.errors import ConfigurationError
from dataskydd.formatting import format_moment
from dataskydd.jobs import records
from dataskydd.jobs.definitions import context_from_settings
from dataskydd.jobs.tasks import default_jobs
from dataskydd.messages_i18n import Msg

if TYPE_CHECKING:
    # huey (imported by the queue) is needed only by the commands that use the queue.
    from dataskydd.jobs.queue import JobQueue

MAX_WORKERS = 16
app = typer.Typer(
    help=_("The job queue: scheduled and long work (docs/jobs.md)."), no_args_is_help=True
)


def _queue(settings: Settings) -> JobQueue:
    from dataskydd.jobs.queue import JobQueue, queue_store

    context = context_from_settings(settings)
    if not inspect(context.engine).has_table("alembic_version"):
        raise ConfigurationError(Msg("the database is not initialised: run `dataskydd init`"))
    return JobQueue(context, queue_store(settings))


def _log_to_stderr(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # huey says "executing" and "requeueing" for every task; its warnings and errors stay.
    logging.getLogger("huey").setLevel(logging.INFO if verbose else logging.WARNING)


def worker(
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_WORKERS,
            help=_(
                "Jobs run at once. Keep it at 2 or more, so mail goes out while a retention run "
                "works."
            ),
        ),
    ] = 2,
    threads: Annotated[
        bool,
        typer.Option(
            "--threads",
            help=_(
                "Run jobs in threads of this process instead of worker processes. Time limits "
                "are then not enforced (a run over its limit shows as stuck)."
            ),
        ),
    ] = False,
    shutdown_timeout: Annotated[
        float,
        typer.Option(
            min=0,
            max=3600,
            help=_(
                "On SIGTERM, seconds to let runs at work finish before they are put back on the "
                "queue (SIGINT puts them back at once)."
            ),
        ),
    ] = 30,
    verbose: Annotated[bool, typer.Option("--verbose", help=_("Log every task."))] = False,
) -> None:
    from dataskydd.jobs.queue import run_worker

    settings = _settings()
    queue = _queue(settings)
    _log_to_stderr(verbose)
    started = (
        _(
            "dataskydd worker: {workers} thread(s), queue in {store}; jobs: {jobs}. SIGTERM or "
            "Ctrl+C stops it."
        )
        if threads
        else _(
            "dataskydd worker: {workers} process(es), queue in {store}; jobs: {jobs}. SIGTERM "
            "or Ctrl+C stops it."
        )
    )
    typer.echo(
        started.format(workers=workers, store=queue.store.describe(), jobs=", ".join(queue.jobs)),
        err=True,
    )
    run_worker(
        queue,
        workers=workers,
        worker_type="thread" if threads else "process",
        shutdown_timeout=shutdown_timeout,
    )
    typer.echo(_("dataskydd worker stopped."), err=True)


def _when(moment: datetime | None) -> str:
    return format_moment(moment) if moment else ""


@app.command(
    "list",
    help=_(
        "Each job: its schedule, last run, last outcome and next run; then the problems "
        "(failed or stuck runs, no worker). Exit 1 when there is a problem."
    ),
)
def list_jobs(
    as_json: Annotated[bool, typer.Option("--json", help=_("Print a JSON object."))] = False,
) -> None:
    settings = _settings()
    jobs = default_jobs(settings)
    with cli_transaction() as session:
        rows = records.overview(session, jobs, settings=settings)
        found = records.problems(session, jobs=jobs)
        listed = [
            {
                "job": row.job.name,
                "schedule": row.schedule.describe() if row.schedule else None,
                "not_scheduled": row.not_scheduled,
                "last_run": row.last_run.started_at.isoformat()
                if row.last_run and row.last_run.started_at
                else None,
                "last_state": row.last_run.state.value if row.last_run else None,
                "last_outcome": row.last_outcome.state.value if row.last_outcome else None,
                "last_finished": row.last_outcome.finished_at.isoformat()
                if row.last_outcome and row.last_outcome.finished_at
                else None,
                "next_run": row.next_run.isoformat() if row.next_run else None,
                "at_work": row.at_work,
                "waiting": row.waiting,
                "problems": row.problems,
            }
            for row in rows
        ]
        problems = [
            {
                "kind": problem.kind.value,
                "job": problem.job or None,
                "run": problem.run.id if problem.run else None,
                "since": problem.since.isoformat(),
                "error": problem.run.error if problem.run else None,
                "failures": problem.failures,
            }
            for problem in found
        ]
    if as_json:
        typer.echo(json.dumps({"jobs": listed, "problems": problems}))
    else:
        # One line a job, unwrapped: read in terminals, logs and monitoring scripts alike.
        for row in rows:
            if row.not_scheduled:
                schedule = _("not scheduled ({why})").format(why=render(row.not_scheduled))
            else:
                schedule = row.schedule.describe() if row.schedule else _("on demand")
            last, outcome = row.last_run, row.last_outcome
            parts = [
                f"{row.job.name}: {schedule}",
                _("last run {at} {state}").format(at=_when(last.started_at), state=last.state.value)
                if last
                else _("never run"),
                _("last outcome {state} {at}").format(
                    state=outcome.state.value, at=_when(outcome.finished_at)
                )
                if outcome
                else "",
                _("next run {at}").format(at=_when(row.next_run)) if row.next_run else "",
                _("{count} at work").format(count=row.at_work) if row.at_work else "",
                _("{count} waiting").format(count=row.waiting) if row.waiting else "",
                _("{count} PROBLEM(S)").format(count=row.problems) if row.problems else "",
            ]
            typer.echo("; ".join(part for part in parts if part))
        for problem in found:
            typer.echo(_problem_line(problem))
        if not found:
            typer.echo(_("No problems."))
    if found:
        raise typer.Exit(1)


def _problem_line(problem: records.Problem) -> str:
    run = problem.run
    what = {
        records.ProblemKind.FAILED: _("failed ({failures} since it last succeeded)").format(
            failures=problem.failures
        ),
        records.ProblemKind.OVER_TIME: _("at work longer than its time limit"),
        records.ProblemKind.LOST: _("at work, but its worker stopped writing its heartbeat"),
        records.ProblemKind.WAITING: _("waiting for a worker"),
        records.ProblemKind.NO_WORKER: _(
            "no job queued by the schedule: is `dataskydd worker` running?"
        ),
    }[problem.kind]
    where = _("{job} run {run}").format(job=problem.job, run=run.id) if run else _("jobs")
    error = _(", error {error}").format(error=run.error) if run and run.error else ""
    return _("PROBLEM {where}: {what} since {since}{error}").format(
        where=where, what=what, since=_when(problem.since), error=error
    )


@app.command("run", help=_("Queue a run of a job now; a worker (`dataskydd worker`) runs it."))
def run_job(
    name: Annotated[str, typer.Argument(help=_("The job, as `dataskydd jobs list` names it."))],
) -> None:
    settings = _settings()
    queue = _queue(settings)
    try:
        run_id = queue.enqueue(name, requested_by=cli_actor())
    finally:
        queue.close()
    typer.echo(
        _("Queued {job} as run {run}; `dataskydd worker` runs it.").format(job=name, run=run_id)
    )


def register(root: typer.Typer) -> None:
    root.command(
        "worker",
        help=_(
            "Run the job queue: deliver the outbox, remind the DPO, run retention, watch the runs."
        )
        + " "
        + _(
            "Several workers may run against one PostgreSQL database; each scheduled slot "
            "runs once."
        ),
    )(worker)
    root.add_typer(app, name="jobs")
