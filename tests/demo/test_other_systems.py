"""Demo data for the company's other systems, generated from the data map alone
(demo/other_systems.py): the bookshop's web shop on PostgreSQL, MariaDB and SQLite.

Every row written must be reachable from a register subject through the map (what an extract
or an erasure walks), the same seed must give the same rows, a second run must be idempotent
per customer, and a system that cannot be reached is reported, never raised.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from dataskydd.config import Settings
from dataskydd.datamap import external
from dataskydd.datamap.connections import url_variable
from dataskydd.datamap.entries import DataMap, SystemMap
from dataskydd.datamap.identifiers import subject_identifiers
from dataskydd.demo import other_systems
from dataskydd.demo.other_systems import OtherSystemsSummary, fill_other_systems
from dataskydd.errors import InvalidInput
from dataskydd.register import service as register_service
from tests import company_schemas
from tests.conftest import REPO
from tests.external_databases import KINDS, external_database

BOKHANDEL = REPO / "examples" / "bokhandel"
REFERENCE = date(2026, 3, 1)
SHOP_TABLES = ("shop_customer", "shop_order", "shop_order_line", "fraud_signal")


@pytest.fixture
def policy_file() -> Path:
    return BOKHANDEL / "policy.yaml"


@pytest.fixture(params=KINDS)
def shop(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The web shop's tables with its catalogue of books, on each kind of server, as the
    installed map's `webbutik` system."""
    with external_database(request.param, tmp_path) as url:
        company_schemas.create("webbutik", url)
        monkeypatch.setenv(url_variable("webbutik"), url)
        yield url


def customers(session: Session, count: int, *, start: int = 1) -> list[int]:
    ids = []
    for number in range(start, start + count):
        phones = [f"+4670{number:07d}"] if number % 3 else []  # some have no phone
        subject = register_service.create_subject(
            session,
            actor="test",
            data={
                "given_name": f"Kund{number}",
                "family_name": "Bok",
                "emails": [f"kund{number}@example.se"],
                "phones": phones,
            },
        )
        session.flush()
        ids.append(subject.id)
    return ids


def fill(session: Session, data_map: DataMap, *, seed: int = 1) -> OtherSystemsSummary:
    return fill_other_systems(
        session, data_map, settings=Settings(), seed=seed, share=1.0, reference_date=REFERENCE
    )


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: int(
                    connection.scalar(
                        select(func.count()).select_from(company_schemas.WEBBUTIK.tables[name])
                    )
                    or 0
                )
                for name in SHOP_TABLES
            }
    finally:
        engine.dispose()


def all_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        select(company_schemas.WEBBUTIK.tables[name]).order_by("id")
                    )
                ]
                for name in SHOP_TABLES
            }
    finally:
        engine.dispose()


def webbutik(data_map: DataMap) -> SystemMap:
    return data_map.system("webbutik")


def test_every_mapped_table_gets_rows_and_every_row_reaches_its_customer(
    session: Session, data_map: DataMap, shop: str
) -> None:
    subjects = customers(session, 6)
    summary = fill(session, data_map)
    assert summary.skipped == {}
    written = summary["webbutik"]
    counts = table_counts(shop)
    assert written == counts
    assert all(counts[name] > 0 for name in SHOP_TABLES), counts
    # Summed over the customers, the rows the map finds for each are every row there is.
    system = webbutik(data_map)
    reached = dict.fromkeys(SHOP_TABLES, 0)
    for subject_id in subjects:
        identifiers = subject_identifiers(session, subject_id)
        for entry in system.tables:
            reached[entry.table] += external.count_rows(system, shop, entry, identifiers)
        by_category = external.count_by_category(system, shop, identifiers)
        # Every customer has an account in the shop, found by e-mail or customer number.
        assert by_category["kontaktuppgifter"]["shop_customer"] == 1
    assert reached == counts


