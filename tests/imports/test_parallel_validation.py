"""Rows validated in worker processes (imports/validating.py): the same outcome, report,
rejects file and register as validating in the importing process, in the file's order; no
worker outlives the batches it was started for."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import load_mapping
from dataskydd.imports.reading import SourceRow
from dataskydd.imports.rows import Candidate
from dataskydd.imports.validating import WorkerLost, validated
from tests.cli.conftest import Run
from tests.imports.files import HEADER, customer, customers, write_csv, write_mapping

pytestmark = [pytest.mark.every_company]

ROWS = 300


def _file(directory: Path) -> Path:
    """Customers with invalid rows spread over the batches and duplicates across them."""
    rows = list(customers(ROWS))
    for n in (3, 77, 150, 299):
        rows[n][3] = "19811218-9875"  # wrong check digit
    rows[120][4] = "inte en adress"
    for n in (200, 260):  # the same person again, later in the file: merged, not doubled
        rows[n] = [rows[n][0], *customer(10)[1:4], f"ny{n}@example.se", *customer(10)[5:]]
    return write_csv(directory / "kunder.csv", rows)


def _import(
    run: Run, monkeypatch: pytest.MonkeyPatch, workdir: Path, workers: int, *extra: str
) -> tuple[dict[str, object], list[list[str]], list[tuple[object, ...]]]:
    monkeypatch.setenv("DATASKYDD_IMPORT_WORKERS", str(workers))
    monkeypatch.setenv("DATASKYDD_IMPORT_BATCH_SIZE", "40")
    database = workdir / "dataskydd.db"
    with sqlite3.connect(database) as connection:
        for table in ("contact_point", "postal_address", "subject_role", "subject"):
            connection.execute(f"DELETE FROM {table}")
    path = _file(workdir)
    mapping = write_mapping(workdir / "mapping.yaml")
    rejects = workdir / f"avvisade_{workers}.csv"
    result = run(
        "import",
        "subjects",
        str(path),
        "--mapping",
        str(mapping),
        "--skip-invalid",
        str(rejects),
        "--json",
        *extra,
    )
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    for name in ("import", "file_sha256"):
        outcome.pop(name)
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.reader(handle, delimiter=";"))
    with sqlite3.connect(database) as connection:
        held = connection.execute(
            "SELECT s.given_name, s.family_name, group_concat(c.value, ' ') FROM subject s "
            "JOIN contact_point c ON c.subject_id = s.id "
            "GROUP BY s.id ORDER BY s.id"
        ).fetchall()
    return outcome, rejected, held


@pytest.mark.usefixtures("initialised")
def test_workers_import_what_the_importing_process_alone_imports(
    run: Run, monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    alone = _import(run, monkeypatch, workdir, 0)
    together = _import(run, monkeypatch, workdir, 3)
    assert together == alone
    outcome, rejected, held = together
    assert (outcome["rows"], outcome["rejected"], outcome["merged"]) == (ROWS, 5, 2)
    assert outcome["imported"] == ROWS - 5 - 2
    # The rejects in the file's order, each with its reasons, whichever worker found it.
    assert [row[0] for row in rejected[1:]] == [customer(n)[0] for n in (3, 77, 120, 150, 299)]
    assert rejected[1][-1] == "row 5: Personnummer: personnummer has a wrong check digit"
    # Person 10 holds the e-mail addresses of their first row and of the two later ones.
    (merged,) = [contacts for _, _, contacts in held if "kund10@" in str(contacts)]
    assert sorted(str(merged).split()) == [
        "+46700000010",
        "kund10@example.se",
        "ny200@example.se",
        "ny260@example.se",
    ]
    assert len(held) == ROWS - 5 - 2
    assert not multiprocessing.active_children()


def _rows(count: int) -> list[SourceRow]:
    return [SourceRow(n + 2, list(customer(n))) for n in range(count)]


def test_batches_come_back_in_order_with_their_cells(tmp_path: Path) -> None:
    plan, _ = load_mapping(write_mapping(tmp_path / "mapping.yaml"))
    rows = _rows(250)
    batches = [rows[start : start + 25] for start in range(0, len(rows), 25)]
    seen = []
    for batch, results in validated(
        iter(batches), mapping=plan, header=HEADER, limits=ImportLimits(), workers=2
    ):
        assert len(results) == len(batch)
        for row, result in zip(batch, results, strict=True):
            assert isinstance(result, Candidate)
            assert result.row == row.number
            assert result.raw is row.cells  # the importing process's own cells
        seen.append(batch[0].number)
    assert seen == [batch[0].number for batch in batches]
    assert not multiprocessing.active_children()


def test_a_consumer_that_stops_early_leaves_no_worker(tmp_path: Path) -> None:
    plan, _ = load_mapping(write_mapping(tmp_path / "mapping.yaml"))
    rows = _rows(400)
    batches = iter([rows[start : start + 20] for start in range(0, len(rows), 20)])
    stream = validated(batches, mapping=plan, header=HEADER, limits=ImportLimits(), workers=2)
    next(stream)
    next(stream)  # from a worker
    stream.close()
    assert not multiprocessing.active_children()
    # Bounded: the workers were handed a few batches ahead, never the whole file.
    assert len(list(batches)) >= 20 - 2 - 3


def test_a_single_batch_starts_no_worker(tmp_path: Path) -> None:
    plan, _ = load_mapping(write_mapping(tmp_path / "mapping.yaml"))
    stream = validated(
        iter([_rows(30)]), mapping=plan, header=HEADER, limits=ImportLimits(), workers=4
    )
    _, results = next(stream)
    assert len(results) == 30
    assert not multiprocessing.active_children()
    assert next(stream, None) is None


def test_the_worker_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATASKYDD_IMPORT_WORKERS", "3")
    assert ImportLimits().worker_count() == 3
    monkeypatch.setenv("DATASKYDD_IMPORT_WORKERS", "0")
    assert ImportLimits().worker_count() == 0
    monkeypatch.delenv("DATASKYDD_IMPORT_WORKERS")
    assert ImportLimits().worker_count() == len(os.sched_getaffinity(0)) - 1
    monkeypatch.setenv("DATASKYDD_IMPORT_WORKERS", "-1")
    with pytest.raises(ValueError, match="workers"):
        ImportLimits()


def test_a_lost_worker_is_one_clear_error(tmp_path: Path) -> None:
    plan, _ = load_mapping(write_mapping(tmp_path / "mapping.yaml"))
    rows = _rows(200)
    batches = iter([rows[start : start + 20] for start in range(0, len(rows), 20)])
    stream = validated(batches, mapping=plan, header=HEADER, limits=ImportLimits(), workers=1)
    next(stream)  # validated here while the worker starts
    for child in multiprocessing.active_children():
        os.kill(child.pid or 0, signal.SIGKILL)
    with pytest.raises(WorkerLost, match="ended unexpectedly"):
        for _ in stream:
            pass
    assert not multiprocessing.active_children()
