"""`datamap.discover`: a proposed map for a small shop database on each real backend.

The shop (`build_shop`) has customers with every identifier, orders and order lines reaching
them by foreign keys, tickets matched by e-mail with a free-text body, a product catalogue
with nothing personal and a 5,000-row access log of IP and MAC addresses. The tests check the
kinds, the links, the unmapped tables, that the YAML is a valid map file, that the engine
cannot write, that every read is bounded, and that no inserted personal value is ever
rendered. tests/cli/test_systems_discover_cli.py imports `build_shop` for the command.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import DBAPIError
from stdnum import luhn

from dataskydd.datamap.classify import Kind, TypeFamily, classify_column
from dataskydd.datamap.connections import SystemUnavailable, parse_url
from dataskydd.datamap.discover import LINKED_CATEGORY, Hop, Proposal, discover
from dataskydd.datamap.map_files import parse_map
from dataskydd.datamap.map_schema import Identifier
from dataskydd.errors import InvalidInput
from tests.external_databases import KINDS, external_database

CUSTOMERS = 300
PRODUCTS = 40
LOG_ROWS = 5_000
SAMPLE = 200

_GIVEN = (
    "Ingegerd", "Sigvard", "Gunborg", "Eskil", "Torbjörn", "Ulrika", "Margit", "Holger",
    "Solveig", "Evert", "Ragnhild", "Östen", "Birgitta", "Gösta", "Agneta", "Henrike",
)  # fmt: skip
_FAMILY = (
    "Wennerholm", "Lindqvist", "Åkesson", "Strandberg", "Hägglöf", "Ekdahl", "Sjöblom",
    "Grönvall", "Bäckström", "Rydén", "Fagerlund", "Tornqvist", "Almgren", "Nyberg",
)  # fmt: skip
_ADJECTIVES = ("Röd", "Stor", "Liten", "Blank", "Matt", "Ekologisk", "Klassisk", "Ny")
_NOUNS = ("Kaffebryggare", "Stol", "Lampa", "Kastrull", "Matta", "Vas", "Kudde", "Bricka")
_COMPLAINTS = (
    "Hej! Min beställning har inte kommit fram trots att det gått två veckor.",
    "Jag fick fel färg på varan och vill byta den mot den jag beställde.",
    "Fakturan har ett belopp som inte stämmer med ordern, kan ni se över det?",
    "Hur returnerar jag en vara som gick sönder vid leveransen i förrgår?",
)


def _personnummer(rng: random.Random, coordination: bool) -> str:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
    day = born.day + (60 if coordination else 0)
    nine = f"{born:%y%m}{day:02d}{rng.randrange(1000):03d}"
    return f"{born.year // 100}{nine[:6]}-{nine[6:]}{luhn.calc_check_digit(nine)}"


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(("70", "72", "73", "76"))
    digits = f"{rng.randrange(10_000_000):07d}"
    if rng.random() < 0.5:
        return f"+46 {prefix} {digits[:3]} {digits[3:5]} {digits[5:]}"
    return f"0{prefix}-{digits[:3]} {digits[3:5]} {digits[5:]}"


def _mac(rng: random.Random) -> str:
    return ":".join(f"{rng.randrange(256):02x}" for _ in range(6))


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}"
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


@dataclass
class Shop:
    """The URL of a filled shop database and every personal value written into it."""

    url: str
    personal: list[str] = field(default_factory=list)


def _schema() -> tuple[MetaData, dict[str, Table]]:
    metadata = MetaData()
    tables = {
        "customers": Table(
            "customers",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("customer_number", String(20), nullable=False),
            Column("first_name", String(60)),
            Column("last_name", String(60)),
            Column("email", String(200)),
            Column("phone", String(30)),
            Column("personnummer", String(13)),
            Column("status", String(10), nullable=False),
            Column("created_at", DateTime, nullable=False),
        ),
        "products": Table(
            "products",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("sku", String(20), nullable=False),
            Column("name", String(100), nullable=False),
            Column("price", Numeric(10, 2), nullable=False),
            Column("category", String(30), nullable=False),
        ),
        "orders": Table(
            "orders",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
            Column("ordered_at", DateTime, nullable=False),
            Column("total", Numeric(10, 2), nullable=False),
            Column("status", String(12), nullable=False),
        ),
        "order_lines": Table(
            "order_lines",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("order_id", Integer, ForeignKey("orders.id"), nullable=False),
            Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
            Column("quantity", Integer, nullable=False),
            Column("unit_price", Numeric(10, 2), nullable=False),
        ),
        "tickets": Table(
            "tickets",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("email", String(200), nullable=False),
            Column("subject", String(200), nullable=False),
            Column("body", Text, nullable=False),
            Column("opened_at", DateTime, nullable=False),
        ),
        "access_log": Table(
            "access_log",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("occurred_at", DateTime, nullable=False),
            Column("ip_address", String(45), nullable=False),
            Column("mac_address", String(17)),
            Column("path", String(100), nullable=False),
            Column("status_code", Integer, nullable=False),
        ),
    }
    return metadata, tables


def fill_shop(url: str, *, seed: int = 7) -> list[str]:
    """Create and fill the shop schema at `url`; the personal values written."""
    rng = random.Random(seed)
    metadata, tables = _schema()
    start = datetime(2024, 1, 1)  # naive, as DateTime columns store it
    personal: list[str] = []
    customers, tickets, orders, lines, log = [], [], [], [], []
    for number in range(1, CUSTOMERS + 1):
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        email = f"{given}.{family}{number}@exempel.se".lower().replace("ö", "o")
        email = email.replace("å", "a").replace("ä", "a")
        row = {
            "id": number,
            "customer_number": f"K-{100_000 + number}",
            "first_name": given,
            "last_name": family,
            "email": email,
            "phone": _phone(rng),
            "personnummer": _personnummer(rng, coordination=number % 10 == 0),
            "status": rng.choice(("active", "closed")),
            "created_at": start + timedelta(hours=number),
        }
        customers.append(row)
        personal += [row["customer_number"], email, row["phone"], row["personnummer"]]
        if number % 3 == 0:
            body = (
                f"{rng.choice(_COMPLAINTS)} Mvh {given} {family}, ring {row['phone']} "
                f"(ärende {number})."
            )
            subject = f"Fråga från {given} {family} om order {number}"
            tickets.append(
                {
                    "id": number,
                    "email": email,
                    "subject": subject,
                    "body": body,
                    "opened_at": start + timedelta(days=number),
                }
            )
            personal += [body, subject]
    personal += sorted({*_GIVEN, *_FAMILY})
    products = [
        {
            "id": number,
            "sku": f"SKU-{number:05d}",
            "name": f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}",
            "price": Decimal(rng.randrange(100, 100_000)) / 100,
            "category": rng.choice(("Kök", "Hem", "Textil")),
        }
        for number in range(1, PRODUCTS + 1)
    ]
    for number in range(1, 2 * CUSTOMERS + 1):
        orders.append(
            {
                "id": number,
                "customer_id": rng.randrange(1, CUSTOMERS + 1),
                "ordered_at": start + timedelta(hours=3 * number),
                "total": Decimal(rng.randrange(100, 500_000)) / 100,
                "status": rng.choice(("paid", "shipped", "returned")),
            }
        )
        for line in range(rng.randrange(1, 4)):
            lines.append(
                {
                    "id": number * 10 + line,
                    "order_id": number,
                    "product_id": rng.randrange(1, PRODUCTS + 1),
                    "quantity": rng.randrange(1, 5),
                    "unit_price": Decimal(rng.randrange(100, 100_000)) / 100,
                }
            )
    for number in range(1, LOG_ROWS + 1):
        entry = {
            "id": number,
            "occurred_at": start + timedelta(seconds=37 * number),
            "ip_address": _ip(rng),
            "mac_address": _mac(rng),
            "path": rng.choice(("/", "/cart", "/checkout", "/products", "/account")),
            "status_code": rng.choice((200, 200, 200, 302, 404)),
        }
        log.append(entry)
        if number <= 1000:  # a fifth is plenty to catch any echo; keeps the check quick
            personal += [entry["ip_address"], entry["mac_address"]]
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
            for name, rows in (
                ("customers", customers),
                ("products", products),
                ("orders", orders),
                ("order_lines", lines),
                ("tickets", tickets),
                ("access_log", log),
            ):
                connection.execute(tables[name].insert(), rows)
        # The catalogue's row estimates, as a live database has them.
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        elif engine.dialect.name == "mysql":
            with engine.begin() as connection:
                connection.execute(text("ANALYZE TABLE " + ", ".join(tables)))
    finally:
        engine.dispose()
    return personal


@pytest.fixture(params=KINDS)
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    with external_database(request.param, tmp_path) as url:
        yield Shop(url, fill_shop(url))


def leaked(personal: list[str], *outputs: str) -> list[str]:
    """The personal values found in any output (none, or the test fails naming their count,
    not the values themselves)."""
    joined = "\n".join(outputs)
    return [value for value in personal if value in joined]


class Recorder:
    """Every statement issued, with the engine it ran on."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.engines: list[Engine] = []

    def __call__(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)
        if connection.engine not in self.engines:
            self.engines.append(connection.engine)

    def reading(self, table_name: str) -> list[str]:
        pattern = re.compile(rf"\bFROM\s+[`\"]?{table_name}\b", re.IGNORECASE)
        return [s for s in self.statements if pattern.search(s)]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recording = Recorder()
    event.listen(Engine, "before_cursor_execute", recording)
    try:
        yield recording
    finally:
        event.remove(Engine, "before_cursor_execute", recording)


