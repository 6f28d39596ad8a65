"""Registerutdrag (GDPR art. 15) as JSON, streamed: every row of every mapped table linked to
the subject, grouped by policy category, with the art. 15 information from the policy.

The document is written piece by piece, rows fetched in batches, so memory stays flat however
many usage events a subject has. Its shape is documented in docs/registerutdrag-schema.md
(version EXTRACT_SCHEMA); change the version when the shape changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.datamap import labels, queries
from dataskydd.datamap.entries import tables_for_category
from dataskydd.policy import labels as policy_labels
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import service as register_service

EXTRACT_SCHEMA = "dataskydd-registerutdrag/1"


@dataclass
class ExtractStats:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def purposes_of(policy: Policy, category: str, lang: Lang) -> list[dict[str, Any]]:
    result = []
    for key in policy.purposes_using(category):
        purpose = policy.purposes[key]
        interest = purpose.legitimate_interest.get(lang) if purpose.legitimate_interest else None
        result.append(
            {
                "key": key,
                "title": purpose.title.get(lang),
                "legal_basis": purpose.legal_basis.value if purpose.legal_basis else None,
                "legal_basis_text": policy_labels.legal_basis(purpose.legal_basis, lang),
                "legitimate_interest": interest,
                "objectable": purpose.objectable,
                "profiling": purpose.profiling,
            }
        )
    return result


def recipients_of(policy: Policy, category: str, lang: Lang) -> list[dict[str, Any]]:
    return [
        {
            "name": recipient.name,
            "role": recipient.role.value,
            "description": recipient.description.get(lang),
            "country": recipient.country,
            "transfer_mechanism": (
                recipient.transfer_mechanism.value if recipient.transfer_mechanism else None
            ),
        }
        for recipient in policy.recipients_of((category,))
    ]


def _controller(policy: Policy, lang: Lang) -> dict[str, Any]:
    controller = policy.controller
    return {
        "controller": {
            "name": controller.name,
            "postal_address": controller.postal_address.model_dump(),
            "phone": controller.phone,
            "website": controller.website,
        },
        "dpo": policy.dpo.model_dump() if policy.dpo else None,
        "supervisory_authority": {
            "name": policy.supervisory_authority.name.get(lang),
            "website": policy.supervisory_authority.website,
        },
    }


def write_extract_json(
    session: Session,
    out: TextIO,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang = "sv",
    batch_size: int = 1000,
) -> ExtractStats:
    subject = register_service.get_subject(session, subject_id)
    stats = ExtractStats()
    head = {
        "schema": EXTRACT_SCHEMA,
        "language": lang,
        "generated_at": utc_now().isoformat(),
        **_controller(policy, lang),
        "subject": {"id": subject.id, "name": subject.display_name},
    }
    out.write(_dump(head)[:-1] + ', "categories": [')
    first_category = True
    for key, category in policy.categories.items():
        entries = tables_for_category(key)
        if not entries:
            continue
        meta = {
            "key": key,
            "title": category.title.get(lang),
            "description": category.description.get(lang),
            "source": category.source.value,
            "retention": describe_retention(category.retention, lang),
            "purposes": purposes_of(policy, key, lang),
            "recipients": recipients_of(policy, key, lang),
        }
        out.write(("" if first_category else ", ") + _dump(meta)[:-1] + ', "tables": [')
        first_category = False
        first_table = True
        for entry in entries:
            columns = entry.shown_columns(key)
            rows = queries.iter_rows_for_subject(
                session, entry, subject_id, columns, batch_size=batch_size
            )
            count = 0
            for row in rows:
                if all(row[name] is None for name in columns):
                    continue
                if count == 0:
                    table_meta = {
                        "table": entry.table,
                        "title": labels.table_label(entry.table, lang),
                        "columns": [
                            {"key": c, "label": labels.column_label(entry.table, c, lang)}
                            for c in columns
                        ],
                    }
                    out.write(("" if first_table else ", ") + _dump(table_meta)[:-1])
                    out.write(', "rows": [')
                    first_table = False
                else:
                    out.write(", ")
                out.write(_dump({name: plain(row[name]) for name in ["id", *columns]}))
                count += 1
            if count:
                out.write("]}")
                stats.rows[f"{entry.table}:{key}"] = count
        out.write("]}")
    out.write("]}")
    return stats
