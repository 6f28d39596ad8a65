"""Read data map files (docs/data-map.md) into a `DataMap`, with errors naming file, line and
field like the policy's.

A map directory holds one `<system>.yaml` per system; exactly one of them is the built-in
register (`builtin: true`). Without DATASKYDD_DATA_MAP the bundled register map is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dataskydd.config import Settings
from dataskydd.datamap.entries import DataMap, Hop, Match, SubjectLink, SystemMap, TableMap
from dataskydd.datamap.map_schema import LinkSpec, SystemMapSpec, TableSpec
from dataskydd.errors import DataskyddError
from dataskydd.messages_i18n import Msg
from dataskydd.yaml_files import Form, Locations, YamlPath, parse_document, read_bounded

MAX_MAP_BYTES = 1_000_000
MAX_MAP_FILES = 200


class DataMapError(DataskyddError):
    """A data map file cannot be read or does not match the schema."""

    status_code = 422
    exit_code = 2


MAP_FILE = Form(
    noun=Msg("data map file"),
    error=DataMapError,
    max_bytes=MAX_MAP_BYTES,
    size_hint=Msg("a data map is some kilobytes per system"),
)


def _link(spec: LinkSpec) -> SubjectLink:
    return SubjectLink(
        subject_column=spec.subject_column,
        via=tuple(Hop(hop.column, hop.table, hop.key) for hop in spec.via),
        match=Match(spec.match.column, spec.match.identifier) if spec.match else None,
    )


def _table(system: str, name: str, spec: TableSpec) -> TableMap:
    return TableMap(
        table=name,
        links=tuple(_link(link) for link in spec.links),
        columns=dict(spec.columns),
        technical=frozenset(spec.technical),
        derived=frozenset(spec.derived),
        references={c: (r.table, r.column) for c, r in spec.references.items()},
        on_erase=spec.on_erase,
        time_column=spec.time_column,
        key=spec.key,
        system=system,
        title={"sv": spec.title.sv, "en": spec.title.en} if spec.title else None,
        labels={c: {"sv": t.sv, "en": t.en} for c, t in spec.labels.items()},
    )


@dataclass(frozen=True)
class MapDocuments:
    """A data map with the line of every key of its files, for messages naming the line."""

    data_map: DataMap
    locations: Mapping[str, Locations]  # by system key


def parse_map(text: str, source_name: str) -> SystemMap:
    return parse_map_document(text, source_name)[0]


def parse_map_document(text: str, source_name: str) -> tuple[SystemMap, dict[YamlPath, int]]:
    """The system's map and the 1-based line of every key and list item, by YAML path."""
    spec, locations = parse_document(text, source_name, SystemMapSpec, MAP_FILE)
    return _system(spec, source_name), locations


def _system(spec: SystemMapSpec, source_name: str) -> SystemMap:
    return SystemMap(
        key=spec.system,
        title={"sv": spec.title.sv, "en": spec.title.en},
        builtin=spec.builtin,
        tables=tuple(_table(spec.system, name, table) for name, table in spec.tables.items()),
        unmapped=dict(spec.unmapped),
        unused=frozenset(spec.unused),
        source=source_name,
    )


def load_map_file(path: Path | str) -> SystemMap:
    return _load_map_file_document(path)[0]


def _load_map_file_document(path: Path | str) -> tuple[SystemMap, dict[YamlPath, int]]:
    text, name = read_bounded(path, MAP_FILE)
    return parse_map_document(text, name)


def combine(systems: list[SystemMap], where: str) -> DataMap:
    """One map of all systems: keys unique, exactly one built-in register."""
    seen: dict[str, str] = {}
    for system in systems:
        if system.key in seen:
            raise DataMapError(
                Msg(
                    "{source}: system '{key}' is also defined in {seen}",
                    source=system.source,
                    key=system.key,
                    seen=seen[system.key],
                )
            )
        seen[system.key] = system.source
    builtin = [system.source for system in systems if system.builtin]
    if len(builtin) != 1:
        found = ", ".join(builtin) if builtin else "none"
        raise DataMapError(
            Msg(
                "{where}: exactly one map must be the built-in register "
                "(builtin: true); found {found}",
                where=where,
                found=found,
            )
        )
    # The register first: extracts and receipts list it before the other systems.
    ordered = sorted(systems, key=lambda system: (not system.builtin, system.key))
    return DataMap(systems=tuple(ordered))


def load_map_directory(directory: Path | str) -> DataMap:
    return load_map_documents(directory).data_map


def load_map_documents(directory: Path | str) -> MapDocuments:
    directory = Path(directory)
    if not directory.is_dir():
        raise DataMapError(Msg("data map directory not found: {directory}", directory=directory))
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise DataMapError(Msg("{directory}: no data map files (*.yaml)", directory=directory))
    if len(files) > MAX_MAP_FILES:
        raise DataMapError(
            Msg(
                "{directory}: more than {MAX_MAP_FILES} data map files",
                directory=directory,
                MAX_MAP_FILES=MAX_MAP_FILES,
            )
        )
    return _documents([_load_map_file_document(path) for path in files], str(directory))


def _documents(documents: list[tuple[SystemMap, dict[YamlPath, int]]], where: str) -> MapDocuments:
    data_map = combine([system for system, _locations in documents], where)
    return MapDocuments(data_map, {system.key: locations for system, locations in documents})


@lru_cache(maxsize=1)
def load_bundled_map() -> DataMap:
    return load_bundled_documents().data_map


@lru_cache(maxsize=1)
def load_bundled_documents() -> MapDocuments:
    text = resources.files("dataskydd.datamap").joinpath("bundled/register.yaml").read_text()
    return _documents([parse_map_document(text, "register.yaml")], "bundled data map")


def configured_map_documents(settings: Settings) -> MapDocuments:
    """The map DATASKYDD_DATA_MAP names, else the bundled register map; with its lines."""
    if settings.data_map is not None:
        return load_map_documents(settings.data_map)
    return load_bundled_documents()


def configured_data_map(settings: Settings) -> DataMap:
    return configured_map_documents(settings).data_map
