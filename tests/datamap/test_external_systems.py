"""Reads and erasure in another system of the company (datamap/external.py), on the real
PostgreSQL, MariaDB and SQLite servers: a web shop whose customers are the register's
subjects, found by e-mail, phone, personnummer and customer number however the shop spelled
them.

Subject A's values are markers containing "alfa" (or numbers and dates of A's own); B's
contain "bravo". Every mapped column of every table holds one, so a read that misses a column
or a link, or an erasure that leaves a value behind, shows up by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from dataskydd.datamap import connections, external
from dataskydd.datamap.entries import OnErase, SystemMap
from dataskydd.datamap.identifiers import SubjectIdentifiers, spellings, subject_identifiers
from dataskydd.datamap.map_files import DataMapError, parse_map
from dataskydd.datamap.map_schema import Identifier
from dataskydd.register import service as register_service
from tests.external_databases import KINDS, external_database

ALL_CATEGORIES = frozenset({"contact", "identity", "national_id", "purchases", "support"})

# Three ways to the customer row, as orders and their lines take them through their hops.
_BY = (("email", "email"), ("phone", "phone"), ("personnummer", "personnummer"))


def _links(via: str) -> str:
    return "".join(
        f"      - {{via: [{via}], match: {{column: {column}, identifier: {kind}}}}}\n"
        for column, kind in _BY
    )


ORDER_HOPS = "{column: customer_id, table: customers}"
LINE_HOPS = "{column: order_id, table: orders}, " + ORDER_HOPS

MAP_YAML = f"""\
system: webshop
title: {{sv: Webbutiken, en: The web shop}}
tables:
  customers:
    links:
      - {{match: {{column: email, identifier: email}}}}
      - {{match: {{column: phone, identifier: phone}}}}
      - {{match: {{column: personnummer, identifier: personnummer}}}}
    columns: {{email: contact, phone: contact, personnummer: national_id, name: identity}}
    technical: [id, created_at]
    on_erase: blank
    time_column: created_at
  orders:
    links:
{_links(ORDER_HOPS)}\
    columns: {{delivery_address: purchases, note: purchases}}
    technical: [id, customer_id, placed_at]
    time_column: placed_at
  order_lines:
    links:
{_links(LINE_HOPS)}\
    columns: {{product_id: purchases, quantity: purchases, gift_message: purchases}}
    technical: [id, order_id]
    references: {{product_id: {{table: products, column: name}}}}
  support_tickets:
    links:
      - {{match: {{column: email, identifier: email}}}}
    columns:
      email: contact
      body: support
      rating: support
      opened_on: support
      resolved: support
    technical: [id, created_at]
    on_erase: anonymise
    time_column: created_at
  newsletter:
    links:
      - {{match: {{column: phone, identifier: phone}}}}
    columns: {{phone: contact, topics: contact}}
    technical: [id]
  loyalty_cards:
    links:
      - {{match: {{column: customer_number, identifier: customer_number}}}}
    columns: {{card_holder: identity, points: purchases}}
    technical: [id, customer_number]
unmapped:
  products: the product catalogue; describes products, not people
