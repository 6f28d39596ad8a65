"""The jobs the queue runs, and when (docs/jobs.md).

Each body opens short transactions of its own with the project's session factory and can run
again safely: after a failure (the queue retries it with a growing delay), after a restart
(the queue keeps it), and beside another worker (a slot is claimed once, and one run of a job
works at a time).

Adding a job (connector steps, when they come): write its body `def body(context) -> object`
here or in its own module, add a `Job(...)` to `default_jobs` with its schedule (None: on demand
only, `dataskydd jobs run NAME`), time limit and retries, and give its title a Swedish
translation in `web/locales/sv/LC_MESSAGES/jobs.po`. A body that works on one system at a time
should commit per system, so a retry carries on where the failure was.
"""

from __future__ import annotations

from datetime import timedelta

from dataskydd.access import guard
from dataskydd.analytics import partitions
from dataskydd.analytics import rollups as analytics_rollups
from dataskydd.breaches import reminders as breach_reminders
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.errors import Conflict
from dataskydd.jobs import alerts
from dataskydd.jobs.definitions import Job, JobContext, JobSkipped
from dataskydd.jobs.schedule import DailyAt, Every
from dataskydd.mail import service as mail_service
from dataskydd.recipients import overview as recipient_overview
from dataskydd.recipients import reminders as recipient_reminders
from dataskydd.recommendations import purpose as recommendation_purpose
from dataskydd.recommendations import training as recommendation_training
from dataskydd.retention.runs import run_retention
from dataskydd.subject_requests import requests as request_service

# At most this many mails per run of deliver_outbox (batches of mail.service's 100).
DELIVERY_BATCHES = 10
NO_SMTP = "DATASKYDD_SMTP_URL is not set: mail stays in the outbox"


def deliver_outbox(context: JobContext) -> int:
    """Send unsent mail over SMTP (mail.service.send_pending); without SMTP, nothing."""
    settings = context.settings
    if not settings.smtp_url:
        return 0
    sent = 0
    for _batch in range(DELIVERY_BATCHES):
        # Delivery only, no new purpose: the outbox rows are read as the web app's mail
        # worker reads them (web/pages/access_requests.py).
        with transaction(context.session_factory) as session, guard.internal():
            count = mail_service.send_pending(
                session, smtp_url=settings.smtp_url, sender=settings.mail_sender
            )
        sent += count
        if count < 100:
            break
    return sent


def request_reminders(context: JobContext) -> list[int]:
    """Mail the DPO about subjects' requests due within a week (once per request), as
    `dataskydd requests remind` does; deliver_outbox sends the mail."""
    with transaction(context.session_factory) as session:
        return request_service.send_reminders(
            session,
            actor="job:request_reminders",
            policy=context.policy,
            queue_link=f"{context.link_base}/requests",
        )


def retention_run(context: JobContext) -> int:
    """Apply the policy's retention rules for today (Swedish date) across every system of
    the data map (dataskydd.retention.runs); returns the retention run's id."""
    try:
        return run_retention(
            context.engine,
            context.policy,
            today=today_in_sweden(),
            by="job:retention",
            batch_size=context.settings.retention_batch_size,
        )
    except Conflict:
        # Another retention run is at work (`dataskydd retention run`, another worker): it
        # does today's work; a run stopped midway is carried on by the next one.
        raise JobSkipped from None


def breach_deadlines(context: JobContext) -> list[int]:
    """Mail the DPO about open breaches' 72-hour deadline: at recording, and when 24 and 6
    hours are left, once each (dataskydd.breaches.reminders)."""
    with transaction(context.session_factory) as session:
        return breach_reminders.send_deadline_mails(
            session,
            context.policy,
            now=utc_now(),
            link_base=context.link_base,
            actor="job:breach_deadlines",
        )


def agreement_reviews(context: JobContext) -> int:
    """Mail the DPO about recipients' agreement reviews coming within the notice period or
    overdue, once per review date and threshold (recipients/reminders.py)."""
    limits = recipient_overview.thresholds(context.settings, today_in_sweden())
    with transaction(context.session_factory) as session:
        sent = recipient_reminders.send_review_reminders(
            session,
            policy=context.policy,
            limits=limits,
            link_base=context.link_base,
            actor="job:agreement_reviews",
        )
    return len(sent)


