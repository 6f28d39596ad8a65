"""The access decisions of an import. New subjects: the data map's create decision
(`datamap.writes.authorise_create`), once per import - a new subject has no state that could
refuse one and allow another. Subjects that exist and that a batch's rows would add to: each
decided as `decide` decides a write (the caller, the purpose, the subject's objections and
restrictions, every category), with `access.service.may`, and audited as one entry per batch
naming the subjects allowed and one naming those refused with the reasons - as `decide_list`
does for a list page, which decides reads only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.access.state import load_states
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext
from dataskydd.datamap import writes
from dataskydd.policy.schema import Policy

SUBJECT_TABLES = ("subject", "subject_role", "contact_point", "postal_address")


def authorise_new_subjects(session: Session, policy: Policy, caller: AccessContext) -> str:
    """The purpose new subjects are written under (refused: AccessRefused, audited)."""
    return writes.authorise_create(session, policy, caller, tables=SUBJECT_TABLES)


def decide_existing(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    purpose: str,
    subject_ids: Sequence[int],
    import_batch: int,
) -> dict[int, str]:
    """The subjects among `subject_ids` this import may not write to, with the reason."""
    if not subject_ids:
        return {}
    categories = writes.categories_of(SUBJECT_TABLES)
    with guard.internal():
        states = load_states(session, subject_ids)
    refused: dict[int, str] = {}
    for subject_id in sorted(set(subject_ids)):
        for category in categories:
            reason = access_service.may(
                policy,
                caller,
                action=Action.WRITE,
                purpose=purpose,
                state=states[subject_id],
                category=category,
            )
            if reason is not None:
                refused[subject_id] = reason
                break
    allowed = sorted(set(subject_ids) - set(refused))
    detail = {"categories": categories, "tables": list(SUBJECT_TABLES), "batch": import_batch}
    if allowed:
        audit_service.record(
            session,
            actor=caller.actor,
            action="subject.import.write.decision",
            purpose=purpose,
            detail={"decision": "allow", "subjects": allowed, **detail},
        )
        guard.grant(categories)
    if refused:
        audit_service.record(
            session,
            actor=caller.actor,
            action="subject.import.write.decision.refused",
            purpose=purpose,
            detail={
                "decision": "refuse",
                "subjects": sorted(refused),
                "reasons": sorted(set(refused.values())),
                **detail,
            },
        )
    return refused
