"""One file row to a validated subject, with the register's own rules: the values are put in
the shape of `SubjectCreate` and validated by it - the model the create service uses, whose
validators are register/identifiers.py (python-stdnum, phonenumbers, email-validator). Each
problem names the row, the file's column and the rule; never the value."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from dataskydd.crypto import BlindIndexer
from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import Mapping, Target
from dataskydd.imports.merging import Incoming
from dataskydd.imports.reading import Cell, SourceRow
from dataskydd.register.enums import RoleKind, SubjectKind
from dataskydd.register.schemas import SubjectCreate

_KIND_WORDS = {
    "person": SubjectKind.PERSON,
    "privat": SubjectKind.PERSON,
    "privatperson": SubjectKind.PERSON,
    "privatkund": SubjectKind.PERSON,
    "p": SubjectKind.PERSON,
    "organisation": SubjectKind.ORGANISATION,
    "organization": SubjectKind.ORGANISATION,
    "företag": SubjectKind.ORGANISATION,
    "företagskund": SubjectKind.ORGANISATION,
    "company": SubjectKind.ORGANISATION,
    "org": SubjectKind.ORGANISATION,
    "f": SubjectKind.ORGANISATION,
}
_ROLE_WORDS = {
    "customer": RoleKind.CUSTOMER,
    "kund": RoleKind.CUSTOMER,
    "supplier": RoleKind.SUPPLIER,
    "leverantör": RoleKind.SUPPLIER,
}
_COUNTRY_WORDS = {
    "sverige": "SE",
    "sweden": "SE",
    "norge": "NO",
    "norway": "NO",
    "danmark": "DK",
    "denmark": "DK",
    "finland": "FI",
    "suomi": "FI",
    "tyskland": "DE",
    "germany": "DE",
}
_NO_IDENTIFIER = (
    "has no personnummer, organisationsnummer or e-mail address to recognise the subject by"
)
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_DAY = re.compile(r"^\d{5}(?:\.0+)?$")  # 10000..99999: 1927..2173


@dataclass(frozen=True)
class Problem:
    row: int
    column: str  # the file's column, or "row" for the row as a whole
    reason: str


@dataclass(slots=True)
class Candidate:
    """A valid row: what it would create, and the role's start."""

    row: int
    data: Incoming
    started_on: date | None
    raw: list[Cell] = field(repr=False)


def text_of(cell: Cell) -> str:
    if type(cell) is str:  # every cell of a CSV file: the common case first
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a number typed into a spreadsheet cell: 701234567.0
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell).strip()


def read_date(cell: Cell, formats: list[str]) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _EXCEL_EPOCH + timedelta(days=int(cell))
    text = text_of(cell)
    if _EXCEL_DAY.match(text):
        return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for form in formats:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError("is not a date in any of the mapping's date_formats")


