"""`dataskydd import subjects|list` as an operator runs it: the dry run's report, all or
nothing, --skip-invalid's file, XLSX, reruns, --suggest, and the audit entry with the file's
hash. Every read the commands make is watched for an access decision (tests/cli)."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from tests.cli.conftest import Run
from tests.imports.files import HEADER, customer, customers, write_csv, write_mapping

pytestmark = [pytest.mark.usefixtures("initialised"), pytest.mark.every_company]


def _db(workdir: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(workdir / "dataskydd.db") as connection:
        return connection.execute(query).fetchall()


def _subjects(workdir: Path) -> int:
    (count,) = _db(workdir, "SELECT count(*) FROM subject")[0]
    assert isinstance(count, int)
    return count


def _invalid_file(workdir: Path) -> Path:
    rows = list(customers(6))
    rows[2][3] = "19811218-9875"  # wrong check digit
    rows[4][4] = "inte en adress"
    return write_csv(workdir / "kunder.csv", rows)


def test_dry_run_reports_rows_and_columns_and_writes_nothing(run: Run, workdir: Path) -> None:
    path = _invalid_file(workdir)
    mapping = write_mapping(workdir / "mapping.yaml")
    result = run("import", "subjects", str(path), "--mapping", str(mapping), "--dry-run")
    assert result.exit_code == 1, result.output
    assert "6 row(s): 4 valid, 2 invalid" in result.output
    assert "│ 4   │ Personnummer │ personnummer has a wrong check digit" in result.output
    assert "│ 6   │ E-post" in result.output
    for value in ("19811218-9875", "inte en adress", customer(0)[1]):
        assert value not in result.output
    assert _subjects(workdir) == 0
    assert json.loads(run("import", "list", "--json").output) == []


def test_an_invalid_row_stops_the_whole_import(run: Run, workdir: Path) -> None:
    path = _invalid_file(workdir)
    mapping = write_mapping(workdir / "mapping.yaml")
    result = run("import", "subjects", str(path), "--mapping", str(mapping), "--json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["status"] == "rejected"
    assert [(p["row"], p["column"]) for p in report["problems"]] == [
        (4, "Personnummer"),
        (6, "E-post"),
    ]
    assert _subjects(workdir) == 0
    (logged,) = json.loads(run("import", "list", "--json").output)
    assert (logged["status"], logged["rows"], logged["rejected"], logged["imported"]) == (
        "rejected",
        6,
        2,
        0,
    )


def test_skip_invalid_imports_the_rest_and_writes_the_rejected_rows(
    run: Run, workdir: Path
) -> None:
    path = _invalid_file(workdir)
    mapping = write_mapping(workdir / "mapping.yaml")
    rejects = workdir / "avvisade.csv"
    result = run(
        "import", "subjects", str(path), "--mapping", str(mapping), "--skip-invalid", str(rejects)
    )
    assert result.exit_code == 0, result.output
    assert "6 row(s): 4 new subject(s), 0 merged, 0 already held, 2 rejected" in result.output
    assert _subjects(workdir) == 4
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == [*HEADER, "dataskydd_reasons"]
    assert [row[0] for row in rows[1:]] == [customer(2)[0], customer(4)[0]]
    assert rows[1][-1] == "row 4: Personnummer: personnummer has a wrong check digit"
    assert rows[2][-1].startswith("row 6: E-post: ")
    assert not list(workdir.glob(".avvisade.csv.*"))  # written whole, nothing left beside it


def test_rerun_changes_nothing_and_each_import_is_audited_with_its_hash(
    run: Run, workdir: Path
) -> None:
    path = write_csv(workdir / "kunder.csv", customers(40))
    mapping = write_mapping(workdir / "mapping.yaml")
    first = json.loads(
        run("import", "subjects", str(path), "--mapping", str(mapping), "--json").output
    )
    before = _db(workdir, "SELECT count(*) FROM contact_point")
    second = json.loads(
        run("import", "subjects", str(path), "--mapping", str(mapping), "--json").output
    )
    assert (first["imported"], second["imported"], second["skipped"]) == (40, 0, 40)
    assert _subjects(workdir) == 40
    assert _db(workdir, "SELECT count(*) FROM contact_point") == before
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    mapping_digest = hashlib.sha256(mapping.read_bytes()).hexdigest()
    entries = _db(
        workdir, "SELECT actor, detail FROM audit_entry WHERE action = 'subject.import' ORDER BY id"
    )
    assert len(entries) == 2
    actor, detail = entries[0]
    assert str(actor).startswith("cli:")
    assert json.loads(str(detail)) == {
        "import": first["import"],
        "file_sha256": digest,
        "mapping_sha256": mapping_digest,
        "format": "csv",
        "rows": 40,
        "imported": 40,
        "merged": 0,
        "skipped": 0,
        "rejected": 0,
        "conflicts": 0,
    }
    listed = json.loads(run("import", "list", "--json").output)
    assert [item["file_sha256"] for item in listed] == [digest, digest]
    assert run("audit", "verify").exit_code == 0


def test_xlsx_through_the_command(run: Run, workdir: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in customers(5):
        sheet.append(row)
    path = workdir / "kunder.xlsx"
    book.save(path)
    mapping = write_mapping(workdir / "mapping.yaml")
    result = run("import", "subjects", str(path), "--mapping", str(mapping), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["format"] == "xlsx"
    assert _subjects(workdir) == 5


def test_suggest_proposes_a_mapping_that_imports(run: Run, workdir: Path) -> None:
    path = write_csv(workdir / "kunder.csv", customers(5))
    result = run("import", "subjects", str(path), "--suggest")
    assert result.exit_code == 0, result.output
    assert "Personnummer: personnummer" in result.output
    mapping = workdir / "suggested.yaml"
    mapping.write_text(result.output, encoding="utf-8")
    imported = run("import", "subjects", str(path), "--mapping", str(mapping), "--json")
    assert json.loads(imported.output)["imported"] == 5


def test_bad_input_is_one_line_not_a_traceback(run: Run, workdir: Path) -> None:
    path = write_csv(workdir / "kunder.csv", customers(2))
    mapping = workdir / "mapping.yaml"
    mapping.write_text("columns:\n  Saknas: given_name\n", encoding="utf-8")
    result = run("import", "subjects", str(path), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert "the file has no column named 'Saknas'" in result.output
    missing = run("import", "subjects", str(workdir / "finns-inte.csv"), "--mapping", str(mapping))
    assert missing.exit_code == 2
    assert "not found" in missing.output
