"""The exports in the subject's registerutdrag (GDPR art. 15.1 c): per export that held their
data, the recipient, the categories of theirs it held and when it was handed over."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dataskydd.policy.schema import Lang, Policy
from dataskydd.recipient_exports.models import RecipientExport, RecipientExportSubject
from dataskydd.recipient_exports.repository import received_by_recipients

TITLE = ("Mottagare som har fått dina uppgifter", "Recipients who have received your data")
# Per field shown to a reader (the PDF), its label: Swedish, English.
COLUMNS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("recipient_name", ("Mottagare", "Recipient")),
    ("categories_text", ("Uppgifter som lämnades", "Data handed over")),
    ("sent_at", ("Lämnades", "Handed over")),
)


def _item(
    export: RecipientExport, held: RecipientExportSubject, policy: Policy, lang: Lang
) -> dict[str, Any]:
    recipients = {recipient.key: recipient for recipient in policy.recipients}
    recipient = recipients.get(export.recipient)
    keys = held.category_keys
    # A key the policy no longer has is shown as stored: the row is evidence.
    titles = [
        policy.categories[key].title.get(lang) if key in policy.categories else key for key in keys
    ]
    return {
        "id": export.id,
        "recipient": export.recipient,
        "recipient_name": recipient.name if recipient else export.recipient,
        "country": recipient.country if recipient else None,
        "categories": keys,
        "categories_text": ", ".join(titles),
        "sent_at": export.created_at,
    }


def received_for_extract(
    session: Session, *, policy: Policy, subject_id: int, lang: Lang, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    total, found = received_by_recipients(session, subject_id, limit=limit)
    return total, [_item(export, held, policy, lang) for export, held in found]
