"""Security promises: every read is logged in a log that cannot be changed unseen, and staff
sessions end after the policy's minutes of inactivity."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.models import StaffSession
from dataskydd.auth.sessions import END_INACTIVITY
from dataskydd.policy.schema import Policy
from dataskydd.promises.registry import CheckContext, Evidence, promise, text


@promise(
    key="audit_log",
    title_sv="Loggning",
    title_en="Logging",
    order=10,
)
def audit_log_intact(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """The MAC chain is intact and holds against the signed checkpoints kept outside the
    database (which catch deleted newest entries)."""
    pledge = text(
        "Varje läsning av personuppgifter loggas, och loggen kan inte ändras i efterhand utan "
        "att det syns.",
        "Every read of personal data is logged, and the log cannot be changed afterwards "
        "without it showing.",
    )
    if ctx.checkpoint_path is not None:
        report = audit_service.verify_against_checkpoint(session, ctx.checkpoint_path)
    else:
        report = audit_service.verify_chain(session)
    if not report.ok:
        where = f"#{report.first_broken_id}" if report.first_broken_id else "-"
        return ctx.broken(
            pledge,
            text(
                f"loggkedjan är bruten vid post {where}: {report.reason} "
                f"({report.checked} poster före den är hela)",
                f"the audit chain is broken at entry {where}: {report.reason} "
                f"({report.checked} entries before it are intact)",
            ),
            [f"audit_entry:{report.first_broken_id}"] if report.first_broken_id else ["audit_log"],
        )
    if report.checkpoint_at is not None:
        when = audit_service.describe_time(report.checkpoint_at)
        return ctx.holds(
            pledge,
            text(
                f"loggkedjan är hel: {report.checked} poster kontrollerade, stämmer med "
                f"kontrollpunkten från {when}",
                f"the audit chain is intact: {report.checked} entries checked, matching the "
                f"checkpoint of {when}",
            ),
        )
    return ctx.holds(
        pledge,
        text(
            f"loggkedjan är hel: {report.checked} poster kontrollerade; ingen kontrollpunkt "
            "finns än att jämföra med",
            f"the audit chain is intact: {report.checked} entries checked; there is no "
            "checkpoint yet to compare it with",
        ),
    )


@promise(
    key="inactivity",
    title_sv="Automatisk utloggning",
    title_en="Automatic sign-out",
    order=90,
)
def idle_sessions_end(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """A request served after the timeout leaves no trace (it would overwrite last_seen_at),
    so what is checked is the rule the server applies: the timeout it is configured with is no
    longer than the policy's. auth/sessions.resume_session ends an idle session at its next
    request; the figures show that happening."""
    minutes = policy.security.session_inactivity_minutes
    promised = timedelta(minutes=minutes)
    applied = ctx.inactivity_timeout
    ended_idle = session.scalar(
        select(func.count())
        .select_from(StaffSession)
        .where(StaffSession.end_reason == END_INACTIVITY)
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(StaffSession)
        .where(StaffSession.ended_at.is_(None), StaffSession.last_seen_at < ctx.now - applied)
    )
    seconds = int(applied.total_seconds())
    pledge = text(
        f"Om du har varit inaktiv i {minutes} minuter loggar vi automatiskt ut dig.",
        f"If you have been inactive for {minutes} minutes, we sign you out automatically.",
    )
    evidence = text(
        f"servern avslutar sessioner efter {seconds} sekunders inaktivitet (policyn: "
        f"{minutes * 60}); avslutade för inaktivitet hittills: {ended_idle}; öppna men "
        f"inaktiva längre än så, avslutas vid nästa anrop: {waiting}",
        f"the server ends sessions after {seconds} seconds of inactivity (the policy: "
        f"{minutes * 60}); ended for inactivity so far: {ended_idle}; open but idle longer, "
        f"ended at their next request: {waiting}",
    )
    if applied > promised:
        return ctx.broken(
            pledge, evidence, [f"setting:DATASKYDD_SESSION_INACTIVITY_SECONDS={seconds}"]
        )
    return ctx.holds(pledge, evidence)