def _hop(column: str, table: str) -> Hop:
    return Hop(column, table, "id")


def _kinds(proposal: Proposal, table_name: str) -> dict[str, Kind]:
    finding = next(f for f in proposal.findings if f.name == table_name)
    return {c.name: c.kind for c in finding.columns}


def test_proposal_for_the_shop(shop: Shop) -> None:
    proposal = discover(shop.url, sample_rows=SAMPLE)

    assert proposal.tables_read == 6
    assert _kinds(proposal, "customers") == {
        "id": Kind.NOT_PERSONAL,
        "customer_number": Kind.CUSTOMER_NUMBER,
        "first_name": Kind.PERSON_NAME,
        "last_name": Kind.PERSON_NAME,
        "email": Kind.EMAIL,
        "phone": Kind.PHONE,
        "personnummer": Kind.PERSONNUMMER,
        "status": Kind.NOT_PERSONAL,
        "created_at": Kind.DATE_TIME,
    }
    customers = proposal.table("customers")
    pnr = customers.finding.column("personnummer").classification
    assert (pnr.matched, pnr.sampled, pnr.share) == (SAMPLE, SAMPLE, 1.0)
    assert pnr.coordination > 0  # every tenth customer has a samordningsnummer
    assert [(link.match_column, link.identifier, link.via) for link in customers.links] == [
        ("personnummer", Identifier.PERSONNUMMER, ()),
        ("customer_number", Identifier.CUSTOMER_NUMBER, ()),
        ("email", Identifier.EMAIL, ()),
        ("phone", Identifier.PHONE, ()),
    ]
    assert customers.columns == {
        "customer_number": "review_identity",
        "first_name": "review_identity",
        "last_name": "review_identity",
        "email": "review_contact",
        "phone": "review_contact",
        "personnummer": "review_national_id",
    }
    assert customers.technical == ("id", "status", "created_at")
    assert customers.time_column == "created_at"

    orders = proposal.table("orders")
    assert _kinds(proposal, "orders")["customer_id"] is Kind.CUSTOMER_NUMBER
    assert {link.via for link in orders.links} == {
        (_hop("customer_id", "customers"),),
    }
    assert [link.match_column for link in orders.links] == [
        "personnummer",
        "customer_number",
        "email",
        "phone",
    ]
    assert orders.columns == {"total": LINKED_CATEGORY, "status": LINKED_CATEGORY}
    assert orders.technical == ("id", "customer_id", "ordered_at")
    assert orders.time_column == "ordered_at"

    lines = proposal.table("order_lines")
    assert {link.via for link in lines.links} == {
        (_hop("order_id", "orders"), _hop("customer_id", "customers")),
    }
    assert lines.references == {"product_id": ("products", "name")}

    tickets = proposal.table("tickets")
    assert _kinds(proposal, "tickets")["email"] is Kind.EMAIL
    assert _kinds(proposal, "tickets")["body"] is Kind.FREE_TEXT
    assert tickets.columns["body"] == "review_free_text"
    assert [(link.match_column, link.via) for link in tickets.links] == [("email", ())]
    assert tickets.time_column == "opened_at"

    assert _kinds(proposal, "access_log")["ip_address"] is Kind.IP_ADDRESS
    assert _kinds(proposal, "access_log")["mac_address"] is Kind.MAC_ADDRESS
    assert _kinds(proposal, "access_log")["path"] is Kind.NOT_PERSONAL
    assert proposal.unmapped["products"] == (
        f"no personal data found in a sample of {PRODUCTS} rows"
    )
    assert proposal.unmapped["access_log"].startswith("REVIEW: holds personal data")
    assert {t.name for t in proposal.tables} == {"customers", "orders", "order_lines", "tickets"}

    yaml_text = proposal.to_yaml("shop")
    system = parse_map(yaml_text, "shop.yaml")
    assert system.key == "shop"
    assert not system.builtin
    assert system.by_table["order_lines"].links[0].via[0].table == "orders"
    assert system.by_table["tickets"].links[0].match is not None
    assert "# e-mail, 100 % of 100 sampled" in yaml_text  # tickets: one per third customer
    assert "# personnummer (20 samordningsnummer), 100 % of 200 sampled" in yaml_text
    assert set(system.unmapped) == {"products", "access_log"}
    assert not leaked(shop.personal, yaml_text, proposal.summary(), repr(proposal)), (
        "a sampled value appears in the proposal"
    )


