"""`dataskydd systems discover URL`: a proposal on stdout or in a file, a summary on stderr,
one clear line for a bad URL or an unreachable server, and never a value from the database
or the password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dataskydd.datamap.map_files import load_map_file, parse_map
from tests.cli.conftest import Run
from tests.datamap.test_discover import CUSTOMERS, Shop, fill_shop, leaked
from tests.external_databases import KINDS, external_database


@pytest.fixture(params=KINDS)
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    folder = tmp_path / "external"
    folder.mkdir()
    with external_database(request.param, folder) as url:
        yield Shop(url, fill_shop(url))


def test_discover_prints_a_map_and_a_summary(run: Run, shop: Shop) -> None:
    result = run("systems", "discover", shop.url, "--system", "shop")

    assert result.exit_code == 0, result.stderr
    system = parse_map(result.stdout, "shop.yaml")
    assert system.key == "shop"
    assert set(system.by_table) == {"customers", "orders", "order_lines", "tickets"}
    assert set(system.unmapped) == {"products", "access_log"}
    assert "6 tables read" in result.stderr
    assert f"{200 + 200 + 200 + 200 + 40 + CUSTOMERS // 3} rows sampled" in result.stderr
    assert result.stderr.rstrip().endswith(" s")
    assert not leaked(shop.personal, result.stdout, result.stderr), "a value was printed"


def test_out_writes_the_file_and_sample_rows_bounds_the_read(
    run: Run, shop: Shop, tmp_path: Path
) -> None:
    target = tmp_path / "shop.yaml"
    result = run("systems", "discover", shop.url, "--sample-rows", "5", "--out", str(target))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"Wrote {target}" in result.stderr
    assert "30 rows sampled (at most 5 per table)" in result.stderr
    system = load_map_file(target)
    assert system.key.startswith("ext_")  # the database's name when --system is not given
    assert "products" in system.unmapped
    assert not leaked(shop.personal, target.read_text(encoding="utf-8"), result.stderr)


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[-1]


def test_unreachable_server_is_one_line_without_the_password(run: Run) -> None:
    url = "postgresql://reader:Hemligt-Lösen-42@127.0.0.1:1/shop"
    result = run("systems", "discover", url)

    assert result.exit_code == 1
    line = _one_line_error(result.stderr)
    assert "cannot read postgresql+psycopg://reader:***@127.0.0.1:1/shop" in line
    assert "Hemligt" not in result.stdout + result.stderr


def test_bad_urls_and_options(run: Run, tmp_path: Path) -> None:
    bad = run("systems", "discover", "not a url")
    assert bad.exit_code == 2
    assert _one_line_error(bad.stderr) == (
        "error: url: not a database URL (e.g. postgresql://host/db)"
    )

    unsupported = run("systems", "discover", "oracle://scott:tiger@db/x")
    assert unsupported.exit_code == 2
    assert "not supported" in _one_line_error(unsupported.stderr)
    assert "tiger" not in unsupported.stderr

    missing = run("systems", "discover", f"sqlite:///{tmp_path / 'gone.db'}")
    assert missing.exit_code == 1
    assert _one_line_error(missing.stderr) == "error: SQLite file not found: gone.db"

    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("plain text, not SQLite\n" * 200, encoding="utf-8")
    garbage = run("systems", "discover", f"sqlite:///{not_a_database}")
    assert garbage.exit_code == 1
    assert "file is not a database" in _one_line_error(garbage.stderr)

    key = run("systems", "discover", f"sqlite:///{not_a_database}", "--system", "Web Shop")
    assert key.exit_code == 2
    assert _one_line_error(key.stderr).startswith("error: --system: must be lower-case")

    rows = run("systems", "discover", "sqlite:///x.db", "--sample-rows", "0")
    assert rows.exit_code == 2
    assert "Traceback" not in rows.stderr
