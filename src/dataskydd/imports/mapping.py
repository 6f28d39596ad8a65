"""The mapping file: which column of the import file goes to which register field, and how
its values are read. YAML, typed, errors with their line (yaml_files.py); written once per
source system and reused for every export of it (docs/import.md)."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.register.enums import RoleKind, SubjectKind
from dataskydd.yaml_files import Form, parse_document, read_bounded


class Target(StrEnum):
    """The register fields a column can fill."""

    KIND = "kind"
    NAME = "name"  # a person's full name (split at the last space) or an organisation's
    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    ORGANISATION_NAME = "organisation_name"
    PERSONNUMMER = "personnummer"
    ORGANISATIONSNUMMER = "organisationsnummer"
    EMAIL = "email"
    PHONE = "phone"
    CARE_OF = "care_of"
    STREET = "street"
    POSTAL_CODE = "postal_code"
    CITY = "city"
    COUNTRY = "country"
    ROLE = "role"
    CUSTOMER_SINCE = "customer_since"
    IGNORE = "ignore"  # a column read but not imported (a customer number, a note)


# Several columns may feed these (Mobil and Telefon are both phones); the others take one.
REPEATABLE = frozenset({Target.EMAIL, Target.PHONE, Target.IGNORE})

Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Word = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SubjectKind | None = None  # None: an organisation when it has a name or only an orgnr
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "SE"
    role: RoleKind = RoleKind.CUSTOMER


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # XLSX: the sheet to read (the first when left out).
    sheet: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    columns: dict[Column, Target] = Field(min_length=1, max_length=200)
    defaults: Defaults = Field(default_factory=Defaults)
    # strptime formats tried in order after ISO 8601; Excel's day numbers are read as dates.
    date_formats: list[Word] = Field(
        default_factory=lambda: ["%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y"], max_length=10
    )
    # The file's words for a kind or a role, beside the register's own (person, organisation,
    # customer, supplier) and the common Swedish ones (privat, företag, kund, leverantör).
    kind_values: dict[Word, SubjectKind] = Field(default_factory=dict, max_length=50)
    role_values: dict[Word, RoleKind] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _single_targets(self) -> Self:
        seen: dict[Target, str] = {}
        for column, target in self.columns.items():
            if target in seen and target not in REPEATABLE:
                raise ValueError(
                    f"columns: {column!r} and {seen[target]!r} both map to {target.value}; "
                    "only email, phone and ignore may take several columns"
                )
            seen[target] = column
        return self


class MappingError(InvalidInput):
    def __init__(self, message: Msg) -> None:
        super().__init__("mapping", message)


_FORM = Form(
    noun=Msg("mapping file"),
    error=MappingError,
    max_bytes=256 * 1024,
    size_hint=Msg("a mapping file is a few dozen lines"),
)


def load_mapping(path: Path) -> tuple[Mapping, str]:
    """The mapping and the SHA-256 of its text (the audit names the mapping by it)."""
    text, name = read_bounded(path, _FORM)
    mapping, _ = parse_document(text, name, Mapping, _FORM)
    return mapping, hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_against_header(mapping: Mapping, header: list[str]) -> None:
    """Every column the mapping names is in the file (a renamed column is not silently lost)."""
    missing = [column for column in mapping.columns if column not in header]
    if missing:
        raise InvalidInput(
            "mapping",
            Msg(
                "the file has no column named {columns}"
                " (columns are matched by their exact header text)",
                columns=", ".join(repr(c) for c in missing),
            ),
        )