def test_reads_are_bounded_and_the_engine_cannot_write(shop: Shop, recorder: Recorder) -> None:
    proposal = discover(shop.url, sample_rows=SAMPLE)

    log = next(f for f in proposal.findings if f.name == "access_log")
    assert log.rows_sampled == SAMPLE
    reads = recorder.reading("access_log")
    assert reads
    assert all(re.search(r"\bLIMIT\b", statement, re.IGNORECASE) for statement in reads)
    if parse_url(shop.url).get_backend_name() == "postgresql":
        assert any("TABLESAMPLE" in statement for statement in reads)
    for table_name in ("customers", "orders", "order_lines", "tickets", "products"):
        assert all("LIMIT" in s.upper() for s in recorder.reading(table_name)), table_name
    assert not any("COUNT(" in s.upper() for s in recorder.statements)
    assert not any(
        re.match(r"\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", s, re.IGNORECASE)
        for s in recorder.statements
    )

    assert len(recorder.engines) == 1
    engine = recorder.engines[0]
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(text("UPDATE products SET price = 0 WHERE id = 1"))
    engine.dispose()


def test_max_tables_and_sample_rows_bound_the_work(shop: Shop) -> None:
    proposal = discover(shop.url, sample_rows=5, max_tables=2)

    assert [f.name for f in proposal.findings] == ["access_log", "customers"]
    assert all(f.rows_sampled == 5 for f in proposal.findings)
    assert any("beyond --max-tables 2" in entry for entry in proposal.not_read)
    assert "# not read: tickets: beyond --max-tables 2" in proposal.to_yaml("shop")


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_database_proposes_nothing(kind: str, tmp_path: Path) -> None:
    with external_database(kind, tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT)"))
        engine.dispose()
        proposal = discover(url)

    # No rows to sample: the column name decides, and says so.
    column = proposal.findings[0].column("email")
    assert column.kind is Kind.EMAIL
    assert column.classification.share is None
    assert "by column name only" in proposal.to_yaml("empty")


