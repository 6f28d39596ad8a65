"""The promise that every recipient we share data with has a valid agreement, proved from the
register of agreements (recipients/, docs/recipients.md): a current review, the categories
the policy shares covered, and a third-country transfer on a valid, evidenced mechanism.

What the register shows wrong is broken here, and so is what it lacks: a processor with no
agreement recorded, a third-country transfer with no evidence of its mechanism (the notice
says "Vi tecknar avtal med tredje parter"; until the register holds the agreement, nothing
proves it). What the policy file alone shows wrong (a processor without an agreement date, an
invalid mechanism, its own review date passed) is the `recipient.<key>` promise's
(checks_policy.py), so it is counted once; this one is then not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from dataskydd.config import get_settings
from dataskydd.policy import labels
from dataskydd.policy.schema import Lang, Policy
from dataskydd.promises.registry import CheckContext, Evidence, localized, promise
from dataskydd.recipients import overview

# Findings that say the register lacks the agreement or evidence the policy file claims.
_NOT_RECORDED = frozenset({"agreement_not_stored", "transfer_evidence_missing"})


def _recipients(policy: Policy) -> Iterator[str]:
    return (recipient.key for recipient in policy.recipients)


@promise(
    key="agreement",
    title_sv="Avtal med mottagare",
    title_en="Agreements with recipients",
    each=_recipients,
    order=111,
)
def agreement_in_order(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    key = ctx.subject
    settings = get_settings()
    limits = overview.thresholds(settings, ctx.today)
    state = overview.recipient_state(session, policy, key, limits)
    # each= lists the policy's recipients, so the state and its recipient exist.
    assert state is not None
    assert state.recipient is not None
    recipient, agreement = state.recipient, state.agreement

    def pledge(lang: Lang) -> str:
        role = labels.recipient_role_singular(recipient.role, lang)
        if lang == "sv":
            said = (
                f"{recipient.name} ({role}) har ett giltigt avtal i registret, granskat i tid, "
                "som täcker de uppgifter vi delar"
            )
            transfer = ", och överföringen utanför EU/EES har ett giltigt och styrkt stöd"
        else:
            said = (
                f"{recipient.name} ({role}) has a valid agreement in the register, reviewed in "
                "time, covering the data we share"
            )
            transfer = ", and the transfer outside the EU/EEA rests on a valid, evidenced basis"
        return said + (transfer if recipient.in_third_country else "") + "."

    broken = [
        f
        for f in state.findings
        if (f.severity == "error" and f.from_register) or f.code in _NOT_RECORDED
    ]
    if broken:
        offending = [f"recipient:{key}"]
        if agreement is not None:
            offending.append(f"recipient_agreement:{agreement.id}")
        return ctx.broken(
            localized(pledge),
            localized(lambda lang: "; ".join(f.text(lang) for f in broken)),
            offending,
        )
    if any(f.severity == "error" for f in state.findings):
        return ctx.not_checked(
            localized(pledge),
            localized(
                lambda lang: (
                    f"policyfilen själv brister, se löftet recipient.{key}"
                    if lang == "sv"
                    else f"the policy file itself is wrong here; see the promise recipient.{key}"
                )
            ),
        )
    if agreement is not None:
        signed, review = agreement.signed_on.isoformat(), agreement.review_on.isoformat()
        return ctx.holds(
            localized(pledge),
            localized(
                lambda lang: (
                    f"avtal {agreement.id} undertecknat {signed}, granskas senast {review}, "
                    f"dokument: {'ja' if agreement.document_id else 'nej'}"
                    if lang == "sv"
                    else f"agreement {agreement.id} signed {signed}, review by {review}, "
                    f"document: {'yes' if agreement.document_id else 'no'}"
                )
            ),
        )
    # Not a processor (no art. 28 agreement is required) and nothing wrong with its transfer.
    return ctx.holds(
        localized(pledge),
        localized(
            lambda lang: (
                "inget biträdesavtal krävs (inte ett personuppgiftsbiträde); överföringen är "
                "i ordning"
                if lang == "sv"
                else "no processing agreement is required (not a processor); the transfer is "
                "in order"
            )
        ),
    )