def check_jobs(context: JobContext) -> list[int]:
    """Watch the runs: record lost ones as failed and queue their job again, mail the DPO
    about stuck ones, forget old ones (jobs/alerts.py)."""
    result = alerts.check(context)
    if context.recover is not None:
        for job in result.to_recover:
            context.recover(job)
    return result.lost


def analytics_rollup(context: JobContext) -> int:
    """Roll up closed days of website events into counts without identifiers, a bounded
    number of days per run (analytics/rollups.py), after making, on PostgreSQL, the coming
    months' partitions of the raw events; returns the days rolled."""
    today = today_in_sweden()
    # PostgreSQL: this month's and the coming months' partitions of the raw events exist
    # before their events arrive (analytics/partitions.py; nothing to do on SQLite).
    with transaction(context.session_factory) as session:
        partitions.ensure_ahead(session.connection(), today)
    rolled = analytics_rollups.roll_up_closed_days(context.session_factory, today)
    return len(rolled)


def recommendations_training(context: JobContext) -> int:
    """Train the recommendation model from the viewing events the recommendations purpose
    may use (dataskydd.recommendations.training); returns the training's id. Skipped when
    the policy makes no recommendations."""
    if not recommendation_purpose.configured(context.policy):
        raise JobSkipped
    with transaction(context.session_factory) as session:
        return recommendation_training.train(
            session, context.policy, actor="job:recommendations_training"
        ).id


def _no_smtp(settings: Settings) -> str | None:
    return None if settings.smtp_url else NO_SMTP


def default_jobs(settings: Settings) -> tuple[Job, ...]:
    """Every job of the queue, with its schedule from `settings`."""
    hour, minute = settings.retention_time
    return (
        Job(
            name="deliver_outbox",
            title="Deliver the outbox",
            run=deliver_outbox,
            schedule=Every(1),
            time_limit=timedelta(minutes=5),
            retries=2,
            retry_delay=timedelta(seconds=20),
            not_scheduled=_no_smtp,
        ),
        Job(
            name="request_reminders",
            title="Remind the DPO of requests due soon",
            run=request_reminders,
            schedule=DailyAt(7, 0),
            time_limit=timedelta(minutes=10),
            retries=4,
            retry_delay=timedelta(minutes=5),
        ),
        Job(
            name="retention_run",
            title="Retention run",
            run=retention_run,
            schedule=DailyAt(hour, minute),
            time_limit=timedelta(hours=6),
            retries=3,
            retry_delay=timedelta(minutes=10),
        ),
        Job(
            name="breach_deadlines",
            title="Remind the DPO of breach deadlines",
            run=breach_deadlines,
            schedule=Every(5),
            time_limit=timedelta(minutes=2),
            retries=2,
            retry_delay=timedelta(seconds=30),
        ),
        Job(
            name="agreement_reviews",
            title="Remind the DPO of agreement reviews",
            run=agreement_reviews,
            schedule=DailyAt(7, 15),
            time_limit=timedelta(minutes=10),
            retries=4,
            retry_delay=timedelta(minutes=5),
        ),
        Job(
            name="analytics_rollup",
            title="Roll up web analytics",
            run=analytics_rollup,
            schedule=Every(60),
            time_limit=timedelta(minutes=30),
            retries=3,
            retry_delay=timedelta(minutes=5),
        ),
        Job(
            name="recommendations_training",
            title="Train the recommendation model",
            run=recommendations_training,
            # Nightly, after the retention run has erased what is due.
            schedule=DailyAt(4, 30),
            time_limit=timedelta(hours=2),
            retries=2,
            retry_delay=timedelta(minutes=15),
        ),
        Job(
            name="check_jobs",
            title="Watch the jobs",
            run=check_jobs,
            schedule=Every(5),
            time_limit=timedelta(minutes=2),
            retries=0,
        ),
    )