"""


def _schema() -> MetaData:
    metadata = MetaData()
    Table("products", metadata, Column("id", Integer, primary_key=True), Column("name", String(50)))
    Table(
        "customers",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(200)),
        Column("phone", String(40)),
        Column("personnummer", String(20)),
        Column("name", String(200)),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_id", ForeignKey("customers.id"), nullable=False),
        Column("placed_at", DateTime, nullable=False),
        Column("delivery_address", String(200)),
        Column("note", Text),
    )
    Table(
        "order_lines",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("order_id", ForeignKey("orders.id"), nullable=False),
        Column("product_id", ForeignKey("products.id")),
        Column("quantity", Integer),
        Column("gift_message", String(200)),
    )
    Table(
        "support_tickets",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("rating", Integer, nullable=False),
        Column("opened_on", Date, nullable=False),
        Column("resolved", Boolean, nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "newsletter",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("phone", String(40), nullable=False),
        Column("topics", String(200)),
    )
    Table(
        "loyalty_cards",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_number", Integer, nullable=False),
        Column("card_holder", String(200)),
        Column("points", Integer, nullable=False),
    )
    return metadata


A_PNR = "19121212-1212"  # born 1912: also written with '+' in ten digits
B_PNR = "19850709-9805"
A_PHONE = "+46701234567"
B_PHONE = "+46709876543"


@dataclass
class Shop:
    url: str
    engine: Engine  # for the test's own writes and checks, outside the code under test
    system: SystemMap
    a: SubjectIdentifiers
    b: SubjectIdentifiers
    rows: dict[str, dict[str, list[dict[str, Any]]]]  # subject → table → mapped columns


def _fill(
    engine: Engine, system: SystemMap, a_id: int, b_id: int
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Writes both subjects' rows; returns them as iter_rows should show them."""
    tables = _schema().tables
    shown: dict[str, dict[str, list[dict[str, Any]]]] = {"a": {}, "b": {}}

    def add(who: str, table: str, row: dict[str, Any], **view: Any) -> int:
        with engine.begin() as connection:
            inserted = connection.execute(insert(tables[table]).values(**row))
            key = inserted.inserted_primary_key
        assert key is not None
        mapped = {c: row.get(c) for c in system.by_table[table].columns} | view
        shown[who].setdefault(table, []).append(mapped)
        return int(key[0])

    with engine.begin() as connection:
        connection.execute(
            insert(tables["products"]), [{"id": 1, "name": "Kaffe"}, {"id": 2, "name": "Te"}]
        )
    # A: one customer row found by the e-mail (spelled in mixed case), one by the
    # personnummer (with a hyphen) and the phone (international format); B spelled the way
    # the register does, or the personnummer in ten digits.
    a1 = add(
        "a",
        "customers",
        {
            "email": "Anna.Alfa@Example.se",
            "name": "alfa-name-1",
            "created_at": datetime(2020, 1, 1),
        },
    )
    a2 = add(
        "a",
        "customers",
        {
            "email": "alfa-old-address@example.org",
            "phone": "+46 70 123 45 67",
            "personnummer": A_PNR,
            "name": "alfa-name-2",
            "created_at": datetime(2021, 1, 1),
        },
    )
    b1 = add(
        "b",
        "customers",
        {
            "email": "bertil.bravo@example.se",
            "phone": B_PHONE,
            "personnummer": "8507099805",
            "name": "bravo-name-1",
            "created_at": datetime(2020, 6, 1),
        },
    )
    orders = {}
    for who, customer, number in (("a", a1, 1), ("a", a2, 2), ("b", b1, 1)):
        marker = "alfa" if who == "a" else "bravo"
        orders[(who, number)] = add(
            who,
            "orders",
            {
                "customer_id": customer,
                "placed_at": datetime(2022, 1, number),
                "delivery_address": f"{marker}-address-{number}",
                "note": f"{marker}-note-{number}",
            },
        )
    for (who, number), product, quantity in (
        (("a", 1), 1, 7001),
        (("a", 1), 1, 7002),
        (("a", 2), 1, 7003),
        (("b", 1), 2, 8001),
    ):
        marker = "alfa" if who == "a" else "bravo"
        add(
            who,
            "order_lines",
            {
                "order_id": orders[(who, number)],
                "product_id": product,
                "quantity": quantity,
                "gift_message": f"{marker}-gift-{quantity}",
            },
            product_id="Kaffe" if product == 1 else "Te",
        )
    add(
        "a",
        "support_tickets",
        {
            "email": "ANNA.ALFA@EXAMPLE.SE",
            "body": "alfa-body",
            "rating": 4111,
            "opened_on": date(2001, 1, 1),
            "resolved": True,
            "created_at": datetime(2023, 1, 1),
        },
    )
    add(
        "b",
        "support_tickets",
        {
            "email": "Bertil.Bravo@example.se",
            "body": "bravo-body",
            "rating": 4222,
            "opened_on": date(2002, 2, 2),
            "resolved": True,
            "created_at": datetime(2023, 1, 1),
        },
    )
    add("a", "newsletter", {"phone": "070-123 45 67", "topics": "alfa-topics"})
    add("b", "newsletter", {"phone": B_PHONE, "topics": "bravo-topics"})
    add(
        "a",
        "loyalty_cards",
        {"customer_number": a_id, "card_holder": "alfa-holder", "points": 5111},
    )
    add(
        "b",
        "loyalty_cards",
        {"customer_number": b_id, "card_holder": "bravo-holder", "points": 5222},
    )
    return shown


