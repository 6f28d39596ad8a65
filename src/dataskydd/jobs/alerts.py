"""Telling the DPO: a run that failed for good, or is stuck, is mailed to the policy's DPO
address through the outbox (delivered by `deliver_outbox` when SMTP is configured), once.

The mail names the job, the run, its attempts, the error's kind and the time: never personal
data, never an exception's text. It is in the staff's language (`catalogues.STAFF_LANGUAGE`),
through the catalogues (`jobs.po`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.catalogues import STAFF_LANGUAGE, translations
from dataskydd.clock import utc_now
from dataskydd.db.session import transaction
from dataskydd.formatting import format_count, format_moment
from dataskydd.jobs import records
from dataskydd.jobs.definitions import JobContext
from dataskydd.jobs.models import JobRun, RunState
from dataskydd.mail import service as mail_service
from dataskydd.policy.schema import Lang, Policy

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


def failure_mail(run: JobRun, link: str, lang: Lang) -> tuple[str, str]:
    """Subject line and body of the mail about `run`, failed for good, in `lang`."""
    _ = translations(lang).gettext
    values = {
        "job": run.job,
        "run": run.id,
        "attempts": format_count(run.attempt, lang),
        "error": run.error or "–",
        "time": _local(run.finished_at),
        "command": f"dataskydd jobs run {run.job}",
        "link": link,
    }
    return (
        _("dataskydd: the job %(job)s failed") % values,
        _(
            "A job in dataskydd failed at every attempt.\n\n"
            "  Job:      %(job)s (run %(run)s)\n"
            "  Attempts: %(attempts)s\n"
            "  Error:    %(error)s\n"
            "  Time:     %(time)s (Swedish time)\n\n"
            "It runs again at its next scheduled time, or with `%(command)s`.\n\n"
            "%(link)s\n"
        )
        % values,
    )


def mail_failure(session: Session, context: JobContext, run: JobRun) -> bool:
    """Mail the DPO that `run` failed for good, unless they were already told of this job
    failing since it last succeeded (a job failing every minute is one mail). Returns whether
    a mail was queued."""
    if records.alerted_since_success(session, run.job):
        return False
    address = _dpo_address(context.policy)
    if address is None:
        return False
    subject_line, body = failure_mail(run, _link(context), STAFF_LANGUAGE)
    mail_service.queue_mail(session, to=address, subject_line=subject_line, body=body)
    run.alerted_at = utc_now()
    session.flush()
    return True


def _limit(seconds: int) -> str:
    """A time limit as h:mm:ss, the same in every language."""
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}"


def _stuck_line(run: JobRun, *, now: datetime, stale_after: timedelta, lang: Lang) -> str:
    _ = translations(lang).gettext
    values = {
        "job": run.job,
        "run": run.id,
        "since": _local(run.started_at),
        "heartbeat": _local(run.heartbeat_at),
        "limit": _limit(run.time_limit_seconds),
    }
    if records.is_lost(run, now=now, stale_after=stale_after):
        line = _(
            "%(job)s (run %(run)s), since %(since)s: no heartbeat since %(heartbeat)s, "
            "its worker stopped"
        )
    else:
        line = _("%(job)s (run %(run)s), since %(since)s: over its time limit (%(limit)s)")
    return "  " + line % values


def stuck_mail(
    runs: Sequence[JobRun], link: str, lang: Lang, *, now: datetime, stale_after: timedelta
) -> tuple[str, str]:
    """Subject line and body of the mail listing `runs`, stuck, in `lang`."""
    ngettext = translations(lang).ngettext
    lines = "\n".join(_stuck_line(run, now=now, stale_after=stale_after, lang=lang) for run in runs)
    values = {"count": format_count(len(runs), lang), "lines": lines, "link": link}
    return (
        ngettext(
            "dataskydd: %(count)s job is stuck", "dataskydd: %(count)s jobs are stuck", len(runs)
        )
        % values,
        ngettext(
            "A job in dataskydd is stuck (times in Swedish time):\n\n%(lines)s\n\n%(link)s\n",
            "Jobs in dataskydd are stuck (times in Swedish time):\n\n%(lines)s\n\n%(link)s\n",
            len(runs),
        )
        % values,
    )


def mail_stuck(
    session: Session, context: JobContext, runs: Sequence[JobRun], *, now: datetime
) -> bool:
    """One mail to the DPO listing `runs` (stuck, not yet told); marks them told."""
    if not runs:
        return False
    address = _dpo_address(context.policy)
    if address is None:
        return False
    subject_line, body = stuck_mail(
        runs, _link(context), STAFF_LANGUAGE, now=now, stale_after=context.stale_after
    )
    mail_service.queue_mail(session, to=address, subject_line=subject_line, body=body)
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
