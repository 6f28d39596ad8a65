"""The export file, written as it is read: CSV or JSON, counted and hashed on the way out.

CSV is long ("tidy"): one line per value, `subject_id,category,system,table,row_id,column,
value`, the same header for every recipient and policy, so any system can load it and pivot
it to the shape it needs; UTF-8 without a byte-order mark, CRLF line ends (RFC 4180). JSON is
one document, `dataskydd-recipient-export/1` (docs/recipient-exports.md), written piece by
piece. Either way memory stays flat in the number of subjects and rows.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from dataskydd.recipient_exports.cells import csv_cell, plain
from dataskydd.recipient_exports.models import ExportFormat
from dataskydd.recipient_exports.reading import TableRows

JSON_SCHEMA = "dataskydd-recipient-export/1"
CSV_HEADER = ("subject_id", "category", "system", "table", "row_id", "column", "value")


class _Counted:
    """The file as bytes: their SHA-256 and number, for the log."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._hash = hashlib.sha256()
        self.size = 0

    def write_text(self, text: str) -> int:
        data = text.encode("utf-8")
        self._out.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(text)

    # csv.writer writes to anything with write(str).
    write = write_text

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


@dataclass
class SubjectWritten:
    """What went of one subject: the categories they had data in, and how many rows."""

    categories: list[str] = field(default_factory=list)
    rows: int = 0


Sections = Iterator[tuple[str, Iterator[TableRows]]]


class ExportWriter(Protocol):
    @property
    def size(self) -> int: ...
    def begin(self, head: dict[str, Any]) -> None: ...
    def subject(self, subject_id: int, sections: Sections) -> SubjectWritten: ...
    def end(self) -> None: ...
    @property
    def sha256(self) -> str: ...


class CsvWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._file = _Counted(out)
        self._csv = csv.writer(self._file, lineterminator="\r\n")

    @property
    def size(self) -> int:
        return self._file.size

    @property
    def sha256(self) -> str:
        return self._file.sha256

    def begin(self, head: dict[str, Any]) -> None:
        self._csv.writerow(CSV_HEADER)

    def subject(self, subject_id: int, sections: Sections) -> SubjectWritten:
        written = SubjectWritten()
        for category, tables in sections:
            had = False
            for table in tables:
                for row in table.rows:
                    had = True
                    written.rows += 1
                    start = (subject_id, category, table.system, table.table, csv_cell(row["id"]))
                    for column in table.columns:
                        self._csv.writerow((*start, column, csv_cell(row[column])))
            if had:
                written.categories.append(category)
        return written

    def end(self) -> None:
        pass


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class JsonWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._file = _Counted(out)
        self._subjects = 0

    @property
    def size(self) -> int:
        return self._file.size

    @property
    def sha256(self) -> str:
        return self._file.sha256

    def begin(self, head: dict[str, Any]) -> None:
        self._file.write_text(_dump({"schema": JSON_SCHEMA, **head})[:-1] + ', "subjects": [')

    def subject(self, subject_id: int, sections: Sections) -> SubjectWritten:
        """The subject's object, written only once they have a row: a subject with nothing
        in the categories is not named in the file at all."""
        write = self._file.write_text
        written = SubjectWritten()
        for category, tables in sections:
            opened = False
            for table in tables:
                if not written.categories:
                    prefix = ", " if self._subjects else ""
                    write(f'{prefix}{{"subject_id": {subject_id}, "categories": [')
                    self._subjects += 1
                if not opened:
                    comma = ", " if written.categories else ""
                    write(f'{comma}{{"category": {_dump(category)}, "tables": [')
                    written.categories.append(category)
                    opened = True
                else:
                    write(", ")
                meta = {"system": table.system, "table": table.table}
                write(_dump(meta)[:-1] + ', "rows": [')
                for number, row in enumerate(table.rows):
                    names = ("id", *table.columns)
                    item = {name: plain(row[name]) for name in names}
                    write(("" if number == 0 else ", ") + _dump(item))
                    written.rows += 1
                write("]}")
            if opened:
                write("]}")
        if written.categories:
            write("]}")
        return written

    def end(self) -> None:
        self._file.write_text("]}")


def writer_for(fmt: ExportFormat, out: BinaryIO) -> ExportWriter:
    return CsvWriter(out) if fmt is ExportFormat.CSV else JsonWriter(out)
