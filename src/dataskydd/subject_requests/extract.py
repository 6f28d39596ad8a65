"""Registerutdrag (GDPR art. 15) as JSON, streamed: every row of every mapped table linked to
the subject, grouped by policy category, with the art. 15 information from the policy.

The document is written piece by piece, rows fetched in batches, so memory stays flat however
many usage events a subject has. Its shape is documented in docs/registerutdrag-schema.md
(version EXTRACT_SCHEMA); change the version when the shape changes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.datamap import labels, queries
from dataskydd.datamap.entries import tables_for_category
from dataskydd.policy import labels as policy_labels
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import service as register_service
from dataskydd.subject_requests import rights

EXTRACT_SCHEMA = "dataskydd-registerutdrag/1"


@dataclass
class ExtractStats:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


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


@dataclass
class TableSection:
    table: str
    title: str
    columns: list[tuple[str, str]]  # (column, label)
    rows: Iterator[dict[str, Any]]


@dataclass
class CategorySection:
    meta: dict[str, Any]
    tables: Iterator[TableSection]


def head_of(policy: Policy, subject_name: str, subject_id: int, lang: Lang) -> dict[str, Any]:
    return {
        "schema": EXTRACT_SCHEMA,
        "language": lang,
        "generated_at": utc_now().isoformat(),
        **_controller(policy, lang),
        "subject": {"id": subject_id, "name": subject_name},
        "rights": rights.rights(policy, lang),
    }


def _tables(
    session: Session, key: str, subject_id: int, lang: Lang, batch_size: int
) -> Iterator[TableSection]:
    for entry in tables_for_category(key):
        columns = entry.shown_columns(key)
        rows = queries.iter_rows_for_subject(
            session, entry, subject_id, columns, batch_size=batch_size
        )
        holding = (row for row in rows if any(row[name] is not None for name in columns))
        first = next(holding, None)
        if first is None:
            continue
        yield TableSection(
            entry.table,
            labels.table_label(entry.table, lang),
            [(c, labels.column_label(entry.table, c, lang)) for c in columns],
            itertools.chain([first], holding),
        )


def iter_extract(
    session: Session, *, policy: Policy, subject_id: int, lang: Lang, batch_size: int = 1000
) -> tuple[dict[str, Any], Iterator[CategorySection]]:
    """The document head, and its categories as lazy sections (rows fetched on demand)."""
    subject = register_service.get_subject(session, subject_id)
    head = head_of(policy, subject.display_name, subject.id, lang)

    def sections() -> Iterator[CategorySection]:
        for key, category in policy.categories.items():
            if not tables_for_category(key):
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
            yield CategorySection(meta, _tables(session, key, subject_id, lang, batch_size))

    return head, sections()


def write_extract_json(
    session: Session,
    out: TextIO,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang = "sv",
    batch_size: int = 1000,
) -> ExtractStats:
    head, sections = iter_extract(
        session, policy=policy, subject_id=subject_id, lang=lang, batch_size=batch_size
    )
    stats = ExtractStats()
    out.write(_dump(head)[:-1] + ', "categories": [')
    for number, section in enumerate(sections):
        out.write(("" if number == 0 else ", ") + _dump(section.meta)[:-1] + ', "tables": [')
        for position, table in enumerate(section.tables):
            meta = {
                "table": table.table,
                "title": table.title,
                "columns": [{"key": c, "label": label} for c, label in table.columns],
            }
            out.write(("" if position == 0 else ", ") + _dump(meta)[:-1] + ', "rows": [')
            names = ["id", *(c for c, _ in table.columns)]
            count = 0
            for row in table.rows:
                out.write(
                    ("" if count == 0 else ", ") + _dump({n: queries.plain(row[n]) for n in names})
                )
                count += 1
            out.write("]}")
            stats.rows[f"{table.table}:{section.meta['key']}"] = count
        out.write("]}")
    out.write("]}")
    return stats
