"""What a disclosure hands over, produced from the register: for each of its subjects, the data
of its categories, read through the access decision with the disclosure as the case, under a
purpose the policy marks `case_required` (never a key written in the code). Audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import utc_now
from dataskydd.datamap import subject_view
from dataskydd.disclosures import service
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy

HANDOVER_SCHEMA = "dataskydd-disclosure-handover/1"
MAX_ROWS_PER_TABLE = 10_000


def handover_purpose(policy: Policy, purpose: str | None) -> str:
    """The purpose named, when the policy marks it `case_required`; without one, the policy's
    only such purpose (its purpose for authorities and legal claims)."""
    candidates = [key for key, stated in policy.purposes.items() if stated.case_required]
    if purpose:
        if purpose not in policy.purposes:
            raise InvalidInput("purpose", Msg("unknown purpose"))
        if purpose not in candidates:
            listed = ", ".join(candidates) or Msg("none")
            raise InvalidInput(
                "purpose", Msg("must be a purpose that needs a case ({listed})", listed=listed)
            )
        return purpose
    if len(candidates) == 1:
        return candidates[0]
    listed = ", ".join(candidates) or "the policy marks none case_required"
    raise InvalidInput(
        "purpose", Msg("name the purpose the data is handed over under ({listed})", listed=listed)
    )


def build_handover(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    disclosure_id: int,
    purpose: str | None = None,
    lang: Lang = "sv",
    rows_per_table: int = 1000,
) -> dict[str, Any]:
    """The document handed over, as JSON-ready data. Every subject is read under the one
    access decision; one refusal refuses the whole handover (nothing partial to hand over)."""
    ctx.require(Permission.DISCLOSURES_MANAGE)
    if not 1 <= rows_per_table <= MAX_ROWS_PER_TABLE:
        raise InvalidInput(
            "rows_per_table",
            Msg(
                "must be between 1 and {MAX_ROWS_PER_TABLE}", MAX_ROWS_PER_TABLE=MAX_ROWS_PER_TABLE
            ),
        )
    chosen = handover_purpose(policy, purpose)
    detail = service.get_disclosure(session, ctx, disclosure_id)
    disclosure = detail.disclosure
    categories = service.categories_of(disclosure)
    subjects = [
        subject_view.show_subject(
            session,
            caller=ctx,
            policy=policy,
            subject_id=subject_id,
            purpose=chosen,
            categories=categories,
            case=f"disclosure:{disclosure.id}",
            lang=lang,
            rows_per_table=rows_per_table,
        ).as_dict()
        for subject_id in detail.subject_ids
    ]
    audit_service.record(
        session,
        actor=ctx.actor,
        action="disclosure.handover",
        purpose=chosen,
        detail={
            "disclosure": disclosure.id,
            "subjects": len(subjects),
            "categories": categories,
        },
    )
    return {
        "schema": HANDOVER_SCHEMA,
        "generated_at": utc_now().isoformat(),
        "disclosure": {
            "id": disclosure.id,
            "authority": disclosure.authority,
            "authority_kind": disclosure.authority_kind.value,
            "legal_ground": disclosure.legal_ground,
            "reference": disclosure.reference,
            "categories": categories,
            "requested_on": disclosure.requested_on.isoformat(),
        },
        "purpose": chosen,
        "subjects": subjects,
    }
