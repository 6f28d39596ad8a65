"""The access decision for the subject's rights (GDPR art. 12-22): registerutdrag, Mina
sidor, portability and erasure read or write all of a subject's data under the policy's
subject-rights purpose, whoever asks (the subject, the DPO, the operator)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.access.service import Decision
from dataskydd.auth.access import AccessContext, subject_context
from dataskydd.policy.schema import Policy


def decide_rights(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    subject_id: int,
    action: Action,
    audit_action: str,
    view: str,
) -> Decision:
    return access_service.decide(
        session,
        policy,
        caller,
        action=action,
        purpose=policy.system_purpose("subject_rights"),
        subject_id=subject_id,
        audit_action=audit_action,
        audit_detail={"view": view},
        # Art. 15 covers everything held; what the purpose may not use is listed as withheld.
        all_or_nothing=False,
    )


def decide_own(
    session: Session,
    policy: Policy,
    subject_id: int,
    *,
    action: Action,
    audit_action: str,
    view: str,
) -> Decision:
    """The subject themselves (Mina sidor, a download of their extract)."""
    return decide_rights(
        session,
        policy,
        subject_context(subject_id),
        subject_id=subject_id,
        action=action,
        audit_action=audit_action,
        view=view,
    )
