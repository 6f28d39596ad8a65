"""The data map of the register.

Every table is either mapped here (each column is a personal-data column with its policy
category, or a named technical column) or listed in UNMAPPED_TABLES with the reason it is
outside the subject's data. Registerutdrag, erasure and retention walk this map; there is no
per-table code anywhere else. tests/datamap/test_completeness.py keeps it honest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OnErase(StrEnum):
    DELETE = "delete"  # the row goes
    ANONYMISE = "anonymise"  # the row stays (others refer to it); personal columns are blanked


@dataclass(frozen=True)
class Hop:
    """Follow `column` of the current table to the `id` of `table`."""

    column: str
    table: str


@dataclass(frozen=True)
class SubjectLink:
    """How a row reaches its subject: zero or more hops, then a column holding subject.id."""

    subject_column: str
    via: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class TableMap:
    table: str
    links: tuple[SubjectLink, ...]
    columns: dict[str, str]  # personal-data column → policy category key
    technical: frozenset[str] = field(default_factory=frozenset)
    # Personal-data columns computed from others (blind indexes, search text): erased with
    # the rest, but not shown, since they only restate the values they were derived from.
    derived: frozenset[str] = field(default_factory=frozenset)
    # Columns that point into a catalogue: shown as the catalogue's text, e.g. the service name.
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    on_erase: OnErase = OnErase.DELETE
    time_column: str | None = None  # when the row came into being, for retention and ordering

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self.columns.values())

    def shown_columns(self, category: str) -> list[str]:
        return [c for c, cat in self.columns.items() if cat == category and c not in self.derived]


_DIRECT = (SubjectLink("subject_id"),)
_ID = frozenset({"id"})
_ID_SUBJECT = frozenset({"id", "subject_id"})

DATA_MAP: tuple[TableMap, ...] = (
    TableMap(
        "subject",
        links=(SubjectLink("id"),),
        columns={
            "kind": "identity",
            "given_name": "identity",
            "family_name": "identity",
            "organisation_name": "identity",
            "organisationsnummer": "identity",
            "search_name": "identity",
            "personnummer": "national_id",
            "personnummer_index": "national_id",
        },
        technical=frozenset({"id", "created_at", "updated_at"}),
        derived=frozenset({"search_name", "personnummer_index"}),
        on_erase=OnErase.ANONYMISE,
        time_column="created_at",
    ),
    TableMap(
        "subject_role",
        links=_DIRECT,
        columns={"role": "identity", "started_on": "identity", "ended_on": "identity"},
        technical=_ID_SUBJECT,
        time_column="started_on",
    ),
    TableMap(
        "contact_point",
        links=_DIRECT,
        columns={"kind": "contact", "value": "contact", "lookup_index": "contact"},
        technical=frozenset({"id", "subject_id", "is_primary", "created_at", "updated_at"}),
        derived=frozenset({"lookup_index"}),
        time_column="created_at",
    ),
    TableMap(
        "postal_address",
        links=_DIRECT,
        columns={
            "care_of": "contact",
            "street": "contact",
            "postal_code": "contact",
            "city": "contact",
            "country": "contact",
        },
        technical=frozenset({"id", "subject_id", "is_primary", "created_at", "updated_at"}),
        time_column="created_at",
    ),
    TableMap(
        "subject_relation",
        links=(SubjectLink("person_id"), SubjectLink("organisation_id")),
        columns={"title": "contact"},
        technical=frozenset({"id", "person_id", "organisation_id"}),
    ),
    TableMap(
        "contract",
        links=_DIRECT,
        columns={
            "contract_number": "contract",
            "signed_on": "contract",
            "starts_on": "contract",
            "ends_on": "contract",
            "status": "contract",
        },
        technical=frozenset({"id", "subject_id", "created_at", "updated_at"}),
        on_erase=OnErase.ANONYMISE,
        time_column="signed_on",
    ),
    TableMap(
        "subscription",
        links=(SubjectLink("subject_id", via=(Hop("contract_id", "contract"),)),),
        columns={"service_id": "contract", "starts_on": "contract", "ends_on": "contract"},
        technical=frozenset({"id", "contract_id"}),
        references={"service_id": ("service", "name")},
        time_column="starts_on",
    ),
    TableMap(
        "equipment",
        links=_DIRECT,
        columns={
            "kind": "equipment",
            "model": "equipment",
            "serial_number": "equipment",
            "mac_address": "equipment",
            "installed_on": "equipment",
            "returned_on": "equipment",
        },
        technical=_ID_SUBJECT,
        time_column="installed_on",
    ),
    TableMap(
        "connection",
        links=_DIRECT,
        columns={
            "access_kind": "connection",
            "street": "connection",
            "postal_code": "connection",
            "city": "connection",
            "activated_on": "connection",
            "deactivated_on": "connection",
        },
        technical=frozenset({"id", "subject_id", "contract_id"}),
        time_column="activated_on",
    ),
    TableMap(
        "ip_assignment",
        links=(SubjectLink("subject_id", via=(Hop("connection_id", "connection"),)),),
        columns={
            "ip_address": "connection",
            "assigned_at": "connection",
            "released_at": "connection",
        },
        technical=frozenset({"id", "connection_id"}),
        time_column="assigned_at",
    ),
    TableMap(
        "invoice",
        links=_DIRECT,
        columns={
            "invoice_number": "billing",
            "issued_on": "billing",
            "due_on": "billing",
            "amount": "billing",
            "vat_amount": "billing",
            "currency": "billing",
            "status": "billing",
        },
        technical=_ID_SUBJECT,
        time_column="issued_on",
    ),
    TableMap(
        "payment",
        links=(SubjectLink("subject_id", via=(Hop("invoice_id", "invoice"),)),),
        columns={
            "paid_on": "billing",
            "amount": "billing",
            "method": "billing",
            "reference": "billing",
        },
        technical=frozenset({"id", "invoice_id"}),
        time_column="paid_on",
    ),
    TableMap(
        "correspondence",
        links=_DIRECT,
        columns={
            "kind": "correspondence",
            "direction": "correspondence",
            "received_at": "correspondence",
            "sender_address": "correspondence",
            "subject_line": "correspondence",
            "body": "correspondence",
        },
        technical=_ID_SUBJECT,
        time_column="received_at",
    ),
    TableMap(
        "support_case",
        links=_DIRECT,
        columns={
            "channel": "support",
            "topic": "support",
            "opened_at": "support",
            "closed_at": "support",
        },
        technical=_ID_SUBJECT,
        time_column="opened_at",
    ),
    TableMap(
        "support_message",
        links=(SubjectLink("subject_id", via=(Hop("case_id", "support_case"),)),),
        columns={"sent_at": "support", "direction": "support", "body": "support"},
        technical=frozenset({"id", "case_id"}),
        time_column="sent_at",
    ),
    TableMap(
        "participation",
        links=_DIRECT,
        columns={
            "activity_id": "participation",
            "consented_at": "participation",
            "withdrawn_at": "participation",
            "answers": "participation",
        },
        technical=_ID_SUBJECT,
        references={"activity_id": ("activity", "title")},
        time_column="consented_at",
    ),
    TableMap(
        "newsletter_subscription",
        links=_DIRECT,
        columns={
            "list_code": "newsletter",
            "subscribed_at": "newsletter",
            "consent_text_version": "newsletter",
            "unsubscribed_at": "newsletter",
        },
        technical=_ID_SUBJECT,
        time_column="subscribed_at",
    ),
    TableMap(
        "usage_event",
        links=_DIRECT,
        columns={
            "occurred_at": "usage",
            "kind": "usage",
            "device_type": "usage",
            "item": "usage",
            "duration_seconds": "usage",
        },
        technical=_ID_SUBJECT,
        time_column="occurred_at",
    ),
    TableMap(
        "outbox_mail",
        links=_DIRECT,
        columns={
            "to_address": "correspondence",
            "subject_line": "correspondence",
            "body": "correspondence",
        },
        technical=frozenset({"id", "subject_id", "created_at", "sent_at", "error"}),
        time_column="created_at",
    ),
    TableMap(
        "rectification",
        links=_DIRECT,
        columns={
            "table_name": "change_history",
            "row_id": "change_history",
            "field": "change_history",
            "old_value": "change_history",
            "new_value": "change_history",
            "changed_by": "change_history",
            "changed_at": "change_history",
            "reason": "change_history",
        },
        technical=_ID_SUBJECT,
        time_column="changed_at",
    ),
)

UNMAPPED_TABLES: dict[str, str] = {
    "service": "catalogue of services and add-ons; describes no one",
    "activity": "catalogue of surveys, panels and offers; describes no one",
    "audit_entry": "accountability evidence (GDPR art. 5(2)); refers to subjects by id only",
    "staff_user": "staff accounts, processed under the employer's own policy, not this one",
    "staff_session": "staff log-in sessions (employer's policy), hashed tokens only",
    "api_key": "integration keys; describe systems, not people",
    "alembic_version": "schema version",
    "restriction": "processing state of a subject's categories (art. 18); refers by id only",
    "subject_request": "evidence of requests and their outcome (art. 5(2), 12); ids and counts",
    "verification_code": "hashed one-time codes, useless once used or expired",
    "objection": "processing state of a subject's purposes (art. 21); refers by id only",
    "subject_consent": "consents a subject gave per purpose (art. 7.1 evidence); refers by id only",
    "consent_record": "banner choices of anonymous website visitors; not linked to subjects",
    "page_event": "website events of anonymous visitors (random id); not linked to subjects",
    "page_total": "anonymous page view counts per day; describe no one",
    "rate_limit_window": "attempt counts per keyed hash of a client address, kept ≤ 2 windows",
}

BY_TABLE: dict[str, TableMap] = {entry.table: entry for entry in DATA_MAP}


def category_of(table: str, column: str) -> str:
    """The policy category the map puts a column in: code names columns, never categories."""
    return BY_TABLE[table].columns[column]


# The categories the software's own views need, named through the map.
NAME_CATEGORY = category_of("subject", "given_name")
CONTACT_CATEGORY = category_of("contact_point", "value")


def tables_for_category(category: str) -> tuple[TableMap, ...]:
    return tuple(entry for entry in DATA_MAP if category in entry.categories)


def all_categories() -> frozenset[str]:
    return frozenset(c for entry in DATA_MAP for c in entry.categories)
