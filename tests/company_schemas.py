"""The other systems of the example companies (examples/*/data-map), as tables the tests
create on a real database: the bookshop's web shop (examples/bokhandel/data-map/webbutik.yaml).

`create(system, url)` makes a system's tables in an empty database; `fill_webbutik(...)`
writes one customer's rows, found by e-mail and customer number as the shop finds them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    insert,
)

WEBBUTIK = MetaData()
PRODUCT = Table(
    "product",
    WEBBUTIK,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("price", Numeric(10, 2), nullable=False),
)
CUSTOMER = Table(
    "shop_customer",
    WEBBUTIK,
    Column("id", Integer, primary_key=True),
    Column("email", String(200)),
    Column("display_name", String(200)),
    Column("register_number", Integer),
    Column("created_at", DateTime(timezone=True)),
)
ORDER = Table(
    "shop_order",
    WEBBUTIK,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("shop_customer.id"), nullable=False),
    Column("order_number", String(20), nullable=False),
    Column("ordered_at", DateTime(timezone=True), nullable=False),
    Column("delivery_name", String(200)),
    Column("delivery_street", String(200)),
    Column("delivery_postal_code", String(10)),
    Column("delivery_city", String(100)),
    Column("delivery_phone", String(30)),
    Column("status", String(20)),
)
ORDER_LINE = Table(
    "shop_order_line",
    WEBBUTIK,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("shop_order.id"), nullable=False),
    Column("product_id", Integer, ForeignKey("product.id")),
    Column("quantity", Integer),
    Column("gift_message", Text),
)
FRAUD_SIGNAL = Table(
    "fraud_signal",
    WEBBUTIK,
    Column("id", Integer, primary_key=True),
    Column("email", String(200)),
    Column("phone", String(30)),
    Column("signal", String(100)),
    Column("score", Integer),
    Column("assessment", Text),
    Column("checked_at", DateTime(timezone=True)),
)
SCHEMAS = {"webbutik": WEBBUTIK}


def create(system: str, url: str) -> None:
    engine = create_engine(url)
    try:
        SCHEMAS[system].create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                insert(PRODUCT),
                [
                    {"id": 1, "title": "Röda rummet", "price": 149},
                    {"id": 2, "title": "Doktor Glas", "price": 129},
                ],
            )
    finally:
        engine.dispose()


def fill_webbutik(url: str, *, subject_id: int, email: str, phone: str, marker: str) -> None:
    """One customer of the shop: an account, an order with a line, and a fraud check; every
    text column carries `marker`, so a test can tell this customer's values from others'."""
    engine = create_engine(url)
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    try:
        with engine.begin() as connection:
            customer = connection.execute(
                insert(CUSTOMER).values(
                    email=email.upper(),  # the shop keeps what the customer typed
                    display_name=f"{marker} kund",
                    register_number=subject_id,
                    created_at=at,
                )
            ).inserted_primary_key[0]
            order = connection.execute(
                insert(ORDER).values(
                    customer_id=customer,
                    order_number=f"W{subject_id:06d}",
                    ordered_at=at,
                    delivery_name=f"{marker} mottagare",
                    delivery_street=f"{marker}gatan 1",
                    delivery_postal_code="75320",
                    delivery_city=f"{marker}stad",
                    delivery_phone=phone,
                    status="levererad",
                )
            ).inserted_primary_key[0]
            connection.execute(
                insert(ORDER_LINE).values(
                    order_id=order, product_id=1, quantity=2, gift_message=f"{marker} hälsning"
                )
            )
            connection.execute(
                insert(FRAUD_SIGNAL).values(
                    email=email,
                    phone=phone,
                    signal=f"{marker} signal",
                    score=12,
                    assessment=f"{marker} bedömning",
                    checked_at=datetime.combine(date(2026, 3, 1), datetime.min.time(), UTC),
                )
            )
    finally:
        engine.dispose()
