"""The schema of a data map file (docs/data-map.md): one system, its tables, and for every
column either the policy category it holds or that it is technical.

Only the shape is checked here; whether the categories exist in the policy, and whether the
tables and columns exist in the live database, is `datamap/map_check.py`. Connection URLs are
never part of a map (they come from settings or a secrets file, `datamap/connections.py`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dataskydd.policy.schema import Key, LocalizedText

# A table or column name as SQL databases spell them (PostgreSQL truncates at 63 bytes).
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$", max_length=63)]


class OnErase(StrEnum):
    DELETE = "delete"  # the row goes
    BLANK = "blank"  # the row stays (others refer to it); its mapped columns become NULL
    # The row stays; its mapped columns become NULL where the column allows it, otherwise a
    # value that says nothing (empty text, zero, the epoch) - for NOT NULL columns.
    ANONYMISE = "anonymise"


class Identifier(StrEnum):
    """What a row of another system may share with the register, to find its subject."""

    EMAIL = "email"
    PHONE = "phone"
    PERSONNUMMER = "personnummer"  # or samordningsnummer
    ORGANISATIONSNUMMER = "organisationsnummer"
    CUSTOMER_NUMBER = "customer_number"  # the register's number for the subject


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HopSpec(_Model):
    """Follow `column` of the current table to `key` of `table`."""

    column: Name
    table: Name
    key: Name = "id"


class MatchSpec(_Model):
    """The row belongs to the subject whose identifier of this kind equals the column."""

    column: Name
    identifier: Identifier


class LinkSpec(_Model):
    """How a row reaches its subject: hops, then a column holding the register's subject id
    (the built-in register) or matching one of the subject's identifiers (other systems)."""

    via: list[HopSpec] = Field(default_factory=list, max_length=8)
    subject_column: Name | None = None
    match: MatchSpec | None = None

    @model_validator(mode="after")
    def _one_end(self) -> Self:
        if (self.subject_column is None) == (self.match is None):
            raise ValueError("a link ends in exactly one of subject_column or match")
        return self


class ReferenceSpec(_Model):
    """A column pointing into a catalogue, shown as the catalogue's text."""

    table: Name
    column: Name
    key: Name = "id"


class TableSpec(_Model):
    # How the registerutdrag names the table and its columns; without them, the table's and
    # columns' own names with spaces for underscores.
    title: LocalizedText | None = None
    labels: dict[Name, LocalizedText] = Field(default_factory=dict)
    key: Name = "id"
    links: list[LinkSpec] = Field(min_length=1, max_length=8)
    columns: dict[Name, Key] = Field(min_length=1)  # personal-data column -> policy category
    technical: list[Name] = Field(default_factory=list)
    # Personal-data columns computed from others (blind indexes, search text): erased with
    # the rest, never shown, since they only restate the values they were derived from.
    derived: list[Name] = Field(default_factory=list)
    references: dict[Name, ReferenceSpec] = Field(default_factory=dict)
    on_erase: OnErase = OnErase.DELETE
    time_column: Name | None = None  # when the row came into being: retention, ordering

    @model_validator(mode="after")
    def _columns_agree(self) -> Self:
        both = sorted(set(self.technical) & set(self.columns))
        if both:
            raise ValueError(f"{', '.join(both)}: both a personal-data and a technical column")
        listed_columns = (
            ("derived", self.derived),
            ("references", self.references),
            ("labels", self.labels),
        )
        for name, listed in listed_columns:
            stray = sorted(set(listed) - set(self.columns))
            if stray:
                raise ValueError(f"{name}: {', '.join(stray)} is not among the columns")
        known = set(self.columns) | set(self.technical)
        if self.time_column is not None and self.time_column not in known:
            raise ValueError(f"time_column: {self.time_column} is not among the columns")
        if self.key not in self.technical:
            raise ValueError(f"key: {self.key} must be listed as technical")
        return self


class SystemMapSpec(_Model):
    system: Key
    title: LocalizedText
    description: LocalizedText | None = None
    # The register inside dataskydd's own database; every other system is reached by a URL.
    builtin: bool = False
    tables: dict[Name, TableSpec] = Field(min_length=1)
    # Tables of the system that hold no personal data, each with the reason.
    unmapped: dict[Name, Annotated[str, StringConstraints(min_length=3)]] = Field(
        default_factory=dict
    )
    # Built-in register tables this company does not use: nothing may be written there.
    unused: list[Name] = Field(default_factory=list)

    @model_validator(mode="after")
    def _links_resolve(self) -> Self:
        if self.unused and not self.builtin:
            raise ValueError("unused: only the built-in register lists tables it does not use")
        overlap = sorted(set(self.tables) & (set(self.unmapped) | set(self.unused)))
        if overlap:
            raise ValueError(f"{', '.join(overlap)}: both mapped and unmapped or unused")
        for table_name, table in self.tables.items():
            for link in table.links:
                for hop in link.via:
                    if hop.table not in self.tables:
                        raise ValueError(
                            f"tables.{table_name}: a link hops to {hop.table}, which is not a "
                            "mapped table of this system"
                        )
                if self.builtin and link.match is not None:
                    raise ValueError(
                        f"tables.{table_name}: the built-in register links by subject_column"
                    )
                if not self.builtin and link.subject_column is not None:
                    raise ValueError(
                        f"tables.{table_name}: another system links by match (an identifier "
                        "such as email, or customer_number for the register's number)"
                    )
            for column, reference in table.references.items():
                if reference.table not in self.unmapped and reference.table not in self.tables:
                    raise ValueError(
                        f"tables.{table_name}.references.{column}: {reference.table} is "
                        "neither mapped nor listed as unmapped"
                    )
        return self
