"""The access decision for writes: a write to register tables is allowed when one purpose the
caller may write under uses every category those tables hold (and, for an existing subject,
none of them is restricted). A key scoped to the customer relationship cannot write usage
events or newsletter rows; a staff role writes under the policy's rectification purpose."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from dataskydd.access import consents
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action, caller_refusal
from dataskydd.access.service import Decision
from dataskydd.auth.access import AccessContext, CallerKind
from dataskydd.datamap import entries
from dataskydd.datamap.entries import by_table
from dataskydd.errors import Conflict
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy
from dataskydd.register import records
from dataskydd.register import service as register_service
from dataskydd.register.models import NewsletterSubscription, Participation, Subject
from dataskydd.register.record_schemas import NewsletterSubscriptionCreate, ParticipationCreate
from dataskydd.register.schemas import SubjectCreate, SubjectUpdate


def categories_of(tables: Sequence[str]) -> list[str]:
    register = entries.current().register
    for table in tables:
        if table not in register.by_table:
            # A register table this company's map leaves unused (a bookshop's IP leases).
            raise Conflict(
                Msg(
                    "this company does not keep {replace} records: the data map "
                    "({source}) lists the table as unused",
                    replace=table.replace("_", " "),
                    source=register.source,
                )
            )
    return sorted({category for table in tables for category in by_table(table).categories})


def write_purpose(policy: Policy, caller: AccessContext, categories: Sequence[str]) -> str | None:
    """The first purpose the caller may write under that uses all `categories`."""
    if caller.kind is CallerKind.API_KEY:
        candidates = [
            key for key in policy.api_access.write_purposes if key in caller.write_purposes
        ]
    else:
        candidates = [policy.system_purpose("rectification")]
    for key in candidates:
        uses = policy.purposes[key].categories
        if all(category in uses for category in categories) and not caller_refusal(
            policy, caller, Action.WRITE, key, caller.subject_id
        ):
            return key
    return None


def authorise_write(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    subject_id: int,
    tables: Sequence[str],
) -> Decision:
    categories = categories_of(tables)
    purpose = write_purpose(policy, caller, categories)
    return access_service.decide(
        session,
        policy,
        caller,
        action=Action.WRITE,
        # No purpose fits: decide under the caller's first, so the refusal names the reason.
        purpose=purpose or _nearest(policy, caller),
        subject_id=subject_id,
        categories=categories,
        audit_action="subject.write.decision",
        audit_detail={"tables": list(tables)},
    )


def authorise_create(
    session: Session, policy: Policy, caller: AccessContext, *, tables: Sequence[str]
) -> str:
    """A new subject has no state yet: only the caller and the purpose's categories count."""
    categories = categories_of(tables)
    purpose = write_purpose(policy, caller, categories)
    if purpose is None:
        access_service.refuse_without_subject(
            session,
            caller,
            audit_action="subject.create.decision",
            reason=Msg(
                "none of the purposes this caller may write under uses all of the categories "
                "{categories}",
                categories=", ".join(categories),
            ),
        )
    assert purpose is not None
    access_service.decide_new_subject(
        session,
        policy,
        caller,
        purpose=purpose,
        categories=categories,
        audit_action="subject.create.decision",
        audit_detail={"tables": list(tables)},
    )
    return purpose


def _nearest(policy: Policy, caller: AccessContext) -> str:
    if caller.kind is CallerKind.API_KEY and caller.write_purposes:
        return sorted(caller.write_purposes)[0]
    return policy.system_purpose("rectification")


_SUBJECT_TABLES = ("subject", "subject_role", "contact_point", "postal_address")


def create_subject(
    session: Session, *, policy: Policy, caller: AccessContext, data: SubjectCreate
) -> Subject:
    authorise_create(session, policy, caller, tables=_SUBJECT_TABLES)
    return register_service.create_subject(session, actor=caller.actor, data=data)


def update_subject(
    session: Session,
    *,
    policy: Policy,
    caller: AccessContext,
    subject_id: int,
    changes: SubjectUpdate,
) -> list[str]:
    authorise_write(session, policy, caller, subject_id=subject_id, tables=_SUBJECT_TABLES)
    return register_service.update_subject(
        session, actor=caller.actor, subject_id=subject_id, changes=changes
    )


def add_newsletter_subscription(
    session: Session,
    *,
    policy: Policy,
    caller: AccessContext,
    subject_id: int,
    data: NewsletterSubscriptionCreate,
) -> NewsletterSubscription:
    """A subscription is the subject's consent to the policy's newsletter purpose: it needs
    none standing before, and is recorded as consent (art. 7.1) unless already unsubscribed."""
    purpose = policy.system_purpose("newsletters")
    _authorise_consent(session, policy, caller, subject_id, "newsletter_subscription", purpose)
    row = records.add_newsletter_subscription(
        session, actor=caller.actor, subject_id=subject_id, data=data
    )
    if row.unsubscribed_at is None:
        consents.give_consent(
            session,
            subject_id=subject_id,
            purpose=purpose,
            channel=caller.kind.value,
            via=f"newsletter:{row.list_code}",
            text_version=row.consent_text_version,
            given_at=row.subscribed_at,
        )
    return row


def add_participation(
    session: Session,
    *,
    policy: Policy,
    caller: AccessContext,
    subject_id: int,
    data: ParticipationCreate,
) -> Participation:
    """Taking part is consent to the policy's activities purpose, recorded as such."""
    purpose = policy.system_purpose("activities")
    _authorise_consent(session, policy, caller, subject_id, "participation", purpose)
    row = records.add_participation(session, actor=caller.actor, subject_id=subject_id, data=data)
    consents.give_consent(
        session,
        subject_id=subject_id,
        purpose=purpose,
        channel=caller.kind.value,
        via=f"activity:{row.activity_id}",
        given_at=row.consented_at,
    )
    return row


def _authorise_consent(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    subject_id: int,
    table: str,
    purpose: str,
) -> None:
    access_service.decide(
        session,
        policy,
        caller,
        action=Action.WRITE,
        purpose=purpose,
        subject_id=subject_id,
        categories=categories_of([table]),
        audit_action="subject.write.decision",
        audit_detail={"tables": [table]},
        records_consent=True,
    )
