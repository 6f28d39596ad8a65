"""One breach as the DPO sees it, built once for the page, the CLI and JSON: the record, the
countdown, what was decided and sent, how many subjects were told, and the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext
from dataskydd.breaches import deadlines, decisions, records, subject_notice
from dataskydd.breaches.models import Breach
from dataskydd.formatting import format_moment


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _local(moment: datetime | None) -> str | None:
    return format_moment(moment) if moment else None


def as_dict(breach: Breach, now: datetime) -> dict[str, Any]:
    return {
        "breach": breach.id,
        "title": breach.title,
        "status": breach.status.value,
        "occurred_at": _iso(breach.occurred_at),
        "occurred_approximate": breach.occurred_approximate,
        "aware_at": _iso(breach.aware_at),
        "recorded_at": _iso(breach.recorded_at),
        # Swedish wall-clock time, as the DPO entered them.
        "occurred_local": _local(breach.occurred_at),
        "aware_local": _local(breach.aware_at),
        "recorded_by": breach.recorded_by,
        "nature": records.split(breach.nature),
        "description": breach.description,
        "categories": records.split(breach.categories),
        "subject_kinds": records.split(breach.subject_kinds),
        "subjects_approx": breach.subjects_approx,
        "records_approx": breach.records_approx,
        "consequences": breach.consequences,
        "measures_taken": breach.measures_taken,
        "measures_planned": breach.measures_planned,
        "deadline": deadlines.countdown(breach.aware_at, now).as_dict(),
        "imy": {
            "decision": breach.imy_decision.value,
            "reason": breach.imy_reason,
            "decided_by": breach.imy_decided_by,
            "decided_at": _iso(breach.imy_decided_at),
        },
        "subjects": {
            "decision": breach.subject_decision.value,
            "reason": breach.subject_reason,
            "decided_by": breach.subject_decided_by,
            "decided_at": _iso(breach.subject_decided_at),
        },
    }


def detail(session: Session, ctx: AccessContext, breach_id: int, now: datetime) -> dict[str, Any]:
    breach = records.get_breach(session, ctx, breach_id)
    notices = decisions.imy_notices(session, breach.id)
    return as_dict(breach, now) | {
        "imy_notices": [
            {
                "phase": n.phase,
                "sent_at": n.sent_at.isoformat(),
                "sent_local": _local(n.sent_at),
                "reference": n.reference,
                "recorded_by": n.recorded_by,
            }
            for n in notices
        ],
        "subjects_notified": subject_notice.notified_count(session, breach.id),
        "history": [
            event | {"at": event["at"].isoformat(), "at_local": _local(event["at"])}
            for event in records.history(session, ctx, breach.id)
        ],
    }
