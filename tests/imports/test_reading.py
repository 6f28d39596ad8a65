"""Files as Swedish tools export them: UTF-8 with a BOM and semicolons, Windows-1252 with
commas, quoted fields, XLSX with dates and numbers; bounds checked before parsing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from dataskydd.errors import InvalidInput
from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import load_mapping
from dataskydd.imports.merging import ADDRESS_FIELDS, NAME_FIELDS
from dataskydd.imports.reading import open_source
from dataskydd.imports.rows import Candidate, RowReader, read_date
from tests.imports.files import HEADER, customer, customers, write_csv, write_mapping

LIMITS = ImportLimits()


def _candidates(path: Path, mapping: Path) -> list[Candidate]:
    plan, _ = load_mapping(mapping)
    source = open_source(path, LIMITS, sheet=plan.sheet)
    reader = RowReader(plan, source.header, LIMITS)
    found = [reader.read(row) for row in source.rows]
    assert all(isinstance(item, Candidate) for item in found), found
    return [item for item in found if isinstance(item, Candidate)]


def _names(candidate: Candidate) -> dict[str, str | None]:
    return dict(zip(NAME_FIELDS, candidate.data.names, strict=True))


def test_utf8_with_bom_and_semicolons(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", customers(3), encoding="utf-8-sig", delimiter=";")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    source = open_source(path, LIMITS)
    assert (source.encoding, source.delimiter, source.header) == ("utf-8", ";", HEADER)
    rows = _candidates(path, write_mapping(tmp_path / "m.yaml"))
    assert _names(rows[1])["given_name"] == customer(1)[1]


def test_windows_1252_with_commas_and_quoted_fields(tmp_path: Path) -> None:
    row = customer(4)
    row[6] = "Åsgatan 4, lgh 1102"  # a comma inside a quoted field
    row[1] = "Östen"
    path = write_csv(tmp_path / "ansi.csv", [row], encoding="cp1252", delimiter=",")
    assert "Ö".encode("cp1252") in path.read_bytes()
    source = open_source(path, LIMITS)
    assert (source.encoding, source.delimiter) == ("cp1252", ",")
    (candidate,) = _candidates(path, write_mapping(tmp_path / "m.yaml"))
    assert _names(candidate)["given_name"] == "Östen"
    assert candidate.data.addresses[0][ADDRESS_FIELDS.index("street")] == "Åsgatan 4, lgh 1102"


def test_xlsx_with_dates_and_numbers_in_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kunder"
    sheet.append(HEADER)
    row: list[object] = list(customer(9))
    row[5] = 701234567  # Excel drops the leading 0 of a phone typed as a number
    row[9] = datetime(2018, 5, 17)
    sheet.append(row)
    path = tmp_path / "kunder.xlsx"
    book.save(path)
    (candidate,) = _candidates(path, write_mapping(tmp_path / "m.yaml"))
    assert [phone for phone, _ in candidate.data.phones] == ["+46701234567"]
    assert candidate.started_on == date(2018, 5, 17)
    assert open_source(path, LIMITS).format == "xlsx"


def test_excel_day_numbers_and_formats_are_dates() -> None:
    assert read_date("43466", []) == date(2019, 1, 1)
    assert read_date(43466, []) == date(2019, 1, 1)
    assert read_date("17/05/2018", ["%d/%m/%Y"]) == date(2018, 5, 17)
    with pytest.raises(ValueError, match="date_formats"):
        read_date("igår", ["%d/%m/%Y"])


def test_the_file_size_is_checked_before_reading(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "stor.csv", customers(50))
    with pytest.raises(InvalidInput, match="larger than 1024 bytes"):
        open_source(path, ImportLimits(max_file_bytes=1024))


def test_a_line_without_end_is_refused_at_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "trasig.csv"
    path.write_text('Förnamn;Efternamn\n"Anna;' + "x" * 5000 + "\n" * 3, encoding="utf-8")
    source = open_source(path, ImportLimits(max_row_bytes=1024))
    with pytest.raises(InvalidInput, match=r"longer than 1024|not valid CSV"):
        list(source.rows)


def test_a_mapping_naming_a_missing_column_or_a_bad_field_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "fel.yaml"
    bad.write_text("columns:\n  Förnamn: given_name\n  Efternamn: surname\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 3"):
        load_mapping(bad)


def test_progress_reaches_the_file_size_batch_by_batch(tmp_path: Path) -> None:
    from dataskydd.auth.access import operator_context
    from dataskydd.imports.service import Importer, Mode

    path = write_csv(tmp_path / "k.csv", customers(25))
    plan, digest = load_mapping(write_mapping(tmp_path / "m.yaml"))
    source = open_source(path, LIMITS)
    seen: list[tuple[int, int]] = []
    limits = ImportLimits(batch_size=10)
    Importer(
        None,
        None,
        operator_context("test"),
        source,
        plan,
        digest,
        limits,
        Mode.DRY_RUN,
        on_progress=lambda rows, done: seen.append((rows, done)),
    ).run()
    assert [rows for rows, _ in seen] == [10, 20, 25]
    assert seen[-1][1] == path.stat().st_size