def test_the_same_seed_writes_the_same_rows(
    session: Session, data_map: DataMap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers(session, 5)
    rows = []
    for directory in ("a", "b"):
        (tmp_path / directory).mkdir()
        with external_database("sqlite", tmp_path / directory) as url:
            company_schemas.create("webbutik", url)
            monkeypatch.setenv(url_variable("webbutik"), url)
            fill(session, data_map, seed=4)
            rows.append(all_rows(url))
    assert rows[0] == rows[1]
    assert rows[0]["shop_order"]


def test_a_second_run_adds_only_new_customers(
    session: Session, data_map: DataMap, shop: str
) -> None:
    """Chosen behaviour: idempotent per customer. A customer whose identifier the shop's
    matched columns already hold gets no more rows; a new register customer does."""
    customers(session, 4)
    first = fill(session, data_map)
    before = table_counts(shop)
    again = fill(session, data_map)
    assert again["webbutik"] == dict.fromkeys(SHOP_TABLES, 0)
    assert table_counts(shop) == before
    (newcomer,) = customers(session, 1, start=50)
    third = fill(session, data_map, seed=9)
    assert third["webbutik"]["shop_customer"] == 1
    system = webbutik(data_map)
    identifiers = subject_identifiers(session, newcomer)
    added = {
        entry.table: external.count_rows(system, shop, entry, identifiers)
        for entry in system.tables
    }
    assert added == third["webbutik"]
    assert first["webbutik"]["shop_customer"] == 4


def test_a_unique_order_number_holds_across_runs(
    session: Session, data_map: DataMap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schema of examples/bokhandel/webbutik.sql declares order_number UNIQUE on the
    column (SQLite keeps it as an automatic index, which SQLAlchemy does not reflect)."""
    path = tmp_path / "webbutik.db"
    with closing(sqlite3.connect(path)) as raw:
        raw.executescript((BOKHANDEL / "webbutik.sql").read_text(encoding="utf-8"))
    url = f"sqlite:///{path}"
    monkeypatch.setenv(url_variable("webbutik"), url)
    customers(session, 4)
    assert fill(session, data_map).skipped == {}
    customers(session, 4, start=20)
    second = fill(session, data_map, seed=2)
    assert second.skipped == {}
    assert second["webbutik"]["shop_order"] > 0
    with closing(sqlite3.connect(path)) as raw:
        orders, numbers = raw.execute(
            "SELECT count(*), count(DISTINCT order_number) FROM shop_order"
        ).fetchone()
        lines, books = raw.execute(
            "SELECT count(*), count(product_id) FROM shop_order_line"
        ).fetchone()
    assert orders == numbers
    assert lines == books  # every line names a book of the catalogue


def test_an_empty_catalogue_leaves_the_reference_empty(
    session: Session, data_map: DataMap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'webbutik.db'}"
    engine = create_engine(url)
    company_schemas.WEBBUTIK.create_all(engine)  # no books
    engine.dispose()
    monkeypatch.setenv(url_variable("webbutik"), url)
    customers(session, 3)
    summary = fill(session, data_map)
    assert summary["webbutik"]["shop_order_line"] > 0
    with closing(sqlite3.connect(tmp_path / "webbutik.db")) as raw:
        assert raw.execute("SELECT count(product_id) FROM shop_order_line").fetchone() == (0,)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://dataskydd@127.0.0.1:1/webbutik", "could not be"),
        ("sqlite:///{tmp}/absent.db", "SQLite file not found: absent.db"),
        (None, url_variable("webbutik")),
    ],
)
def test_a_system_that_cannot_be_reached_is_reported(
    session: Session,
    data_map: DataMap,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str | None,
    reason: str,
) -> None:
    if url is None:
        monkeypatch.delenv(url_variable("webbutik"), raising=False)
    else:
        monkeypatch.setenv(url_variable("webbutik"), url.format(tmp=tmp_path))
    customers(session, 2)
    summary = fill(session, data_map)
    assert summary["webbutik"] == {}
    assert reason in summary.skipped["webbutik"]
    assert "127.0.0.1" not in summary.skipped["webbutik"]  # no URL in the note
    assert not (tmp_path / "absent.db").exists()


def test_tables_missing_from_the_system_are_reported(
    session: Session, data_map: DataMap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    monkeypatch.setenv(url_variable("webbutik"), f"sqlite:///{path}")
    customers(session, 1)
    summary = fill(session, data_map)
    assert "has no table" in summary.skipped["webbutik"]


def test_the_bulk_read_of_identifiers_is_what_the_map_matches_by(session: Session) -> None:
    """other_systems reads identifiers a chunk at a time; they must be exactly those
    `subject_identifiers` gives, which the registerutdrag and erasure match by."""
    subjects = customers(session, 4)
    bulk = other_systems._identifiers(session, subjects)
    assert bulk == {s: subject_identifiers(session, s) for s in subjects}


def test_share_is_checked(session: Session, data_map: DataMap) -> None:
    with pytest.raises(InvalidInput):
        fill_other_systems(session, data_map, settings=Settings(), seed=1, share=0)
