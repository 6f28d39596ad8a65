"""Agreements for the tests: a real PDF, the policy's recipients by role, and agreements
recorded through the service on a fixed day (the clock is a parameter, so nothing here
depends on the day the suite runs)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy.orm import Session

from dataskydd.policy.schema import Policy, Recipient, RecipientRole, TransferMechanism
from dataskydd.recipients import agreements, documents
from dataskydd.recipients.agreements import AgreementInput
from dataskydd.recipients.models import RecipientAgreement

TODAY = dt.date(2026, 12, 1)
LIMIT = 10 * 1024 * 1024


def pdf_bytes(text: str = "Personuppgiftsbiträdesavtal") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=True)  # the same bytes every time
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def pdf(
    text: str = "Personuppgiftsbiträdesavtal", name: str = "avtal.pdf"
) -> documents.CheckedDocument:
    return documents.check_document(pdf_bytes(text), file_name=name, limit=LIMIT)


def processor(policy: Policy) -> Recipient:
    """A processor of the policy within the EU/EEA (both example companies have one)."""
    return next(
        r for r in policy.recipients if r.role is RecipientRole.PROCESSOR and not r.in_third_country
    )


def non_processor(policy: Policy) -> Recipient:
    return next(r for r in policy.recipients if r.role is not RecipientRole.PROCESSOR)


def with_recipient(policy: Policy, key: str, **changes: object) -> Policy:
    """The policy with one recipient changed (country, mechanism, dates...)."""
    return policy.model_copy(
        update={
            "recipients": tuple(
                r.model_copy(update=changes) if r.key == key else r for r in policy.recipients
            )
        }
    )


def in_the_us(policy: Policy, key: str, mechanism: TransferMechanism) -> Policy:
    return with_recipient(policy, key, country="US", transfer_mechanism=mechanism)


Record = Callable[..., RecipientAgreement]


@pytest.fixture
def record(session: Session, policy: Policy) -> Record:
    """Record an agreement for `key` as on TODAY; keyword arguments override the input."""

    def make(
        key: str,
        *,
        on_policy: Policy | None = None,
        document: documents.CheckedDocument | None = None,
        today: dt.date = TODAY,
        **changes: object,
    ) -> RecipientAgreement:
        chosen = on_policy or policy
        recipient = agreements.policy_recipient(chosen, key)
        fields: dict[str, object] = {
            "signed_on": today - dt.timedelta(days=30),
            "review_on": today + dt.timedelta(days=365),
            "categories": recipient.categories,
        }
        fields.update(changes)
        return agreements.record_agreement(
            session,
            policy=chosen,
            recipient_key=key,
            data=AgreementInput(**fields),  # type: ignore[arg-type]
            document=document or pdf(),
            by="staff:dpo",
            today=today,
        )

    return make
