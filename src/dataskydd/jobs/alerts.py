"""Telling the DPO: a run that failed for good, or is stuck, is mailed to the policy's DPO
address through the outbox (delivered by `deliver_outbox` when SMTP is configured), once.

The mail names the job, the run, its attempts, the error's kind and the time: never personal
data, never an exception's text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.db.session import transaction
from dataskydd.formatting import format_moment
from dataskydd.jobs import records
from dataskydd.jobs.definitions import JobContext
from dataskydd.jobs.models import JobRun, RunState
from dataskydd.mail import service as mail_service
from dataskydd.policy.schema import Policy

logger = logging.getLogger(__name__)

LOST = "WorkerLost"  # the error kind of a run whose worker stopped writing its heartbeat


def _local(moment: datetime | None) -> str:
    return format_moment(moment) if moment else "–"


def _dpo_address(policy: Policy) -> str | None:
    if policy.dpo is None or not policy.dpo.email:
        logger.warning("a job needs the DPO's attention, but the policy names no DPO e-mail")
        return None
    return policy.dpo.email


def _link(context: JobContext) -> str:
    return f"{context.link_base}/jobs"


def mail_failure(session: Session, context: JobContext, run: JobRun) -> bool:
    """Mail the DPO that `run` failed for good, unless they were already told of this job
    failing since it last succeeded (a job failing every minute is one mail). Returns whether
    a mail was queued."""
    if records.alerted_since_success(session, run.job):
        return False
    address = _dpo_address(context.policy)
    if address is None:
        return False
    mail_service.queue_mail(
        session,
        to=address,
        subject_line=f"dataskydd: jobbet {run.job} misslyckades / the job {run.job} failed",
        body=(
            "Ett jobb i dataskydd misslyckades vid varje försök.\n"
            "A job in dataskydd failed at every attempt.\n\n"
            f"  Jobb / job:        {run.job} (körning / run {run.id})\n"
            f"  Försök / attempts: {run.attempt}\n"
            f"  Fel / error:       {run.error or '–'}\n"
            f"  Tid / time:        {_local(run.finished_at)} (svensk tid / Swedish time)\n\n"
            "Det körs igen vid nästa schemalagda tid, eller med `dataskydd jobs run "
            f"{run.job}`.\nIt runs again at its next scheduled time, or with "
            f"`dataskydd jobs run {run.job}`.\n\n{_link(context)}\n"
        ),
    )
    run.alerted_at = utc_now()
    session.flush()
    return True


def _stuck_line(run: JobRun, *, now: datetime, stale_after: timedelta) -> str:
    if records.is_lost(run, now=now, stale_after=stale_after):
        why = (
            f"ingen livstecken sedan / no heartbeat since {_local(run.heartbeat_at)}: "
            "arbetaren stannade / its worker stopped"
        )
    else:
        limit = timedelta(seconds=run.time_limit_seconds)
        why = f"över sin tidsgräns / over its time limit ({limit})"
    return f"  {run.job} (körning / run {run.id}), sedan / since {_local(run.started_at)}: {why}"


def mail_stuck(
    session: Session, context: JobContext, runs: Sequence[JobRun], *, now: datetime
) -> bool:
    """One mail to the DPO listing `runs` (stuck, not yet told); marks them told."""
    if not runs:
        return False
    address = _dpo_address(context.policy)
    if address is None:
        return False
    lines = "\n".join(_stuck_line(run, now=now, stale_after=context.stale_after) for run in runs)
    mail_service.queue_mail(
        session,
        to=address,
        subject_line=f"dataskydd: {len(runs)} jobb har fastnat / {len(runs)} job(s) stuck",
        body=(
            "Jobb i dataskydd har fastnat / Jobs in dataskydd are stuck:\n\n"
            f"{lines}\n\n{_link(context)}\n"
        ),
    )
    for run in runs:
        run.alerted_at = now
    session.flush()
    return True


@dataclass(frozen=True)
class CheckResult:
    lost: list[int]  # runs found without a worker, now recorded as failed
    mailed: list[int]  # runs the DPO was mailed about
    to_recover: list[str]  # jobs to queue again (their lost run was the only one due)
    pruned: int


def check(context: JobContext, *, now: datetime | None = None) -> CheckResult:
    """The watch over the runs (the `check_jobs` job): runs whose worker stopped writing its
    heartbeat are recorded as failed (WorkerLost); those and runs past their time limit are
    mailed to the DPO once; old runs are forgotten."""
    now = now or utc_now()
    with transaction(context.session_factory) as session:
        stuck = records.runs_to_alert(session, now=now, stale_after=context.stale_after)
        lines_first = {run.id: run for run in stuck}
        mailed = mail_stuck(session, context, stuck, now=now)
        lost: list[int] = []
        recover: list[str] = []
        for run in lines_first.values():
            if records.is_lost(run, now=now, stale_after=context.stale_after):
                records.finish(session, run, RunState.FAILED, error=LOST, now=now)
                lost.append(run.id)
                if run.job not in recover:
                    recover.append(run.job)
        # Lost runs the DPO was told of earlier (and runs lost before any mail could go).
        for run in session.scalars(
            select(JobRun).where(JobRun.state == RunState.RUNNING, JobRun.alerted_at.is_not(None))
        ).all():
            if records.is_lost(run, now=now, stale_after=context.stale_after):
                records.finish(session, run, RunState.FAILED, error=LOST, now=now)
                lost.append(run.id)
                if run.job not in recover:
                    recover.append(run.job)
        pruned = records.prune(session, now=now)
    return CheckResult(
        lost=lost, mailed=list(lines_first) if mailed else [], to_recover=recover, pruned=pruned
    )
