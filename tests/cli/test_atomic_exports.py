"""Every file the CLI writes with --out appears whole or not at all, and a failure is one clear
line with a non-zero exit code, never a traceback (issue 9). On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from dataskydd import runtime
from dataskydd.cli._context import cli_transaction
from dataskydd.config import get_settings
from dataskydd.db.session import make_engine
from dataskydd.register import service
from dataskydd.subject_requests import extract_pdf
from tests.cli.conftest import Run
from tests.conftest import POSTGRES_URL, unavailable

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, workdir: Path) -> Iterator[str]:
    """The workdir's database: its SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield get_settings().database_url
        return
    schema = f"cli_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        admin.dispose()
        unavailable("PostgreSQL at " + POSTGRES_URL, error)
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATASKYDD_DATABASE_URL", url)
    get_settings.cache_clear()
    runtime.engine_for.cache_clear()
    try:
        yield url
    finally:
        runtime.engine_for(url).dispose()
        runtime.engine_for.cache_clear()
        monkeypatch.undo()
        get_settings.cache_clear()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def ready(database: str, run: Run) -> Run:
    result = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
    assert result.exit_code == 0, result.output
    return run


def add_customer() -> int:
    with cli_transaction() as session:
        subject = service.create_subject(
            session,
            actor="test",
            data={"given_name": "Nils", "family_name": "Holm", "emails": ["nils@example.se"]},
        )
        return subject.id


def assert_clean_failure(result: Any, code: int | None = None) -> None:
    assert result.exit_code != 0, result.output
    if code is not None:
        assert result.exit_code == code, result.output
    assert "error:" in result.output
    assert "Traceback" not in result.output


def left_over(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob("*"))


class TestSubjectExport:
    def test_an_unknown_subject_leaves_nothing(self, ready: Run, workdir: Path) -> None:
        result = ready("subject", "export", "99999", "--out", "x")
        assert_clean_failure(result, 3)
        assert not (workdir / "x").exists()
        result = ready("subject", "export", "99999", "--out", "a/b/c")
        assert_clean_failure(result, 3)
        assert not (workdir / "a").exists()

    def test_a_failure_midway_leaves_nothing_not_even_the_old_files(
        self, ready: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        subject_id = add_customer()
        out = workdir / "utdrag"
        assert ready("subject", "export", str(subject_id), "--out", str(out)).exit_code == 0
        before = (out / "registerutdrag.json").read_bytes()

        def broken_pdf(*_args: object, **_kwargs: object) -> None:
            raise LookupError("category 'x' of subject Nils Holm")

        monkeypatch.setattr(extract_pdf, "write_extract_pdf", broken_pdf)
        result = ready("subject", "export", str(subject_id), "--out", str(out))
        assert_clean_failure(result, 1)
        assert "LookupError" in result.output
        assert "Nils" not in result.output
        # The earlier, complete export is untouched; no partial file or folder is left.
        assert left_over(out) == ["registerutdrag.json", "registerutdrag.pdf"]
        assert (out / "registerutdrag.json").read_bytes() == before
        json.loads(before)

    def test_a_complete_export_replaces_the_files(self, ready: Run, workdir: Path) -> None:
        subject_id = add_customer()
        for _ in range(2):
            result = ready("subject", "export", str(subject_id), "--out", "utdrag")
            assert result.exit_code == 0, result.output
        assert left_over(workdir / "utdrag") == ["registerutdrag.json", "registerutdrag.pdf"]
        document = json.loads((workdir / "utdrag" / "registerutdrag.json").read_text())
        assert document["subject"]["name"] == "Nils Holm"


class TestPolicyOutput:
    @pytest.mark.parametrize("command", [["notice"], ["ropa", "--format", "html"]])
    def test_written_whole(self, ready: Run, workdir: Path, command: list[str]) -> None:
        result = ready("policy", *command, "--out", "out.html")
        assert result.exit_code == 0, result.output
        assert (workdir / "out.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
        assert left_over(workdir / ".") == sorted(
            [*(p.name for p in workdir.iterdir() if p.name != "out.html"), "out.html"]
        )

    def test_an_unwritable_target_is_one_line(self, ready: Run, workdir: Path) -> None:
        before = left_over(workdir)
        assert_clean_failure(ready("policy", "notice", "--out", "missing/dir/notice.html"), 1)
        (workdir / "a-folder").mkdir()
        assert_clean_failure(ready("policy", "ropa", "--out", "a-folder"), 1)
        assert left_over(workdir) == sorted([*before, "a-folder"])

    def test_a_failure_midway_keeps_the_old_file(
        self, ready: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        target = workdir / "notice.html"
        target.write_text("the previous notice", encoding="utf-8")

        def full_disk(self: Path, *_args: object, **_kwargs: object) -> int:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(Path, "write_text", full_disk)
        result = ready("policy", "notice", "--out", str(target))
        monkeypatch.undo()
        assert_clean_failure(result, 1)
        assert "No space left on device" in result.output
        assert target.read_text(encoding="utf-8") == "the previous notice"
        assert [p.name for p in workdir.iterdir() if p.name.startswith(".notice")] == []


class TestAuditCheckpointOutput:
    def test_an_unwritable_checkpoint_file_is_one_line(self, ready: Run, workdir: Path) -> None:
        assert_clean_failure(ready("audit", "checkpoint", "--out", "missing/checkpoints.jsonl"))
        (workdir / "a-folder").mkdir()
        assert_clean_failure(ready("audit", "checkpoint", "--out", "a-folder"))
        assert not (workdir / "missing").exists()
