"""Promise about breaches (docs/breaches.md): every personal data breach is notified to IMY
within 72 hours of awareness, or a decision not to notify is recorded with its reason
(GDPR art. 33.1 and 33.5)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.breaches import findings
from dataskydd.breaches.models import Breach
from dataskydd.policy.schema import Policy
from dataskydd.promises.registry import CheckContext, Evidence, promise, text


@promise(
    key="breaches_notified",
    title_sv="Personuppgiftsincidenter anmälda i tid",
    title_en="Breaches notified in time",
    order=95,
)
def breaches_answered_within_72_hours(
    session: Session, policy: Policy, ctx: CheckContext
) -> Evidence:
    """A breach past its 72 hours with IMY's question unanswered is broken, by breach id; a
    late notification with its reasons recorded answers it (art. 33.1 allows that)."""
    pledge = text(
        "Vi anmäler personuppgiftsincidenter till Integritetsskyddsmyndigheten inom 72 timmar, "
        "eller dokumenterar varför en incident inte behöver anmälas.",
        "We notify personal data breaches to the Swedish Authority for Privacy Protection "
        "within 72 hours, or document why a breach need not be notified.",
    )
    total = session.scalar(select(func.count()).select_from(Breach)) or 0
    late = findings.overdue(session, ctx.now)
    return ctx.verdict(
        pledge,
        text(
            f"registrerade incidenter: {total}; utan anmälan eller beslut efter 72 timmar: "
            f"{len(late)}",
            f"breaches recorded: {total}; without a notification or decision after 72 hours: "
            f"{len(late)}",
        ),
        [f"breach:{i}" for i in late],
    )