def test_errors_name_the_problem_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a database URL"):
        discover("no url at all")
    with pytest.raises(InvalidInput, match="not supported"):
        discover("oracle://scott:tiger@localhost/db")
    with pytest.raises(SystemUnavailable, match="not found"):
        discover(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(SystemUnavailable) as caught:
        discover("postgresql://someone:Hemligt-Lösen-42@127.0.0.1:1/nowhere")
    assert "Hemligt" not in caught.value.message
    assert "127.0.0.1:1/nowhere" in caught.value.message
    with pytest.raises(InvalidInput, match="sample_rows"):
        discover(f"sqlite:///{tmp_path / 'x.db'}", sample_rows=0)


def test_classify_thresholds_and_name_rules() -> None:
    emails = [f"person{i}@exempel.se" for i in range(8)] + ["okänd", "saknas"]
    at_80 = classify_column("contact", TypeFamily.TEXT, emails)
    assert (at_80.kind, at_80.matched, at_80.sampled) == (Kind.EMAIL, 8, 10)
    below = classify_column("contact", TypeFamily.TEXT, [*emails, "-", "-"])
    assert below.kind is not Kind.EMAIL
    # NULLs are not sampled values.
    assert classify_column("e", TypeFamily.TEXT, [None, "a@exempel.se"]).sampled == 1
    # `name` is a person's name in a table of people, not in a catalogue.
    names = ["Ingegerd Wennerholm", "Sigvard Åkesson"]
    assert classify_column("name", TypeFamily.TEXT, names, table="kunder").kind is (
        Kind.PERSON_NAME
    )
    assert classify_column("name", TypeFamily.TEXT, names, table="products").kind is (
        Kind.NOT_PERSONAL
    )
    # An organisationsnummer is not a personnummer, and a primary key is never personal.
    assert classify_column("nr", TypeFamily.TEXT, ["556036-0793"]).kind is (
        Kind.ORGANISATIONSNUMMER
    )
    assert classify_column("email", TypeFamily.TEXT, ["a@b.se"], is_primary_key=True).kind is (
        Kind.NOT_PERSONAL
    )
    described = classify_column("ip", TypeFamily.TEXT, ["10.0.0.1", "::1"]).describe()
    assert described == "IP address, 100 % of 2 sampled"
    assert "10.0.0.1" not in repr(classify_column("ip", TypeFamily.TEXT, ["10.0.0.1"]))
