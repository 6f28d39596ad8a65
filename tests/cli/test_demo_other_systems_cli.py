"""`dataskydd demo` for the bookshop (examples/bokhandel): the register's demo, then the web
shop's tables filled from the data map, and a registerutdrag that holds the shop's rows."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import Result

from dataskydd.datamap.connections import url_variable
from tests.cli.conftest import Run
from tests.conftest import REPO

BOKHANDEL = REPO / "examples" / "bokhandel"


@pytest.fixture
def policy_file() -> Path:
    return BOKHANDEL / "policy.yaml"


@pytest.fixture
def shop(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The web shop as README.md has the operator make it: `sqlite3 webbutik.db <
    webbutik.sql`, its URL in DATASKYDD_SYSTEM_WEBBUTIK_URL."""
    path = workdir / "webbutik.db"
    with closing(sqlite3.connect(path)) as raw:
        raw.executescript((BOKHANDEL / "webbutik.sql").read_text(encoding="utf-8"))
    monkeypatch.setenv(url_variable("webbutik"), f"sqlite:///{path}")
    return path


def shop_customers(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as raw:
        return [n for (n,) in raw.execute("SELECT register_number FROM shop_customer")]


def test_demo_fills_the_web_shop_and_the_extract_shows_it(
    initialised: Result, run: Run, shop: Path, workdir: Path
) -> None:
    result = run("demo", "--customers", "20", "--seed", "3", "--reference-date", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert "Other systems" in result.output
    assert "shop_order_line" in result.output
    numbers = shop_customers(shop)
    assert numbers
    exported = run("subject", "export", str(numbers[0]), "--out", str(workdir / "out"))
    assert exported.exit_code == 0, exported.output
    document = json.loads((workdir / "out" / "registerutdrag.json").read_text(encoding="utf-8"))
    shop_tables = {
        table["table"]
        for category in document["categories"]
        for table in category["tables"]
        if table["system"] == "webbutik"
    }
    assert {"shop_customer", "shop_order", "shop_order_line"} <= shop_tables


def test_no_other_systems_leaves_the_shop_alone(initialised: Result, run: Run, shop: Path) -> None:
    result = run("demo", "--customers", "5", "--seed", "3", "--no-other-systems")
    assert result.exit_code == 0, result.output
    assert "Other systems" not in result.output
    assert shop_customers(shop) == []


def test_a_shop_that_is_not_there_is_reported_and_the_register_kept(
    initialised: Result, run: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(url_variable("webbutik"), f"sqlite:///{workdir / 'absent.db'}")
    result = run("demo", "--customers", "5", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "webbutik: skipped: SQLite file not found: absent.db" in result.output
    with closing(sqlite3.connect(workdir / "dataskydd.db")) as raw:
        assert raw.execute("SELECT count(*) FROM subject").fetchone()[0] > 5
