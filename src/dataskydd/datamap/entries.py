"""The data map: where personal data lives, in the built-in register and in the company's
other systems, and which policy category each column holds.

The map is data (docs/data-map.md): one YAML file per system, read by `map_files.py` into the
dataclasses below. The register's map ships with the package (`bundled/register.yaml`, naming
the bundled policy's categories); a company with its own policy points DATASKYDD_DATA_MAP at a
directory with its own. Entry points install the configured map once at start-up (`install`);
it is immutable configuration like the policy, the same in every worker. Registerutdrag,
erasure and retention walk it; there is no per-table code anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from dataskydd.datamap.map_schema import Identifier, OnErase

__all__ = [
    "INTERNAL_TABLES",
    "DataMap",
    "Hop",
    "Identifier",
    "Match",
    "OnErase",
    "SubjectLink",
    "SystemMap",
    "TableMap",
    "all_categories",
    "by_table",
    "category_of",
    "contact_category",
    "current",
    "install",
    "name_category",
    "register_tables",
    "tables_for_category",
]


@dataclass(frozen=True)
class Hop:
    """Follow `column` of the current table to `key` of `table`."""

    column: str
    table: str
    key: str = "id"


@dataclass(frozen=True)
class Match:
    """The row belongs to the subject whose identifier of this kind equals `column`."""

    column: str
    identifier: Identifier


@dataclass(frozen=True)
class SubjectLink:
    """How a row reaches its subject: zero or more hops, then a column holding subject.id
    (the register) or one matching an identifier of the subject (other systems)."""

    subject_column: str | None = None
    via: tuple[Hop, ...] = ()
    match: Match | None = None


# eq=False: a table's map is known by identity (the installed map's own object), so the
# statements built from it can be cached per entry and never outlive a map installed anew.
@dataclass(frozen=True, eq=False)
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
    key: str = "id"
    system: str = "register"
    # From the map (other systems): the table's title and column labels by language.
    title: dict[str, str] | None = None
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self.columns.values())

    def shown_columns(self, category: str) -> list[str]:
        return [c for c, cat in self.columns.items() if cat == category and c not in self.derived]


@dataclass(frozen=True)
class SystemMap:
    key: str
    title: dict[str, str]  # by language
    builtin: bool
    tables: tuple[TableMap, ...]
    unmapped: dict[str, str] = field(default_factory=dict)
    unused: frozenset[str] = field(default_factory=frozenset)
    source: str = ""  # the file it was read from, for messages

    @cached_property
    def by_table(self) -> dict[str, TableMap]:
        return {entry.table: entry for entry in self.tables}

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c for entry in self.tables for c in entry.categories)


@dataclass(frozen=True)
class DataMap:
    systems: tuple[SystemMap, ...]

    @cached_property
    def register(self) -> SystemMap:
        return next(system for system in self.systems if system.builtin)

    @property
    def external(self) -> tuple[SystemMap, ...]:
        return tuple(system for system in self.systems if not system.builtin)

    def system(self, key: str) -> SystemMap:
        for system in self.systems:
            if system.key == key:
                return system
        raise KeyError(key)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c for system in self.systems for c in system.categories)


_installed: list[DataMap] = []


def install(data_map: DataMap) -> None:
    """The map every later call uses: set by the entry points from settings at start-up."""
    _installed[:] = [data_map]


def current() -> DataMap:
    if not _installed:
        # Imported here: map_files builds the dataclasses of this module.
        from dataskydd.datamap.map_files import load_bundled_map

        _installed.append(load_bundled_map())
    return _installed[0]


def register_tables() -> tuple[TableMap, ...]:
    return current().register.tables


def by_table(table: str) -> TableMap:
    """The register's map of one of its tables."""
    return current().register.by_table[table]


def category_of(table: str, column: str) -> str:
    """The policy category the map puts a register column in: code names columns, never
    categories."""
    return by_table(table).columns[column]


def name_category() -> str:
    """The category of the subject's name, which the software's own views need."""
    return category_of("subject", "given_name")


def contact_category() -> str:
    return category_of("contact_point", "value")


def tables_for_category(category: str) -> tuple[TableMap, ...]:
    return tuple(entry for entry in register_tables() if category in entry.categories)


def all_categories() -> frozenset[str]:
    return current().register.categories


# dataskydd's own tables beside the register's: none holds a subject's data.
INTERNAL_TABLES: dict[str, str] = {
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
    "legal_hold": "holds on a subject's data (art. 17.3 e); refers by id only",
    "retention_run": "evidence of retention runs: dates and counts",
    "retention_line": "evidence of retention runs: counts per system, table and category",
    "retention_subject": "ids of subjects a running retention run found due; emptied at its end",
    "job_run": "the job runner's record of each job: names, times, error kinds",
    "job_queue_kv": "the job queue's storage (huey): task names and arguments, no personal data",
    "job_queue_schedule": "the job queue's storage (huey): scheduled tasks",
    "job_queue_task": "the job queue's storage (huey): pending tasks",
    "job_queue_counter": "the job queue's storage (huey): counters",
    "page_total": "anonymous page view counts per day; describe no one",
    "web_rollup": "web analytics counts per day and dimension, no identifier; describe no one",
    "web_rollup_month": "the web analytics daily counts summed per month; describe no one",
    "web_rollup_value": "each web analytics value (a path, a site) and its last day; no one",
    "web_rollup_day": "the days the web analytics rollup has counted: dates and event counts",
    "rate_limit_window": "attempt counts per keyed hash of a client address, kept ≤ 2 windows",
    "system_receipt": "evidence of each system's part in a request (art. 5(2)); ids and counts",
    "recipient_agreement": "recipients' agreements (art. 28.3): dates, categories, transfers",
    "recipient_document": "agreement documents (PDF) between companies; no subject's data",
    "recipient_reminder": "review reminders sent to the DPO: recipient key, date, threshold",
    "disclosure": "the log of disclosures to authorities: who asked, ground, categories, dates",
    "disclosure_subject": "the subjects a disclosure concerned; refers by id only",
    "disclosure_withheld": "evidence of confidential disclosures left out of a registerutdrag",
    "breach": "the breach register (art. 33.5): incidents described by kinds and numbers",
    "breach_event": "the history of each breach record: fields changed, decisions",
    "breach_imy_notice": "notifications of breaches sent to IMY: dates and references",
    "breach_subject_notice": "subjects told of a breach (art. 34); refers by id only",
    "recipient_export": "the log of exports to recipients: keys, counts, the file's hash",
    "recipient_export_subject": "the subjects an export held and their categories; by id only",
    "subject_import": "the log of bulk imports: file and mapping hashes, counts, by whom",
    "recommendation_training": "each training of the recommendation model: times and counts",
    "recommendation_neighbour": "the model's similar titles per title; describe no one",
}