@pytest.fixture(params=KINDS)
def shop(request: pytest.FixtureRequest, session: Session, tmp_path: Path) -> Iterator[Shop]:
    a = register_service.create_subject(
        session,
        actor="test",
        data={
            "given_name": "Anna",
            "family_name": "Alfa",
            "personnummer": A_PNR,
            "emails": ["anna.alfa@example.se"],
            "phones": [A_PHONE],
        },
    )
    b = register_service.create_subject(
        session,
        actor="test",
        data={
            "given_name": "Bertil",
            "family_name": "Bravo",
            "personnummer": B_PNR,
            "emails": ["bertil.bravo@example.se"],
            "phones": [B_PHONE],
        },
    )
    system = parse_map(MAP_YAML, "webshop.yaml")
    with external_database(request.param, tmp_path) as url:
        engine = create_engine(url)
        try:
            _schema().create_all(engine)
            rows = _fill(engine, system, a.id, b.id)
            yield Shop(
                url,
                engine,
                system,
                subject_identifiers(session, a.id),
                subject_identifiers(session, b.id),
                rows,
            )
        finally:
            engine.dispose()
            for read_only in (True, False):
                connections.engine_for(url, read_only).dispose()


def _read(shop: Shop, identifiers: SubjectIdentifiers) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in shop.system.tables:
        rows = [
            {column: value for column, value in row.items() if column != entry.key}
            for row in external.iter_rows(shop.system, shop.url, entry, identifiers)
        ]
        if rows:
            found[entry.table] = rows
    return found


def _comparable(
    rows: dict[str, list[dict[str, Any]]],
) -> dict[str, list[tuple[tuple[str, Any], ...]]]:
    # MariaDB reads a BOOLEAN back as 1, which equals True; sorted, since only A's customers
    # are written in time order.
    return {
        table: sorted(
            tuple(sorted((c, int(v) if isinstance(v, bool) else v) for c, v in row.items()))
            for row in table_rows
        )
        for table, table_rows in rows.items()
    }


def _all_values(engine: Engine) -> Iterator[tuple[str, str, Any]]:
    """Every value of every table but the catalogue, read with the column types (SQLite
    keeps dates as text)."""
    with engine.connect() as connection:
        for table in _schema().sorted_tables:
            if table.name == "products":
                continue
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    yield table.name, column, value


def test_subject_identifiers_read_the_register(shop: Shop) -> None:
    assert shop.a.email == ("anna.alfa@example.se",)
    assert shop.a.phone == (A_PHONE,)
    assert shop.a.personnummer == ("191212121212",)
    assert shop.a.organisationsnummer == ()
    assert shop.a.customer_number[0].isdigit()
    assert shop.a.customer_number != shop.b.customer_number


def test_reads_find_every_value_of_the_subject_and_no_other(shop: Shop) -> None:
    assert _comparable(_read(shop, shop.a)) == _comparable(shop.rows["a"])
    assert _comparable(_read(shop, shop.b)) == _comparable(shop.rows["b"])
    # Ordered by the time column: A's older customer row first.
    customers = shop.system.by_table["customers"]
    names = [row["name"] for row in external.iter_rows(shop.system, shop.url, customers, shop.a)]
    assert names == ["alfa-name-1", "alfa-name-2"]
    counts = external.count_by_category(shop.system, shop.url, shop.a)
    assert counts["purchases"] == {"orders": 2, "order_lines": 3, "loyalty_cards": 1}
    assert counts["contact"] == {"customers": 2, "support_tickets": 1, "newsletter": 1}
    assert counts["national_id"] == {"customers": 1}
    lines = shop.system.by_table["order_lines"]
    assert external.count_rows(shop.system, shop.url, lines, shop.a) == 3


def test_a_subject_without_identifiers_matches_nothing(shop: Shop) -> None:
    nobody = SubjectIdentifiers()
    for entry in shop.system.tables:
        assert list(external.iter_rows(shop.system, shop.url, entry, nobody)) == []
    # Only the e-mail known: the links by phone and personnummer match nothing, never all.
    only_email = SubjectIdentifiers(email=shop.a.email)
    customers = shop.system.by_table["customers"]
    rows = list(external.iter_rows(shop.system, shop.url, customers, only_email, ["name"]))
    assert [row["name"] for row in rows] == ["alfa-name-1"]


