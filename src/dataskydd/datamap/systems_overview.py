"""The DPO's view of the systems the data map names (`/systems`): for each, what kind of
database it is, whether it answers now, the tables and categories its map covers, and what
the combined check of policy and map finds about it (datamap/map_check.py).

The probe of each other system runs in a thread of its own, all at once, each bounded by the
connect timeout; the built-in register is dataskydd's own database and always reachable.
Nothing shown carries a URL, a password or a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import MetaData

from dataskydd.config import Settings
from dataskydd.datamap import connections
from dataskydd.datamap.entries import SystemMap
from dataskydd.datamap.map_check import (
    NO_ANSWER,
    LiveResult,
    MapFinding,
    check_maps,
    inspect_system,
)
from dataskydd.datamap.map_files import MapDocuments
from dataskydd.errors import DataskyddError
from dataskydd.policy.schema import Lang, Policy

# Connecting is bounded by the connect timeout; reading the schema by the statement timeout.
# The page waits this long for all probes together, then calls the rest unreachable.
PROBE_SECONDS = connections.CONNECT_SECONDS + 5

_KIND_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL", "sqlite": "SQLite"}


@dataclass(frozen=True)
class CategoryEntry:
    key: str
    title: str  # the policy's title in the page's language; the key if the policy lacks it


@dataclass(frozen=True)
class SystemEntry:
    key: str
    title: str
    source: str  # the map file
    builtin: bool
    kind: str | None  # PostgreSQL, MariaDB/MySQL, SQLite; None when no URL is configured
    reachable: bool
    reason: str | None  # why not reachable; never the URL
    tables: list[str]
    categories: list[CategoryEntry]
    findings: list[MapFinding]
    # When this system last had a subject's request carried out in it.
    last_request_handled: datetime | None = None

    @property
    def errors(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == "error")


@dataclass(frozen=True)
class SystemsOverview:
    systems: list[SystemEntry]
    # Findings about the policy as a whole (a category no system holds).
    general: list[MapFinding] = field(default_factory=list)


def database_kind(system: str, settings: Settings) -> str | None:
    """The kind of database from the URL's scheme, or None without a usable URL."""
    try:
        backend = connections.parse_url(connections.system_url(system, settings))
    except DataskyddError:
        return None
    return _KIND_NAMES.get(backend.get_backend_name())


def systems_overview(
    policy: Policy,
    documents: MapDocuments,
    settings: Settings,
    *,
    register_metadata: MetaData,
    lang: Lang,
    live: bool = True,
    last_handled: Mapping[str, datetime] | None = None,
) -> SystemsOverview:
    """`last_handled`: per system, when a subject's request was last carried out in it
    (the receipts, kept by subject_requests/systems.py)."""
    last_handled = last_handled or {}
    data_map = documents.data_map
    static = check_maps(
        policy, data_map, register_metadata=register_metadata, locations=documents.locations
    )
    probes = _probe(data_map.external, settings, documents) if live else {}
    systems = []
    for system in data_map.systems:
        result = probes.get(system.key)
        findings = [f for f in static if f.system == system.key]
        if result is not None:
            findings += result.findings
        systems.append(
            SystemEntry(
                key=system.key,
                title=system.title.get(lang) or system.key,
                source=system.source,
                builtin=system.builtin,
                kind=None if system.builtin else database_kind(system.key, settings),
                reachable=system.builtin or (result is not None and result.reachable),
                reason=None if system.builtin or result is None else result.reason,
                tables=sorted(system.by_table),
                categories=[
                    CategoryEntry(key, _category_title(policy, key, lang))
                    for key in sorted(system.categories)
                ],
                findings=findings,
                last_request_handled=last_handled.get(system.key),
            )
        )
    return SystemsOverview(systems, [f for f in static if not f.system])


def _category_title(policy: Policy, key: str, lang: Lang) -> str:
    category = policy.categories.get(key)
    return category.title.get(lang) if category is not None else key


def _probe(
    systems: tuple[SystemMap, ...], settings: Settings, documents: MapDocuments
) -> dict[str, LiveResult]:
    if not systems:
        return {}
    pool = ThreadPoolExecutor(max_workers=min(8, len(systems)), thread_name_prefix="probe")
    try:
        futures = {
            system.key: pool.submit(_inspect(system, settings, documents)) for system in systems
        }
        wait(futures.values(), timeout=PROBE_SECONDS)
        results = {}
        for key, future in futures.items():
            if future.done():
                results[key] = future.result()
            else:
                results[key] = LiveResult(key, False, NO_ANSWER, findings=[])
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _inspect(
    system: SystemMap, settings: Settings, documents: MapDocuments
) -> Callable[[], LiveResult]:
    def run() -> LiveResult:
        return inspect_system(system, settings, locations=documents.locations)

    return run
