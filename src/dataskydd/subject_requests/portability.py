"""Data portability (GDPR art. 20): the data the subject provided, processed on contract or
consent, as JSON another service can read. Shape: docs/registerutdrag-schema.md, version
PORTABILITY_SCHEMA.

Which data that is follows from the policy, not from code: categories whose `source` is the
subject and that a purpose with legal basis contract (6.1 b) or consent (6.1 a) uses.
Generated data (usage, logs) and data kept only under a legal duty are outside art. 20.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.datamap import queries
from dataskydd.datamap.entries import tables_for_category
from dataskydd.datamap.queries import plain
from dataskydd.policy.schema import DataSource, LegalBasis, Policy
from dataskydd.register import service as register_service

PORTABILITY_SCHEMA = "dataskydd-dataportabilitet/1"
PORTABLE_BASES = (LegalBasis.CONTRACT, LegalBasis.CONSENT)


def portable_categories(policy: Policy) -> dict[str, list[str]]:
    """Category key → the portable legal bases under which it is processed."""
    result: dict[str, list[str]] = {}
    for key, category in policy.categories.items():
        if category.source is not DataSource.SUBJECT:
            continue
        bases = sorted(
            {
                purpose.legal_basis.value
                for purpose in policy.purposes.values()
                if key in purpose.categories and purpose.legal_basis in PORTABLE_BASES
            }
        )
        if bases:
            result[key] = bases
    return result


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_portability_json(
    session: Session, out: TextIO, *, policy: Policy, subject_id: int, batch_size: int = 1000
) -> int:
    """Write the export; returns the number of rows. Streamed like the registerutdrag."""
    register_service.get_subject(session, subject_id)
    head = {
        "schema": PORTABILITY_SCHEMA,
        "generated_at": utc_now().isoformat(),
        "controller": policy.controller.name,
        "subject": {"id": subject_id},
    }
    out.write(_dump(head)[:-1] + ', "categories": [')
    total = 0
    for number, (key, bases) in enumerate(portable_categories(policy).items()):
        meta = {"key": key, "title": policy.categories[key].title.get("en"), "legal_bases": bases}
        out.write(("" if number == 0 else ", ") + _dump(meta)[:-1] + ', "tables": [')
        written = 0
        for entry in tables_for_category(key):
            columns = entry.shown_columns(key)
            rows = queries.iter_rows_for_subject(
                session, entry, subject_id, columns, batch_size=batch_size
            )
            count = 0
            for row in rows:
                values = {name: plain(row[name]) for name in columns}
                if all(value is None for value in values.values()):
                    continue
                if count == 0:
                    out.write(("" if written == 0 else ", ") + _dump({"table": entry.table})[:-1])
                    out.write(', "rows": [')
                out.write(("" if count == 0 else ", ") + _dump(values))
                count += 1
            if count:
                out.write("]}")
                written += 1
                total += count
        out.write("]}")
    out.write("]}")
    return total