class RowReader:
    """Reads rows of one file with one mapping."""

    def __init__(
        self,
        mapping: Mapping,
        header: list[str],
        limits: ImportLimits,
        indexer: BlindIndexer | None = None,
    ) -> None:
        """`indexer`: the blind index of a real import (a dry run matches nothing)."""
        self.mapping = mapping
        self.indexer = indexer
        self.limits = limits
        self.columns = [
            (header.index(name), name, target) for name, target in mapping.columns.items()
        ]
        self.kind_words = _KIND_WORDS | {k.casefold(): v for k, v in mapping.kind_values.items()}
        self.role_words = _ROLE_WORDS | {k.casefold(): v for k, v in mapping.role_values.items()}
        # The column each SubjectCreate field came from, for the problem's "column".
        self.source: dict[str, str] = {}
        for _, name, target in self.columns:
            self.source.setdefault(target.value, name)

    def read(self, row: SourceRow) -> Candidate | list[Problem]:
        problems: list[Problem] = []
        values: dict[Target, list[tuple[str, Cell]]] = {}
        for index, name, target in self.columns:
            if target is Target.IGNORE:
                continue
            cell = row.cells[index] if index < len(row.cells) else None
            text = text_of(cell)
            if len(text) > self.limits.max_field_chars:
                problems.append(
                    Problem(
                        row.number, name, f"longer than {self.limits.max_field_chars} characters"
                    )
                )
                continue
            if text:
                values.setdefault(target, []).append((name, cell))
        if problems:
            return problems
        data, started_on = self._shape(row.number, values, problems)
        if problems:
            return problems
        try:
            valid = SubjectCreate.model_validate(data)
        except ValidationError as error:
            return [self._problem(row.number, item, data) for item in error.errors()]
        if not (valid.personnummer or valid.organisationsnummer or valid.emails):
            # Nothing would find it again: a rerun would create the subject a second time.
            return [Problem(row.number, "row", _NO_IDENTIFIER)]
        return Candidate(row.number, Incoming.of(valid, self.indexer), started_on, row.cells)

    def _one(self, values: dict[Target, list[tuple[str, Cell]]], target: Target) -> str | None:
        found = values.get(target)
        return text_of(found[0][1]) if found else None

    def _shape(
        self, number: int, values: dict[Target, list[tuple[str, Cell]]], problems: list[Problem]
    ) -> tuple[dict[str, Any], date | None]:
        one = self._one
        kind = self.mapping.defaults.kind
        if (word := one(values, Target.KIND)) is not None:
            kind = self.kind_words.get(word.casefold())
            if kind is None:
                problems.append(
                    Problem(number, values[Target.KIND][0][0], "is not a kind the mapping knows")
                )
        organisation_name = one(values, Target.ORGANISATION_NAME)
        given, family = one(values, Target.GIVEN_NAME), one(values, Target.FAMILY_NAME)
        if kind is None:
            only_orgnr = Target.ORGANISATIONSNUMMER in values and not (
                Target.PERSONNUMMER in values or given or family
            )
            kind = (
                SubjectKind.ORGANISATION if organisation_name or only_orgnr else SubjectKind.PERSON
            )
        if (full := one(values, Target.NAME)) is not None:
            if kind is SubjectKind.ORGANISATION:
                organisation_name = organisation_name or full
            elif " " in full:
                first, _, last = full.rpartition(" ")
                given, family = given or first.strip(), family or last.strip()
            else:
                problems.append(
                    Problem(number, values[Target.NAME][0][0], "a person's name needs two parts")
                )
        data: dict[str, Any] = {
            "kind": kind.value if kind else None,
            "given_name": given,
            "family_name": family,
            "organisation_name": organisation_name,
            "personnummer": one(values, Target.PERSONNUMMER),
            "organisationsnummer": one(values, Target.ORGANISATIONSNUMMER),
            "emails": [text_of(cell) for _, cell in values.get(Target.EMAIL, [])],
            "phones": [text_of(cell) for _, cell in values.get(Target.PHONE, [])],
        }
        role = self.mapping.defaults.role
        if (word := one(values, Target.ROLE)) is not None:
            found = self.role_words.get(word.casefold())
            if found is None:
                problems.append(
                    Problem(number, values[Target.ROLE][0][0], "is not a role the mapping knows")
                )
            else:
                role = found
        data["roles"] = [role.value]
        address_parts = (Target.CARE_OF, Target.STREET, Target.POSTAL_CODE, Target.CITY)
        if any(part in values for part in address_parts):
            country = one(values, Target.COUNTRY)
            if country is not None:
                country = _COUNTRY_WORDS.get(country.casefold(), country.upper())
            address: dict[str, Any] = {
                "street": one(values, Target.STREET) or "",
                "postal_code": one(values, Target.POSTAL_CODE) or "",
                "city": one(values, Target.CITY) or "",
                "country": country or self.mapping.defaults.country,
            }
            if (care_of := one(values, Target.CARE_OF)) is not None:
                address["care_of"] = care_of
            data["addresses"] = [address]
        started_on = None
        if Target.CUSTOMER_SINCE in values:
            column, cell = values[Target.CUSTOMER_SINCE][0]
            try:
                started_on = read_date(cell, self.mapping.date_formats)
            except (ValueError, OverflowError) as error:
                problems.append(Problem(number, column, str(error)))
        return {k: v for k, v in data.items() if v is not None}, started_on

    def _problem(self, number: int, item: Any, data: dict[str, Any]) -> Problem:
        loc = [part for part in item["loc"] if not isinstance(part, int)]
        field_name = str(loc[-1]) if loc else ""
        plural = {"emails": "email", "phones": "phone", "addresses": "street", "roles": "role"}
        field_name = plural.get(field_name, field_name)
        column = self.source.get(field_name, field_name or "row")
        if field_name == "street" and "street" not in self.source:
            column = self.source.get("postal_code", "row")
        message = str(item["msg"]).removeprefix("Value error, ")
        if field_name in ("street", "city", "postal_code") and column not in self.source.values():
            message = f"{field_name}: {message}"
        return Problem(number, column, message)
