"""Registerutdrag across the register and three other systems, beside its raw SELECTs (≤ 3×).

    python benchmarks/bench_systems_extract.py [--register sqlite|postgresql]
        [--customers 2000] [--runs 20] [--orders 20] [--lines 3] [--checks 3]

The company is the bookshop (examples/bokhandel): its policy, the register's map and the web
shop's map, the web shop run three times as three systems of one data map (as
tests/subject_requests/test_rights_across_systems.py does): on PostgreSQL (127.0.0.1:5432,
trust), MariaDB (127.0.0.1:3306, root) and SQLite, each a throw-away database dropped
afterwards.

Set up, untimed:

* the register: `--customers` demo customers (`generate_demo`) in a fresh SQLite file or a
  throw-away PostgreSQL database; the "typical" subject is the person customer with e-mail and
  phone whose number of register rows is the median among them;
* each web shop: `--customers` shop customers with 5 orders of 3 lines each, a fraud check for
  every other one, 200 products, indexes on email, register_number, phone, customer_id and
  order_id; the typical subject has an account (found by e-mail and by customer number),
  `--orders` orders of `--lines` lines and `--checks` fraud checks in every shop.

Timed, median of `--runs` after a warm-up, in process:

* `write_extract_json(session, StringIO(), policy=..., subject_id=...)`, a new session each run;
* its floor: the same rows read through the raw drivers (sqlite3, psycopg, PyMySQL) on
  connections opened once, as a pool keeps them: the register's SELECTs as the extract issued
  them (recorded in the warm-up and replayed), and per shop and mapped table one SELECT of all
  its mapped columns with the same IN-subqueries (`lower(email) IN (...)`, the phone's
  spellings, the catalogue text of the product) and the same order;
* a second floor, "merged": the same rows with each table's links that share a hop path
  merged into one IN-subquery (`customer_id IN (SELECT id FROM shop_customer WHERE
  lower(email) IN (...) OR register_number IN (...))`), which PostgreSQL and MariaDB answer
  through the indexes instead of scanning every order and order line;
* per part: the register alone (the extract with a map of the register only) and each shop
  (the reads the extract makes there: on one `external.Reader`, each table read once for all
  its categories), each beside its own floors.

Each line's works take turns within every round, so load on a shared machine falls on the
extract and its floors alike. The default run takes under a minute.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pymysql
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.datamap import entries, external
from dataskydd.datamap.connections import engine_for, url_variable
from dataskydd.datamap.entries import DataMap, SystemMap
from dataskydd.datamap.identifiers import SubjectIdentifiers, subject_identifiers
from dataskydd.datamap.map_files import load_map_directory
from dataskydd.datamap.map_schema import Identifier
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.demo import generate_demo
from dataskydd.policy.loader import load_policy
from dataskydd.policy.schema import Policy
from dataskydd.subject_requests import extract as extract_module
from dataskydd.subject_requests import systems
from dataskydd.subject_requests.extract import write_extract_json

BOKHANDEL = Path(__file__).resolve().parent.parent / "examples" / "bokhandel"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/test"
# Fixed, benchmark-only key (the register's personnummer are encrypted with it).
BENCH_SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
SHOP_KINDS = ("postgresql", "mariadb", "sqlite")
START = datetime(2024, 1, 1, tzinfo=UTC)
PRODUCTS = 200
ORDERS_PER_CUSTOMER = 5
LINES_PER_ORDER = 3

# --- the web shop's schema (examples/bokhandel/data-map/webbutik.yaml) -------------------------

SHOP = MetaData()
Table(
    "product",
    SHOP,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("price", Numeric(10, 2), nullable=False),
)
Table(
    "shop_customer",
    SHOP,
    Column("id", Integer, primary_key=True),
    Column("email", String(200), index=True),
    Column("display_name", String(200)),
    Column("register_number", Integer, index=True),
    Column("created_at", DateTime(timezone=True)),
)
Table(
    "shop_order",
    SHOP,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("shop_customer.id"), nullable=False, index=True),
    Column("order_number", String(20), nullable=False),
    Column("ordered_at", DateTime(timezone=True), nullable=False),
    Column("delivery_name", String(200)),
    Column("delivery_street", String(200)),
    Column("delivery_postal_code", String(10)),
    Column("delivery_city", String(100)),
    Column("delivery_phone", String(30)),
    Column("status", String(20)),
)
Table(
    "shop_order_line",
    SHOP,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("shop_order.id"), nullable=False, index=True),
    Column("product_id", Integer, ForeignKey("product.id")),
    Column("quantity", Integer),
    Column("gift_message", Text),
)
FRAUD = Table(
    "fraud_signal",
    SHOP,
    Column("id", Integer, primary_key=True),
    Column("email", String(200), index=True),
    Column("phone", String(30), index=True),
    Column("signal", String(100)),
    Column("score", Integer),
    Column("assessment", Text),
    Column("checked_at", DateTime(timezone=True)),
)
Index("ix_fraud_signal_checked", FRAUD.c.checked_at)

# The floor's statements: per mapped table one SELECT of its key and every mapped column, the
# subject's rows found as the map's links find them, in the extract's order. {email},
# {number}, {phone} stand for the lists of placeholders.
_ORDER = (
    "SELECT id, ordered_at, delivery_name, delivery_street, delivery_postal_code, "
    "delivery_city, delivery_phone, status FROM shop_order WHERE "
)
_LINE = (
    "SELECT l.id, (SELECT p.title FROM product p WHERE p.id = l.product_id) AS product_id, "
    "l.quantity, l.gift_message FROM shop_order_line l WHERE "
)
_BY_EMAIL = "SELECT id FROM shop_customer WHERE lower(email) IN ({email})"
_BY_NUMBER = "SELECT id FROM shop_customer WHERE register_number IN ({number})"
FLOOR_SQL = {
    "shop_customer": (
        "SELECT id, email, display_name, created_at FROM shop_customer "
        "WHERE lower(email) IN ({email}) OR register_number IN ({number}) "
        "ORDER BY created_at, id"
    ),
    "shop_order": (
        f"{_ORDER}customer_id IN ({_BY_EMAIL}) OR customer_id IN ({_BY_NUMBER}) "
        "ORDER BY ordered_at, id"
    ),
    "shop_order_line": (
        f"{_LINE}l.order_id IN (SELECT id FROM shop_order WHERE customer_id IN ({_BY_EMAIL})) "
        f"OR l.order_id IN (SELECT id FROM shop_order WHERE customer_id IN ({_BY_NUMBER})) "
        "ORDER BY l.id"
    ),
    "fraud_signal": (
        # Qualified: SIGNAL is a reserved word in MariaDB.
        "SELECT f.id, f.email, f.phone, f.signal, f.score, f.assessment, f.checked_at "
        "FROM fraud_signal f WHERE lower(f.email) IN ({email}) OR f.phone IN ({phone}) "
        "ORDER BY f.checked_at, f.id"
    ),
}

# The same rows with the links that share a hop path merged: one IN-subquery whose innermost
# condition ORs the matches. The statements above (one IN-subquery per link, ORed) leave
# PostgreSQL and MariaDB no index path: they scan every order (line) and probe it against
# the hashed subquery results.
_WHO = (
    "SELECT id FROM shop_customer WHERE lower(email) IN ({email}) OR register_number IN ({number})"
)
MERGED_SQL = FLOOR_SQL | {
    "shop_order": f"{_ORDER}customer_id IN ({_WHO}) ORDER BY ordered_at, id",
    "shop_order_line": (
        f"{_LINE}l.order_id IN (SELECT id FROM shop_order WHERE customer_id IN ({_WHO})) "
        "ORDER BY l.id"
    ),
}

_STREETS = ("Storgatan", "Kungsgatan", "Drottninggatan", "Skolgatan", "Järnvägsgatan")
_CITIES = ("Uppsala", "Västerås", "Örebro", "Linköping", "Umeå", "Luleå", "Lund")
_STATUS = ("betald", "skickad", "levererad", "returnerad")


@dataclass(frozen=True)
class Subject:
    id: int
    email: str
    phone: str
    register_rows: int


@dataclass
class Shop:
    kind: str
    key: str
    url: str
    connection: Any = None  # the floor's raw driver connection, opened once
    statements: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    merged: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)


# --- throw-away databases ----------------------------------------------------------------------


@contextmanager
def server_database(kind: str, prefix: str) -> Iterator[str]:
    admin_url = POSTGRES_ADMIN if kind == "postgresql" else MARIADB_ADMIN
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    quote = '"' if kind == "postgresql" else "`"
    charset = "" if kind == "postgresql" else " CHARACTER SET utf8mb4"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {quote}{name}{quote}{charset}"))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()


def _conninfo(url: str) -> str:
    parsed = make_url(url)
    port = parsed.port or 5432
    return f"host={parsed.host} port={port} user={parsed.username} dbname={parsed.database}"


def raw_connect(kind: str, url: str) -> Any:
    """A raw driver connection, read-only as the extract's engines are."""
    parsed = make_url(url)
    if kind == "sqlite":
        return sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True)
    if kind == "postgresql":
        return psycopg.connect(_conninfo(url), options="-c default_transaction_read_only=on")
    connection = pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username or "root",
        database=parsed.database,
        charset="utf8mb4",
    )
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    return connection


