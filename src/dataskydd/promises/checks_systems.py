"""Promises about the company's systems (docs/data-map.md): the registerutdrag and erasure
cover every system where the subject's data is kept, and a request waiting for a system that
could not be reached is still answered in time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.clock import today_in_sweden
from dataskydd.datamap import entries
from dataskydd.datamap.map_check import check_maps
from dataskydd.db.base import Base
from dataskydd.policy.schema import Policy
from dataskydd.promises.registry import CheckContext, Evidence, promise, text
from dataskydd.subject_requests import systems
from dataskydd.subject_requests.models import SubjectRequest

assert ALL_MODEL_MODULES  # every register table is in Base.metadata for the check


@promise(
    key="data_map",
    title_sv="Alla system",
    title_en="Every system",
    order=35,
)
def every_system_mapped(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    """The data map and the policy check clean together: every column of every mapped table
    is classified, every category it names is the policy's. Data whose category the policy
    lacks would be left out of a registerutdrag, so it is a broken promise, not a warning."""
    pledge = text(
        "Registerutdraget och raderingen omfattar alla system där vi har dina uppgifter.",
        "The register extract and erasure cover every system where we keep your data.",
    )
    data_map = entries.current()
    errors = [
        finding
        for finding in check_maps(policy, data_map, register_metadata=Base.metadata)
        if finding.severity == "error"
    ]
    tables = sum(len(system.tables) for system in data_map.systems)
    return ctx.verdict(
        pledge,
        text(
            f"datakartan och policyn stämmer överens: {len(data_map.systems)} system, "
            f"{tables} tabeller; fel: {len(errors)}",
            f"the data map and the policy agree: {len(data_map.systems)} systems, {tables} "
            f"tables; errors: {len(errors)}",
        ),
        [f"{finding.source}:{finding.path}" for finding in errors],
    )


@promise(
    key="systems_waiting",
    title_sv="Svar i tid",
    title_en="Answers in time",
    order=36,
)
def no_request_overdue_for_a_system(
    session: Session, policy: Policy, ctx: CheckContext
) -> Evidence:
    """A request waiting for a system that cannot be reached must still be answered by its
    due date (art. 12.3): waiting past it is a broken promise, named by request."""
    pledge = text(
        "Vi svarar på din begäran inom en månad, även när ett av våra system inte går att nå.",
        "We answer your request within a month, even when one of our systems cannot be reached.",
    )
    waiting = systems.waiting_requests(session)
    today = today_in_sweden()
    due = dict(
        session.execute(
            select(SubjectRequest.id, SubjectRequest.due_on).where(
                SubjectRequest.id.in_(list(waiting))
            )
        ).all()
    )
    overdue = sorted(i for i in waiting if (day := due.get(i)) is not None and day < today)
    return ctx.verdict(
        pledge,
        text(
            f"begäranden som väntar på ett annat system: {len(waiting)}; av dem försenade: "
            f"{len(overdue)}",
            f"requests waiting for another system: {len(waiting)}; of them overdue: {len(overdue)}",
        ),
        [f"subject_request:{i}" for i in overdue],
    )