def test_erase_leaves_nothing_of_the_subject_and_all_of_the_other(shop: Shop) -> None:
    b_before = _comparable(_read(shop, shop.b))

    receipt = external.erase(shop.system, shop.url, ALL_CATEGORIES, shop.a)

    by_table = {t.table: t for t in receipt.tables}
    assert {t: (r.action, r.found, r.deleted, r.changed) for t, r in by_table.items()} == {
        "order_lines": (OnErase.DELETE, 3, 3, 0),
        "orders": (OnErase.DELETE, 2, 2, 0),
        "customers": (OnErase.BLANK, 2, 0, 2),
        "support_tickets": (OnErase.ANONYMISE, 1, 0, 1),
        "newsletter": (OnErase.DELETE, 1, 1, 0),
        "loyalty_cards": (OnErase.DELETE, 1, 1, 0),
    }
    order = [t.table for t in receipt.tables]
    assert order.index("order_lines") < order.index("orders") < order.index("customers")
    assert receipt.as_dict()["system"] == "webshop"

    a_numbers = {7001, 7002, 7003, 4111, 5111, date(2001, 1, 1)}
    a_digits = ("121212", "1234567")
    for table, column, value in _all_values(shop.engine):
        assert value not in a_numbers or column in ("id", "customer_id", "order_id"), (
            table,
            column,
        )
        if isinstance(value, str):
            assert "alfa" not in value.lower(), (table, column)
            digits = "".join(ch for ch in value if ch.isdigit())
            assert not any(part in digits for part in a_digits), (table, column)
    assert _read(shop, shop.a) == {}
    assert _comparable(_read(shop, shop.b)) == b_before

    tickets = _schema().tables["support_tickets"]
    with shop.engine.connect() as connection:
        ticket = connection.execute(
            select(
                tickets.c.email,
                tickets.c.body,
                tickets.c.rating,
                tickets.c.opened_on,
                tickets.c.resolved,
            ).where(tickets.c.body == "")
        ).one()
        customers = connection.execute(
            text("SELECT email, phone, personnummer, name FROM customers WHERE name IS NULL")
        ).all()
    assert tuple(ticket) == ("", "", 0, date(1970, 1, 1), False)
    assert [tuple(row) for row in customers] == [(None, None, None, None)] * 2


def test_kept_categories_stay_untouched(shop: Shop) -> None:
    receipt = external.erase(shop.system, shop.url, ALL_CATEGORIES - {"purchases"}, shop.a)

    tables = {t.table: t for t in receipt.tables}
    assert "orders" not in tables
    assert "order_lines" not in tables
    # The loyalty card holds kept points: the row stays, its holder's name goes.
    assert (tables["loyalty_cards"].action, tables["loyalty_cards"].changed) == (
        OnErase.ANONYMISE,
        1,
    )
    with shop.engine.connect() as connection:
        notes = connection.scalars(text("SELECT note FROM orders ORDER BY id")).all()
        card = connection.execute(
            text("SELECT card_holder, points FROM loyalty_cards WHERE points = 5111")
        ).one()
    assert notes == ["alfa-note-1", "alfa-note-2", "bravo-note-1"]
    assert tuple(card) == (None, 5111)


def test_a_failed_erasure_changes_nothing(shop: Shop) -> None:
    # The newsletter table vanishes after the map was checked: its step fails after the
    # customers were blanked and the ticket anonymised, and those changes are rolled back.
    before = _comparable(_read(shop, shop.a))
    # Reflected (and so checked) by the engine erasure writes with, while it was there.
    external.reflect(shop.system, connections.engine_for(shop.url, False))
    with shop.engine.begin() as connection:
        connection.execute(text("DROP TABLE newsletter"))

    with pytest.raises(connections.SystemUnavailable, match="nothing was changed") as raised:
        external.erase(shop.system, shop.url, ALL_CATEGORIES, shop.a)

    assert "alfa" not in str(raised.value).lower()
    kept = [entry for entry in shop.system.tables if entry.table != "newsletter"]
    after = {
        entry.table: [
            {c: v for c, v in row.items() if c != entry.key}
            for row in external.iter_rows(shop.system, shop.url, entry, shop.a)
        ]
        for entry in kept
    }
    assert _comparable(after) == {t: rows for t, rows in before.items() if t != "newsletter"}