# --- the register ------------------------------------------------------------------------------


def build_register(url: str, customers: int) -> Engine:
    engine = make_engine(url)
    upgrade_to_head(engine)
    generate_demo(engine, customers=customers, seed=1, reference_date=START.date() + timedelta(700))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return engine


_ROWS_PER_SUBJECT = " UNION ALL ".join(
    f"SELECT subject_id FROM {table}"
    for table in (
        "subject_role",
        "contact_point",
        "postal_address",
        "contract",
        "invoice",
        "correspondence",
        "support_case",
        "participation",
        "newsletter_subscription",
        "usage_event",
        "outbox_mail",
    )
)


def typical_subject(engine: Engine) -> Subject:
    """The person customer with an e-mail and a phone whose register rows (in the tables that
    refer to the subject directly) are the median among them."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.id, count(*) AS n FROM subject s "
                f"JOIN ({_ROWS_PER_SUBJECT}) r ON r.subject_id = s.id "
                "WHERE s.kind = 'person' "
                "AND EXISTS (SELECT 1 FROM subject_role sr WHERE sr.subject_id = s.id "
                "AND sr.role = 'customer') "
                "AND EXISTS (SELECT 1 FROM contact_point c WHERE c.subject_id = s.id "
                "AND c.kind = 'email') "
                "AND EXISTS (SELECT 1 FROM contact_point c WHERE c.subject_id = s.id "
                "AND c.kind = 'phone') "
                "GROUP BY s.id ORDER BY n, s.id"
            )
        ).all()
        subject_id, count = rows[len(rows) // 2]
        contacts = dict(
            connection.execute(
                text(
                    "SELECT kind, value FROM contact_point WHERE subject_id = :id ORDER BY id DESC"
                ),
                {"id": subject_id},
            ).all()
        )
    return Subject(subject_id, contacts["email"], contacts["phone"], count)


# --- the web shops -----------------------------------------------------------------------------


def _shop_rows(
    customers: int, subject: Subject, orders: int, lines: int, checks: int
) -> dict[str, list[dict[str, Any]]]:
    """Background customers with their orders and checks, then the typical subject's; the
    same rows for every shop. Ids are given, so the rows need no round trip."""
    rng = random.Random(f"shop-{customers}")
    rows: dict[str, list[dict[str, Any]]] = {
        "product": [
            {"id": i, "title": f"Bok nummer {i}", "price": 99 + i % 200}
            for i in range(1, PRODUCTS + 1)
        ],
        "shop_customer": [],
        "shop_order": [],
        "shop_order_line": [],
        "fraud_signal": [],
    }

    def account(email: str, name: str, number: int | None, at: datetime) -> int:
        customer_id = len(rows["shop_customer"]) + 1
        rows["shop_customer"].append(
            {
                "id": customer_id,
                "email": email,
                "display_name": name,
                "register_number": number,
                "created_at": at,
            }
        )
        return customer_id

    def order(customer_id: int, name: str, phone: str, at: datetime, count: int) -> None:
        order_id = len(rows["shop_order"]) + 1
        rows["shop_order"].append(
            {
                "id": order_id,
                "customer_id": customer_id,
                "order_number": f"W{order_id:08d}",
                "ordered_at": at,
                "delivery_name": name,
                "delivery_street": f"{rng.choice(_STREETS)} {rng.randrange(1, 90)}",
                "delivery_postal_code": f"{rng.randrange(10000, 99999)}",
                "delivery_city": rng.choice(_CITIES),
                "delivery_phone": phone,
                "status": rng.choice(_STATUS),
            }
        )
        for _ in range(count):
            rows["shop_order_line"].append(
                {
                    "id": len(rows["shop_order_line"]) + 1,
                    "order_id": order_id,
                    "product_id": rng.randrange(1, PRODUCTS + 1),
                    "quantity": rng.randrange(1, 4),
                    "gift_message": "Grattis på födelsedagen!" if rng.random() < 0.1 else None,
                }
            )

    def check(email: str, phone: str, at: datetime) -> None:
        rows["fraud_signal"].append(
            {
                "id": len(rows["fraud_signal"]) + 1,
                "email": email,
                "phone": phone,
                "signal": rng.choice(("ny leveransadress", "många försök", "annat land")),
                "score": rng.randrange(0, 100),
                "assessment": "Granskad, inget att anmärka.",
                "checked_at": at,
            }
        )

    for i in range(1, customers + 1):
        email = f"kund{i}@exempel.se"
        phone = f"+4673{i:07d}"
        # Customer numbers of people who are not the typical subject.
        customer_id = account(email, f"Kund {i}", 10_000_000 + i, START + timedelta(hours=i))
        for n in range(ORDERS_PER_CUSTOMER):
            at = START + timedelta(hours=i, days=30 * n)
            order(customer_id, f"Kund {i}", phone, at, LINES_PER_ORDER)
        if i % 2 == 0:
            check(email, phone, START + timedelta(hours=i))
    local, domain = subject.email.split("@")
    typed = f"{local.capitalize()}@{domain}"  # the shop keeps what the customer typed
    customer_id = account(typed, "Typisk kund", subject.id, START)
    for n in range(orders):
        order(customer_id, "Typisk kund", subject.phone, START + timedelta(days=20 * n), lines)
    for n in range(checks):
        check(subject.email, subject.phone, START + timedelta(days=90 * n))
    return rows


def build_shop(kind: str, url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    engine = create_engine(url)
    try:
        SHOP.create_all(engine)
        with engine.begin() as connection:
            for name, table in SHOP.tables.items():
                for offset in range(0, len(rows[name]), 5_000):
                    connection.execute(insert(table), rows[name][offset : offset + 5_000])
        with engine.connect() as connection:
            if kind == "mariadb":
                connection.exec_driver_sql("ANALYZE TABLE " + ", ".join(SHOP.tables)).all()
            else:
                connection.exec_driver_sql("ANALYZE")
            connection.commit()
    finally:
        engine.dispose()


def floor_statements(
    kind: str, identifiers: SubjectIdentifiers, subject: Subject, sqls: dict[str, str]
) -> list[Any]:
    """The floor's SELECTs in the driver's placeholder style, with their parameters."""
    mark = "?" if kind == "sqlite" else "%s"
    values = {
        "email": list(identifiers.spellings(Identifier.EMAIL)),
        "number": [subject.id],
        "phone": list(identifiers.spellings(Identifier.PHONE)),
    }
    statements = []
    for sql in sqls.values():
        # Each name may appear more than once: parameters in the order of the placeholders.
        parts = sql.split("{")
        rendered, parameters = parts[0], []
        for part in parts[1:]:
            name, rest = part.split("}", 1)
            parameters.extend(values[name])
            rendered += ", ".join([mark] * len(values[name])) + rest
        statements.append((rendered, tuple(parameters)))
    return statements


# --- timing ------------------------------------------------------------------------------------


def medians_ms(runs: int, *works: Callable[[], object]) -> list[float]:
    """Median ms of each work, after a warm-up; the works take turns within each round (in
    rotating order), so a busy moment on a shared machine falls on all of them alike."""
    for work in works:
        work()
    times: list[list[float]] = [[] for _ in works]
    for round_ in range(runs):
        for step in range(len(works)):
            index = (round_ + step) % len(works)
            started = time.perf_counter()
            works[index]()
            times[index].append(time.perf_counter() - started)
    return [statistics.median(t) * 1000 for t in times]


def run_statements(connection: Any, statements: list[tuple[str, Any]]) -> int:
    rows = 0
    cursor = connection.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        rows += len(cursor.fetchall())
    cursor.close()
    connection.rollback()
    return rows


@contextmanager
def recording(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@contextmanager
def checking_out(engine: Engine) -> Iterator[list[int]]:
    """Connections taken from the engine's pool (each one pinged first: pool_pre_ping)."""
    count = [0]

    def listen(*_args: Any) -> None:
        count[0] += 1

    event.listen(engine.pool, "checkout", listen)
    try:
        yield count
    finally:
        event.remove(engine.pool, "checkout", listen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--register", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--checks", type=int, default=3)
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(BENCH_SECRET))
    policy = load_policy(BOKHANDEL / "policy.yaml")
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-systems-")))
        started = time.perf_counter()
        if args.register == "sqlite":
            register_url = f"sqlite:///{scratch / 'register.db'}"
        else:
            register_url = stack.enter_context(server_database("postgresql", "bench_register"))
        engine = build_register(register_url, args.customers)
        stack.callback(engine.dispose)
        subject = typical_subject(engine)
        print(
            f"register ({args.register}): {args.customers:,} demo customers in "
            f"{time.perf_counter() - started:.1f} s; typical subject {subject.id} with "
            f"{subject.register_rows} rows referring to it"
        )
        maps = scratch / "data-map"
        maps.mkdir()
        (maps / "register.yaml").write_text((BOKHANDEL / "data-map" / "register.yaml").read_text())
        shop_map = (BOKHANDEL / "data-map" / "webbutik.yaml").read_text()
        rows = _shop_rows(args.customers, subject, args.orders, args.lines, args.checks)
        shops: list[Shop] = []
        for kind in SHOP_KINDS:
            started = time.perf_counter()
            if kind == "sqlite":
                url = f"sqlite:///{scratch / 'webbutik.db'}"
            else:
                url = stack.enter_context(server_database(kind, "bench_webbutik"))
            build_shop(kind, url, rows)
            key = f"webbutik_{kind}"
            (maps / f"{key}.yaml").write_text(
                shop_map.replace("system: webbutik", f"system: {key}")
            )
            os.environ[url_variable(key)] = url
            shops.append(Shop(kind, key, url))
            print(
                f"shop {key}: {sum(len(r) for r in rows.values()):,} rows in "
                f"{time.perf_counter() - started:.1f} s"
            )
        data_map = load_map_directory(maps)
        entries.install(data_map)
        for shop in shops:
            # The engines the extract uses (one per system for the process), disposed at exit.
            stack.callback(engine_for(shop.url, True).dispose)
        measure(args, policy, engine, register_url, data_map, subject, shops, stack)


