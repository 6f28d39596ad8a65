"""`dataskydd audit verify|checkpoint`: the operator's view of a log someone tampered with."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import Result

from dataskydd.audit import checkpoint_file
from tests.cli.conftest import Run

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

PASSWORD = "Korrekt-Häst-Batteri-9"


@pytest.fixture
def checkpoints(workdir: Path) -> Path:
    return workdir / checkpoint_file.DEFAULT_NAME


@pytest.fixture
def anchored(initialised: Result, run: Run, checkpoints: Path) -> Path:
    """After init (one entry: the admin account) and an explicit checkpoint of it."""
    result = run("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    return checkpoints


def attack(workdir: Path, *statements: str) -> None:
    with sqlite3.connect(workdir / "dataskydd.db") as connection:
        connection.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        connection.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        for statement in statements:
            connection.execute(statement)


def entries(workdir: Path) -> int:
    with sqlite3.connect(workdir / "dataskydd.db") as connection:
        return int(connection.execute("SELECT count(*) FROM audit_entry").fetchone()[0])


class TestCheckpoint:
    def test_init_leaves_a_checkpoint_beside_the_key(
        self, initialised: Result, checkpoints: Path, workdir: Path
    ) -> None:
        [line] = checkpoints.read_text().splitlines()
        assert json.loads(line)["count"] == entries(workdir) >= 1

    def test_appends_a_signed_line(self, anchored: Path, run: Run) -> None:
        assert len(anchored.read_text().splitlines()) == 2
        result = run("audit", "checkpoint", "--json")
        written = json.loads(result.output)["written"]
        assert written["type"] == "dataskydd-audit-checkpoint"
        assert written["sig"] in anchored.read_text().splitlines()[-1]

    def test_to_another_file(self, initialised: Result, run: Run, workdir: Path) -> None:
        out = workdir / "for-the-dpo.jsonl"
        result = run("audit", "checkpoint", "--out", str(out))
        assert result.exit_code == 0, result.output
        assert f"Checkpoint appended to {out}" in result.output
        assert len(out.read_text().splitlines()) == 1

    def test_an_unwritable_file_is_a_configuration_error(
        self, initialised: Result, run: Run, workdir: Path
    ) -> None:
        result = run("audit", "checkpoint", "--out", str(workdir / "absent-dir" / "c.jsonl"))
        assert result.exit_code == 6
        assert "cannot append to" in result.output
        assert "No such file or directory" in result.output

    def test_refuses_a_broken_chain_and_appends_nothing(
        self, anchored: Path, run: Run, workdir: Path
    ) -> None:
        before = anchored.read_text()
        attack(workdir, "UPDATE audit_entry SET actor = 'staff:mallory' WHERE id = 1")
        result = run("audit", "checkpoint")
        assert result.exit_code == 1
        assert "broken at entry #1" in result.output
        assert anchored.read_text() == before


class TestVerify:
    def test_says_which_checkpoint_it_matched(self, anchored: Path, run: Run) -> None:
        result = run("audit", "verify")
        assert result.exit_code == 0, result.output
        assert "Audit chain intact: 1 entries, matches checkpoint of 20" in result.output
        assert " UTC (1 entries; 2 checkpoints checked)" in result.output

    def test_json(self, anchored: Path, run: Run) -> None:
        result = run("audit", "verify", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["ok"] is True
        assert report["entries"] == 1
        assert report["checkpoint"]["count"] == 1
        assert report["checkpoint_file"] == str(anchored)
        assert report["first_broken_id"] is None

    def test_warns_without_a_checkpoint(
        self, initialised: Result, run: Run, checkpoints: Path
    ) -> None:
        checkpoints.unlink()
        result = run("audit", "verify")
        assert result.exit_code == 0
        assert "No checkpoint in" in result.output
        assert "would go unnoticed" in result.output

    def test_a_missing_checkpoint_file_given_is_bad_input(
        self, initialised: Result, run: Run, workdir: Path
    ) -> None:
        result = run("audit", "verify", "--checkpoint", str(workdir / "absent.jsonl"))
        assert result.exit_code == 2
        assert "--checkpoint" in result.output

    @pytest.mark.parametrize(
        ("statements", "named"),
        [
            (["UPDATE audit_entry SET purpose = 'marketing' WHERE id = 1"], "#1"),
            (["DELETE FROM audit_entry"], "#1"),
        ],
        ids=["changed", "all-deleted"],
    )
    def test_tampering_exits_1_naming_the_entry(
        self, anchored: Path, run: Run, workdir: Path, statements: list[str], named: str
    ) -> None:
        attack(workdir, *statements)
        result = run("audit", "verify")
        assert result.exit_code == 1
        assert f"Audit chain broken at entry {named}" in result.output

    def test_deleted_newest_entries_against_an_operator_s_copy(
        self, anchored: Path, run: Run, workdir: Path
    ) -> None:
        copy = workdir / "worm-copy.jsonl"
        copy.write_bytes(anchored.read_bytes())
        attack(workdir, "DELETE FROM audit_entry WHERE id >= 1")
        anchored.unlink()  # the attacker could reach the default file, not the copy
        result = run("audit", "verify", "--checkpoint", str(copy), "--json")
        assert result.exit_code == 1
        report = json.loads(result.output)
        assert (report["ok"], report["first_broken_id"]) == (False, 1)
        assert "missing (deleted)" in report["reason"]

    def test_a_forged_checkpoint_line_exits_1(self, anchored: Path, run: Run) -> None:
        anchored.write_text(
            anchored.read_text().replace('"count":1,"last_id":1', '"count":0,"last_id":0', 1)
        )
        result = run("audit", "verify")
        assert result.exit_code == 1
        assert "Audit checkpoint rejected" in result.output
        assert "line 1: checkpoint of entry #0: signature does not match" in result.output


def test_every_cli_command_that_logged_ends_with_a_checkpoint(workdir: Path) -> None:
    """Two real processes: each one's first commit with audit entries appends a line."""
    env = {**os.environ, "COLUMNS": "200"}

    def dataskydd(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "dataskydd", *args],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr

    dataskydd("init", "--admin-password", PASSWORD)
    dataskydd("subject", "find", "nobody-by-this-name")
    counts = [
        json.loads(line)["count"]
        for line in (workdir / checkpoint_file.DEFAULT_NAME).read_text().splitlines()
    ]
    assert counts == [1, entries(workdir)]
    assert counts[1] > 1