def test_a_parent_deleted_under_kept_children_rolls_back(shop: Shop) -> None:
    # Orders (kept) refer to customers: deleting the customers breaks the foreign key (on
    # SQLite too: connections.py turns its checks on), after the tables before them in the
    # map's order were erased.
    mapped = parse_map(MAP_YAML.replace("    on_erase: blank\n", ""), "webshop.yaml")
    system = dataclasses.replace(mapped, tables=tuple(reversed(mapped.tables)))
    with pytest.raises(connections.SystemUnavailable, match="IntegrityError"):
        external.erase(system, shop.url, ALL_CATEGORIES - {"purchases"}, shop.a)
    with shop.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM newsletter")) == 2
        assert connection.scalar(text("SELECT count(*) FROM customers")) == 3


def test_reads_stream(shop: Shop) -> None:
    """More rows than a batch are streamed (a server-side cursor where the server has them);
    rows that fit in one batch come in one plain statement, one round trip."""
    cursors: list[str] = []
    engine = connections.engine_for(shop.url, True)
    external.reflect(shop.system, shop.url)  # reflection's own statements before listening

    def seen(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if "order_lines" in statement:
            cursors.append(type(cursor).__name__)

    lines = shop.system.by_table["order_lines"]
    read: dict[int, list[dict[str, Any]]] = {}
    seen_by_batch: dict[int, list[str]] = {}
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for batch_size in (2, 3):
            cursors.clear()
            read[batch_size] = list(
                external.iter_rows(shop.system, shop.url, lines, shop.a, batch_size=batch_size)
            )
            seen_by_batch[batch_size] = list(cursors)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    for rows in read.values():
        assert [row["gift_message"] for row in rows] == [
            "alfa-gift-7001",
            "alfa-gift-7002",
            "alfa-gift-7003",
        ]
    # Three rows, batches of two: the first batch and one more row tell that there are more,
    # then all of them are streamed; batches of three: the first statement had them all.
    streamed = {"postgresql": "ServerCursor", "mysql": "SSCursor"}.get(engine.dialect.name)
    if streamed is None:  # SQLite reads lazily from its one statement anyway
        assert seen_by_batch == {2: ["Cursor"], 3: ["Cursor"]}
    else:
        assert seen_by_batch == {2: ["Cursor", streamed], 3: ["Cursor"]}


def test_a_readers_reads_share_one_connection_handed_back_at_the_end(shop: Shop) -> None:
    """A Reader reads a system on one connection, handed back when the reader closes; a
    failed read hands its connection back at once, the reader still open."""
    engine = connections.engine_for(shop.url, True)
    pool: Any = engine.pool  # QueuePool on every kind here
    external.reflect(shop.system, shop.url)  # reflection's own connection before counting
    checkouts: list[int] = []

    def checked_out(*_args: Any) -> None:
        checkouts.append(1)

    event.listen(pool, "checkout", checked_out)
    try:
        with external.Reader() as reader:
            found = {
                entry.table: len(list(reader.iter_rows(shop.system, shop.url, entry, shop.a)))
                for entry in shop.system.tables
            }
            kept = reader.few_rows(
                shop.system, shop.url, shop.system.by_table["order_lines"], shop.a, limit=2
            )
            assert pool.checkedout() == 1
        assert pool.checkedout() == 0
        assert len(checkouts) == 1
        assert found["order_lines"] == 3
        assert kept is None  # three rows: more than two
        with shop.engine.begin() as connection:
            connection.execute(text("DROP TABLE newsletter"))
        with external.Reader() as reader:
            customers = shop.system.by_table["customers"]
            assert list(reader.iter_rows(shop.system, shop.url, customers, shop.a))
            newsletter = shop.system.by_table["newsletter"]
            with pytest.raises(connections.SystemUnavailable):
                list(reader.iter_rows(shop.system, shop.url, newsletter, shop.a))
            assert pool.checkedout() == 0
            assert list(reader.iter_rows(shop.system, shop.url, customers, shop.a))
        assert pool.checkedout() == 0
    finally:
        event.remove(pool, "checkout", checked_out)


def test_a_table_gone_at_run_time_is_an_unavailable_system(shop: Shop) -> None:
    external.reflect(shop.system, shop.url)  # reflected and cached while it was there
    with shop.engine.begin() as connection:
        connection.execute(text("DROP TABLE newsletter"))
    newsletter = shop.system.by_table["newsletter"]
    with pytest.raises(connections.SystemUnavailable, match="'webshop' could not be reached"):
        list(external.iter_rows(shop.system, shop.url, newsletter, shop.a))


@pytest.mark.parametrize("kind", KINDS)
def test_the_map_is_checked_against_the_tables(kind: str, tmp_path: Path) -> None:
    with external_database(kind, tmp_path) as url:
        engine = create_engine(url)
        _schema().create_all(engine)
        engine.dispose()
        try:
            wrong_column = MAP_YAML.replace(
                "name: identity}", "name: identity, shoe_size: identity}"
            )
            with pytest.raises(
                DataMapError, match=r"'webshop'.*'customers' has no column 'shoe_size'"
            ):
                external.reflect(parse_map(wrong_column, "webshop.yaml"), url)
            wrong_hop = MAP_YAML.replace(
                "{column: order_id, table: orders}", "{column: order_no, table: orders}"
            )
            with pytest.raises(DataMapError, match="'order_lines' has no column 'order_no'"):
                external.reflect(parse_map(wrong_hop, "webshop.yaml"), url)
            wrong_table = MAP_YAML.replace("  newsletter:", "  nyhetsbrev:")
            with pytest.raises(DataMapError, match="'webshop' has no table 'nyhetsbrev'"):
                external.reflect(parse_map(wrong_table, "webshop.yaml"), url)
        finally:
            for read_only in (True, False):
                connections.engine_for(url, read_only).dispose()


def test_an_unreachable_system_names_no_password(tmp_path: Path) -> None:
    system = parse_map(MAP_YAML, "webshop.yaml")
    someone = SubjectIdentifiers(email=("anna.alfa@example.se",), customer_number=("1",))
    closed_port = "postgresql://shop:Hemligt-l0senord@127.0.0.1:1/shop"
    missing_file = tmp_path / "gone.db"
    for url in (closed_port, f"sqlite:///{missing_file}"):
        calls = (
            lambda url=url: external.reflect(system, url),
            lambda url=url: list(external.iter_rows(system, url, system.tables[0], someone)),
            lambda url=url: external.count_by_category(system, url, someone),
            lambda url=url: external.erase(system, url, ALL_CATEGORIES, someone),
        )
        for call in calls:
            with pytest.raises(connections.SystemUnavailable) as raised:
                call()
            message = str(raised.value)
            assert message.startswith("system 'webshop' could not be reached (")
            assert "Hemligt" not in message
            assert "127.0.0.1" not in message
            assert "alfa" not in message
    assert not missing_file.exists()  # erasure did not create an empty database


@pytest.mark.parametrize(
    ("identifier", "value", "expected"),
    [
        (Identifier.EMAIL, "Anna.Alfa@Example.SE", ("anna.alfa@example.se",)),
        (
            Identifier.PHONE,
            "+46701234567",
            ("+46701234567", "0701234567", "070-123 45 67", "+46 70 123 45 67"),
        ),
        (
            Identifier.PERSONNUMMER,
            "198507099805",
            ("198507099805", "19850709-9805", "8507099805", "850709-9805"),
        ),
        (
            Identifier.PERSONNUMMER,
            "191212121212",
            ("191212121212", "19121212-1212", "1212121212", "121212-1212", "121212+1212"),
        ),
        (
            Identifier.ORGANISATIONSNUMMER,
            "556036-0793",
            ("5560360793", "556036-0793", "165560360793", "16556036-0793"),
        ),
        (Identifier.CUSTOMER_NUMBER, "42", ("42",)),
    ],
)
def test_spellings(identifier: Identifier, value: str, expected: tuple[str, ...]) -> None:
    assert spellings(identifier, value) == expected