def measure(
    args: argparse.Namespace,
    policy: Policy,
    engine: Engine,
    register_url: str,
    data_map: DataMap,
    subject: Subject,
    shops: list[Shop],
    stack: ExitStack,
) -> None:
    def extract() -> dict[str, int]:
        with Session(engine) as session:
            stats = write_extract_json(session, io.StringIO(), policy=policy, subject_id=subject.id)
            session.rollback()
        return stats.rows

    with Session(engine) as session:
        identifiers = subject_identifiers(session, subject.id)
    # Warm-up (each shop reflected, statement caches filled), then one run recorded: the
    # register's statements for its floor, and per shop what the extract sends there.
    found = extract()
    shop_engines = {shop.key: engine_for(shop.url, True) for shop in shops}
    with ExitStack() as recordings:
        register_statements = recordings.enter_context(recording(engine))
        sent = {k: recordings.enter_context(recording(e)) for k, e in shop_engines.items()}
        checkouts = {k: recordings.enter_context(checking_out(e)) for k, e in shop_engines.items()}
        extract()
    selects = [(s, p) for s, p in register_statements if s.lstrip().upper().startswith("SELECT")]
    register_kind = make_url(register_url).get_backend_name()
    register_raw = raw_connect(register_kind, register_url)
    stack.callback(register_raw.close)
    for shop in shops:
        shop.connection = raw_connect(shop.kind, shop.url)
        stack.callback(shop.connection.close)
        shop.statements = floor_statements(shop.kind, identifiers, subject, FLOOR_SQL)
        shop.merged = floor_statements(shop.kind, identifiers, subject, MERGED_SQL)

    def floor(merged: bool = False) -> int:
        total = run_statements(register_raw, selects)
        for shop in shops:
            total += run_statements(shop.connection, shop.merged if merged else shop.statements)
        return total

    floor_rows = floor()
    register_only = DataMap((data_map.register,))

    def extract_register_only() -> None:
        entries.install(register_only)
        try:
            extract()
        finally:
            entries.install(data_map)

    written = [key for key in policy.categories if key in data_map.categories]

    def shop_part(system: SystemMap, url: str) -> int:
        """The extract's reads of one shop, as extract._other_tables makes them: on one
        Reader (one connection), each table read ahead once for all its categories."""
        count = 0
        part = systems.Reached(system, url)
        with external.Reader() as reader:
            ahead = extract_module._ReadAhead(reader, identifiers, written, 1000)
            for key in written:
                for entry in system.tables:
                    if key in entry.categories:
                        rows = ahead.rows(part, entry, key, entry.shown_columns(key))
                        count += sum(1 for _ in rows)
        return count

    per_system = {"register": 0, **{shop.key: 0 for shop in shops}}
    for name, count in found.items():
        where = name.split(":")[0]
        per_system[where.split(".")[0] if "." in where else "register"] += count
    print(
        f"\nthe subject's rows in the extract: {sum(found.values()):,} ("
        + ", ".join(f"{k} {v}" for k, v in per_system.items())
        + f"); the floor fetches {floor_rows:,} rows in "
        f"{len(selects) + sum(len(s.statements) for s in shops)} SELECTs"
    )
    print(
        f"the extract sent {len(register_statements)} statements to the register ("
        f"{len(selects)} SELECTs) and per shop "
        + ", ".join(f"{len(sent[k])} ({checkouts[k][0]} pool checkouts)" for k in sent)
        + "\n"
    )
    runs = args.runs
    print(
        f"{'median of ' + str(runs) + ' runs':<36}{'extract ms':>11}{'floor ms':>10}{'ratio':>8}"
        f"{'merged floor':>14}{'ratio':>8}"
    )

    def line(label: str, took: float, floor_ms: float, merged_ms: float | None = None) -> None:
        merged = f"{merged_ms:>14.2f}{took / merged_ms:>7.1f}×" if merged_ms is not None else ""
        print(f"{label:<36}{took:>11.2f}{floor_ms:>10.2f}{took / floor_ms:>7.1f}×{merged}")

    total, total_floor, total_merged = medians_ms(runs, extract, floor, lambda: floor(merged=True))
    line("write_extract_json, 4 systems", total, total_floor, total_merged)
    line(
        f"  register alone ({len(selects)} SELECTs)",
        *medians_ms(runs, extract_register_only, lambda: run_statements(register_raw, selects)),
    )
    for shop in shops:
        system = data_map.system(shop.key)
        line(
            f"  {shop.key} ({len(shop.statements)} SELECTs)",
            *medians_ms(
                runs,
                lambda s=system, u=shop.url: shop_part(s, u),
                lambda c=shop.connection, s=shop.statements: run_statements(c, s),
                lambda c=shop.connection, s=shop.merged: run_statements(c, s),
            ),
        )
    # Judged against the merged floor: the same rows read through the indexes, as the
    # extract reads them (the other floor's statements make the servers scan).
    verdict = "met" if total / total_merged <= 3 else "not met"
    print(
        f"\ngoal: the extract ≤ 3× its merged floor — {verdict} ({total / total_merged:.1f}×; "
        f"{total / total_floor:.1f}× the floor with the links' IN-subqueries ORed)"
    )


if __name__ == "__main__":
    main()
