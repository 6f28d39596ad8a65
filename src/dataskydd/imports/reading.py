"""Reading CSV and XLSX files as Swedish tools export them, row by row, with bounds.

CSV: UTF-8 (with or without BOM) or Windows-1252 - the file is UTF-8 if all of it decodes
as UTF-8, else Windows-1252 (Excel's "CSV" on a Swedish Windows) - comma, semicolon or tab
separated, quoted fields. XLSX: the first sheet (or a named one), read streaming; dates come
as dates. The file's SHA-256 is computed in the same pass that decides the encoding.
Every bound is checked before the bytes it guards are parsed: the file's size, each line's
length (read with a limit, so a file without line breaks is never read whole), the columns.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from dataskydd.errors import InvalidInput
from dataskydd.imports.limits import ImportLimits
from dataskydd.messages_i18n import Msg

Cell = str | int | float | date | datetime | None
_CHUNK = 1024 * 1024
_SNIFF_CHARS = 64 * 1024
_DELIMITERS = ";,\t"


@dataclass
class SourceRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: list[Cell]


@dataclass
class Source:
    """An opened file: its header, its rows (an iterator, read once), and how far it got."""

    format: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    sha256: str
    size: int
    header: list[str]
    rows: Iterator[SourceRow]
    _progress: Any = field(default=None, repr=False)

    def done_bytes(self) -> int:
        """How much of the file has been read (approximate for XLSX: rows of its total)."""
        return int(self._progress()) if self._progress else 0


def _hash_and_encoding(path: Path) -> tuple[str, str]:
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    return digest.hexdigest(), "utf-8-sig" if utf8 else "cp1252"


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def open_source(path: Path, limits: ImportLimits, *, sheet: str | None = None) -> Source:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InvalidInput("file", Msg("not found: {path}", path=path)) from None
    except OSError as error:
        raise InvalidInput(
            "file", Msg("cannot be read: {strerror}", strerror=error.strerror)
        ) from None
    if not path.is_file():
        raise InvalidInput("file", Msg("is not a file: {path}", path=path))
    if size > limits.max_file_bytes:
        raise InvalidInput(
            "file",
            Msg(
                "is larger than {max_file_bytes} bytes (DATASKYDD_IMPORT_MAX_FILE_BYTES)",
                max_file_bytes=limits.max_file_bytes,
            ),
        )
    if size == 0:
        raise InvalidInput("file", Msg("is empty"))
    if _is_xlsx(path):
        return _open_xlsx(path, size, limits, sheet)
    return _open_csv(path, size, limits)


def _bounded_lines(text: IO[str], limits: ImportLimits) -> Iterator[str]:
    """Lines of at most max_row_bytes characters; a longer one stops the import (a CSV
    whose quoting is broken reads as one endless line)."""
    line_number = 0
    while line := text.readline(limits.max_row_bytes + 1):
        line_number += 1
        if len(line) > limits.max_row_bytes and not line.endswith("\n"):
            raise InvalidInput(
                "file",
                Msg(
                    "line {line_number} is longer than {max_row_bytes} characters "
                    "(DATASKYDD_IMPORT_MAX_ROW_BYTES); is the quoting broken?",
                    line_number=line_number,
                    max_row_bytes=limits.max_row_bytes,
                ),
            )
        yield line


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(_DELIMITERS, key=first.count)


def _open_csv(path: Path, size: int, limits: ImportLimits) -> Source:
    sha256, encoding = _hash_and_encoding(path)
    binary = path.open("rb")
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        sample = text.read(_SNIFF_CHARS)
        text.seek(0)
    except UnicodeDecodeError:
        binary.close()
        raise InvalidInput("file", Msg("is neither UTF-8 nor Windows-1252 text")) from None
    delimiter = _delimiter(sample)
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_row_bytes)
    reader = csv.reader(_bounded_lines(text, limits), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader, [])]
    except (csv.Error, UnicodeDecodeError):
        binary.close()
        raise InvalidInput("file", Msg("its first line is not a CSV header")) from None
    _check_header(header, limits)

    def rows() -> Iterator[SourceRow]:
        try:
            number = 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    raise InvalidInput(
                        "file",
                        Msg("row {value} is not valid CSV (a field too long?)", value=number + 1),
                    ) from None
                except UnicodeDecodeError:
                    raise InvalidInput(
                        "file", Msg("is neither UTF-8 nor Windows-1252 text")
                    ) from None
                number += 1
                if not any(cell.strip() for cell in cells):
                    continue  # an empty line, as spreadsheets leave at the end
                yield SourceRow(number, list(cells))
        finally:
            csv.field_size_limit(previous_limit)
            binary.close()

    return Source(
        "csv",
        encoding.removesuffix("-sig"),
        delimiter,
        sha256,
        size,
        header,
        rows(),
        _progress=lambda: size if binary.closed else binary.tell(),
    )


def _check_header(header: list[str], limits: ImportLimits) -> None:
    if not header or not any(header):
        raise InvalidInput("file", Msg("has no header row naming its columns"))
    if len(header) > limits.max_columns:
        raise InvalidInput(
            "file",
            Msg(
                "has more than {max_columns} columns (DATASKYDD_IMPORT_MAX_COLUMNS)",
                max_columns=limits.max_columns,
            ),
        )
    seen: set[str] = set()
    for name in header:
        if len(name) > 200:
            raise InvalidInput("file", Msg("a column name is longer than 200 characters"))
        if name and name in seen:
            raise InvalidInput(
                "file", Msg("the column '{name}' appears twice in the header", name=name)
            )
        seen.add(name)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _open_xlsx(path: Path, size: int, limits: ImportLimits, sheet: str | None) -> Source:
    import openpyxl  # type: ignore[import-untyped]  # only an XLSX import pays for it

    sha256 = _sha256_of(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InvalidInput("file", Msg("is not an XLSX workbook that can be read")) from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise InvalidInput("mapping", Msg("the workbook has no sheet named '{sheet}'", sheet=sheet))
    worksheet = book[sheet] if sheet is not None else book.worksheets[0]
    total = worksheet.max_row or 0
    values = worksheet.iter_rows(values_only=True, max_col=limits.max_columns + 1)
    first = next(values, None)
    header = ["" if cell is None else str(cell).strip() for cell in first or ()]
    while header and not header[-1]:
        header.pop()  # formatted but empty cells at the right
    _check_header(header, limits)
    state = {"row": 1}

    def rows() -> Iterator[SourceRow]:
        try:
            for number, cells in enumerate(values, start=2):
                state["row"] = number
                # Columns right of the header's are read no further (max_col bounds them).
                cells = cells[: len(header)]
                if all(cell is None or str(cell).strip() == "" for cell in cells):
                    continue
                yield SourceRow(number, [_xlsx_cell(cell) for cell in cells])
        finally:
            book.close()

    def progress() -> int:
        return size * state["row"] // total if total else 0

    return Source("xlsx", None, None, sha256, size, header, rows(), _progress=progress)


def _xlsx_cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | date):
        return value
    return str(value)
