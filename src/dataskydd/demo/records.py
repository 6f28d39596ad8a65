"""The in-memory shape of demo rows: one batch per chunk of customers, keyed by table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dataskydd.demo.places import Town

# Insert order: every table after the tables its foreign keys point to.
TABLE_ORDER: tuple[str, ...] = (
    "subject",
    "subject_role",
    "contact_point",
    "postal_address",
    "subject_relation",
    "contract",
    "subscription",
    "equipment",
    "connection",
    "ip_assignment",
    "invoice",
    "payment",
    "correspondence",
    "support_case",
    "support_message",
    "participation",
    "newsletter_subscription",
    "usage_event",
)
# Tables whose ids the builder assigns, because other demo rows refer to them.
ASSIGNED_ID_TABLES: tuple[str, ...] = (
    "subject",
    "contract",
    "connection",
    "invoice",
    "support_case",
)

Row = dict[str, Any]


@dataclass
class Batch:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


@dataclass
class Customer:
    """What later parts of a customer's history need to know about its subject."""

    subject_id: int
    is_business: bool
    given_name: str
    email: str
    town: Town
    street: str
    postal_code: str
    since: date
    ended: date | None
    born: date | None = None
    household_size: int = 1


@dataclass
class Held:
    """What a customer holds, for the texts and usage that refer to it."""

    contract_number: str
    broadband_name: str
    invoice_numbers: list[str]
    has_tv: bool
    tv_name: str | None
