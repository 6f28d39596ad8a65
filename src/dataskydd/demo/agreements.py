"""The demo's agreements with the policy's recipients: each recorded in the register with a
generated PDF standing in for the signed document and the evidence its transfer mechanism
needs, so that a fresh demo shows what a company in order looks like (and `dataskydd
promises` holds). Idempotent: a recipient with an agreement already recorded is left alone.
"""

from __future__ import annotations

import datetime as dt
import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy.orm import Session

from dataskydd.clock import today_in_sweden
from dataskydd.errors import InvalidInput
from dataskydd.policy.schema import Policy, Recipient, RecipientRole, TransferMechanism
from dataskydd.recipients import agreements
from dataskydd.recipients.documents import check_document
from dataskydd.recipients.transfers import SCC_SINCE

# Module 2 of the 2021 clauses: controller to processor; module 1: controller to controller.
_SCC_MODULE = {RecipientRole.PROCESSOR: 2}
_DPF_CHECKED_DAYS_AGO = 30
_LATEST_REVIEW = dt.timedelta(days=3 * 365)


def _document(policy: Policy, recipient: Recipient, signed_on: dt.date) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"Personuppgiftsbiträdesavtal (demo) – {recipient.name}")
    page.setFont("Helvetica-Bold", 14)
    page.drawString(60, 780, "Personuppgiftsbiträdesavtal (exempel för demo)")
    page.setFont("Helvetica", 11)
    lines = [
        f"Personuppgiftsansvarig: {policy.controller.name}",
        f"Mottagare: {recipient.name} ({recipient.country})",
        f"Undertecknat: {signed_on.isoformat()}",
        "Detta dokument är genererat av dataskydds demo och är inget verkligt avtal.",
    ]
    for row, line in enumerate(lines):
        page.drawString(60, 740 - 20 * row, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _input(recipient: Recipient, today: dt.date) -> agreements.AgreementInput:
    signed_on = recipient.agreement_date or today - dt.timedelta(days=400)
    signed_on = min(signed_on, today)
    # The policy's review date when the register would accept it (ahead, and not decades off).
    review_on = recipient.review_date
    if review_on is None or not today < review_on <= today + _LATEST_REVIEW:
        review_on = today + dt.timedelta(days=365)
    mechanism = recipient.transfer_mechanism or TransferMechanism.NONE
    scc = mechanism is TransferMechanism.SCC
    return agreements.AgreementInput(
        signed_on=signed_on,
        review_on=review_on,
        categories=recipient.categories,
        dpf_checked_on=(
            today - dt.timedelta(days=_DPF_CHECKED_DAYS_AGO)
            if mechanism is TransferMechanism.EU_US_DPF
            else None
        ),
        scc_module=_SCC_MODULE.get(recipient.role, 1) if scc else None,
        scc_signed_on=min(max(signed_on, SCC_SINCE), today) if scc else None,
        tia_reference=(
            f"TIA-{signed_on.year}-{recipient.key}"[:120]
            if mechanism in (TransferMechanism.SCC, TransferMechanism.BCR)
            else None
        ),
    )


def record_demo_agreements(
    session: Session, *, policy: Policy, actor: str, today: dt.date | None = None
) -> int:
    """Record an agreement for every recipient of the policy that has none; how many were
    recorded. A recipient whose policy entry no agreement could satisfy (an invalid transfer
    mechanism, say) is left without one: that is for `dataskydd promises` to show."""
    today = today or today_in_sweden()
    recorded = agreements.current_agreements(session)
    made = 0
    for recipient in policy.recipients:
        if recipient.key in recorded or recipient.role is RecipientRole.AUTHORITY:
            continue
        data = _input(recipient, today)
        document = check_document(
            _document(policy, recipient, data.signed_on),
            file_name=f"pub-avtal-{recipient.key}.pdf",
            limit=10 * 1024 * 1024,
        )
        try:
            with session.begin_nested():
                agreements.record_agreement(
                    session,
                    policy=policy,
                    recipient_key=recipient.key,
                    data=data,
                    document=document,
                    by=actor,
                    today=today,
                )
        except InvalidInput:
            continue
        made += 1
    return made
