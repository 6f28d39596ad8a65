"""The demo generator: reproducible, valid Swedish identifiers, consistent history."""

from __future__ import annotations

import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import dataskydd.all_models  # noqa: F401 - every table on Base.metadata
from dataskydd import crypto
from dataskydd.db.base import Base
from dataskydd.db.session import make_engine
from dataskydd.demo import billing, generate_demo, identities
from dataskydd.demo.catalogue import SERVICES
from dataskydd.demo.records import TABLE_ORDER
from dataskydd.errors import InvalidInput
from dataskydd.register import identifiers
from dataskydd.register.models import Contract, Service, Subscription
from tests.conftest import TEST_SECRET

REFERENCE = date(2026, 11, 24)
CUSTOMERS = 150
_VOLATILE = {"created_at", "updated_at"}


def _fresh(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


def _rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    columns = Base.metadata.tables[table]
    with engine.connect() as connection:
        result = connection.execute(select(columns).order_by(columns.c.id)).mappings()
        return [{k: v for k, v in row.items() if k not in _VOLATILE} for row in result]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    crypto.install_keyring(crypto.Keyring(TEST_SECRET))
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = _fresh(path)
    generate_demo(engine, customers=CUSTOMERS, seed=7, reference_date=REFERENCE)
    yield engine, path
    engine.dispose()


class TestReproducibility:
    def test_same_seed_writes_the_same_rows(self, tmp_path: Path) -> None:
        first, second = _fresh(tmp_path / "a.db"), _fresh(tmp_path / "b.db")
        for engine in (first, second):
            generate_demo(engine, customers=60, seed=11, reference_date=REFERENCE)
        for table in (*TABLE_ORDER, "service", "activity"):
            assert _rows(first, table) == _rows(second, table), table

    def test_another_seed_writes_other_people(self, tmp_path: Path) -> None:
        first, second = _fresh(tmp_path / "a.db"), _fresh(tmp_path / "b.db")
        generate_demo(first, customers=20, seed=1, reference_date=REFERENCE)
        generate_demo(second, customers=20, seed=2, reference_date=REFERENCE)
        assert _rows(first, "subject") != _rows(second, "subject")

    def test_second_run_adds_without_collisions(self, tmp_path: Path) -> None:
        engine = _fresh(tmp_path / "twice.db")
        for _ in range(2):
            generate_demo(engine, customers=40, seed=3, reference_date=REFERENCE)
        with engine.connect() as connection:
            counts = connection.execute(
                text(
                    "SELECT count(*), count(DISTINCT personnummer_index) FROM subject "
                    "WHERE personnummer_index IS NOT NULL"
                )
            ).one()
            services = connection.scalar(text("SELECT count(*) FROM service"))
        assert counts[0] == counts[1] > 40
        assert services == len(SERVICES)


class TestIdentifiers:
    def test_every_identifier_passes_the_register_validators(
        self, demo_db: tuple[Engine, Path]
    ) -> None:
        engine, _ = demo_db
        subjects = _rows(engine, "subject")
        numbers = [s["personnummer"] for s in subjects if s["personnummer"]]
        assert len(numbers) > CUSTOMERS // 2
        assert all(identifiers.normalise_personnummer(n) == n for n in numbers)
        orgnrs = [s["organisationsnummer"] for s in subjects if s["organisationsnummer"]]
        assert orgnrs
        for number in orgnrs:
            assert identifiers.normalise_organisationsnummer(number) == number
            assert int(number[2]) >= 2
        for point in _rows(engine, "contact_point"):
            normalise = (
                identifiers.normalise_email
                if point["kind"] == "email"
                else identifiers.normalise_phone
            )
            assert normalise(point["value"]) == point["value"]
        places = _rows(engine, "postal_address") + _rows(engine, "connection")
        assert all(
            identifiers.normalise_postal_code(p["postal_code"]) == p["postal_code"] for p in places
        )
        for device in _rows(engine, "equipment"):
            assert identifiers.normalise_mac(device["mac_address"]) == device["mac_address"]
            assert int(device["mac_address"][:2], 16) & 1 == 0  # unicast
        for lease in _rows(engine, "ip_assignment"):
            assert identifiers.normalise_ip(lease["ip_address"]) == lease["ip_address"]

    def test_samordningsnummer_adds_sixty_to_the_day(self) -> None:
        number = identities.personnummer(
            Random(1), date(1990, 5, 17), female=True, coordination=True
        )
        assert number[6:8] == "77"
        assert identifiers.normalise_personnummer(number) == number
        assert identifiers.is_coordination_number(number)
        assert int(number[10]) % 2 == 0  # even ninth digit of the ten: a woman

    def test_personnummer_is_ciphertext_in_the_database_file(
        self, demo_db: tuple[Engine, Path]
    ) -> None:
        engine, path = demo_db
        plain = {s["personnummer"] for s in _rows(engine, "subject") if s["personnummer"]}
        with sqlite3.connect(path) as raw:
            stored = [
                r[0]
                for r in raw.execute(
                    "SELECT personnummer FROM subject WHERE personnummer IS NOT NULL"
                )
            ]
        assert stored
        assert all(value.startswith("v1:") for value in stored)
        assert not plain & set(stored)
        assert not any(number[2:] in value for value in stored for number in list(plain)[:20])


class TestHistory:
    def test_invoice_amount_is_net_plus_25_percent_vat(self, demo_db: tuple[Engine, Path]) -> None:
        engine, _ = demo_db
        invoices = _rows(engine, "invoice")
        assert len(invoices) > CUSTOMERS * 5
        payments = {p["invoice_id"]: p for p in _rows(engine, "payment")}
        for invoice in invoices:
            net = invoice["amount"] - invoice["vat_amount"]
            assert net > 0
            assert invoice["vat_amount"] == billing.vat_on(net)
            if invoice["status"] == "paid":
                assert payments[invoice["id"]]["amount"] == invoice["amount"]
            else:
                assert invoice["id"] not in payments

    def test_invoices_bill_the_services_subscribed(self, demo_db: tuple[Engine, Path]) -> None:
        engine, _ = demo_db
        with engine.connect() as connection:
            codes = {
                row.id: row.code for row in connection.execute(select(Service.id, Service.code))
            }
            spans: dict[int, list[billing.SubscriptionSpan]] = defaultdict(list)
            subscribed = select(
                Contract.subject_id,
                Subscription.service_id,
                Subscription.starts_on,
                Subscription.ends_on,
            ).join(Contract, Contract.id == Subscription.contract_id)
            for subject_id, service_id, starts_on, ends_on in connection.execute(subscribed):
                spans[subject_id].append((codes[service_id], starts_on, ends_on))
        since = {r["subject_id"]: r["started_on"] for r in _rows(engine, "subject_role")}
        prices = {s.code: s.monthly_price for s in SERVICES}
        for invoice in _rows(engine, "invoice"):
            subject_id = invoice["subject_id"]
            # Billed in advance: issued two weeks before the period, the first period being
            # the first whole month of the customer relationship.
            period = invoice["issued_on"] + timedelta(days=14)
            if invoice["issued_on"] == since[subject_id]:
                period = billing.add_months(since[subject_id].replace(day=1), 1)
            billed = invoice["amount"] - invoice["vat_amount"]
            expected = {
                billing.net_for_period(prices, spans[subject_id], period, months)
                for months in (1, 3)
            }
            assert billed in expected

    def test_ip_leases_of_a_connection_never_overlap(self, demo_db: tuple[Engine, Path]) -> None:
        engine, _ = demo_db
        leases: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for lease in _rows(engine, "ip_assignment"):
            leases[lease["connection_id"]].append(lease)
        assert leases
        for rows in leases.values():
            rows.sort(key=lambda row: row["assigned_at"])
            for current, following in itertools.pairwise(rows):
                assert current["released_at"] is not None
                assert current["assigned_at"] < current["released_at"] <= following["assigned_at"]

    def test_usage_is_the_bulk_about_forty_events_per_customer(
        self, demo_db: tuple[Engine, Path]
    ) -> None:
        engine, _ = demo_db
        events = _rows(engine, "usage_event")
        assert 25 * CUSTOMERS < len(events) < 55 * CUSTOMERS
        assert {e["device_type"] for e in events} <= {"tv", "mobil", "surfplatta", "dator"}
        newest = max(e["occurred_at"] for e in events)
        assert isinstance(newest, datetime)
        assert newest.date() <= REFERENCE

    def test_roles_mix_private_business_suppliers_and_ended(
        self, demo_db: tuple[Engine, Path]
    ) -> None:
        engine, _ = demo_db
        roles = _rows(engine, "subject_role")
        customers = [r for r in roles if r["role"] == "customer"]
        assert len(customers) == CUSTOMERS
        assert any(r["role"] == "supplier" for r in roles)
        assert 0.05 < sum(r["ended_on"] is not None for r in customers) / CUSTOMERS < 0.3
        assert _rows(engine, "subject_relation")

    def test_run_is_audited(self, demo_db: tuple[Engine, Path]) -> None:
        engine, _ = demo_db
        with engine.connect() as connection:
            actions = connection.execute(text("SELECT action, detail FROM audit_entry")).all()
        assert [action for action, _ in actions] == ["demo.generate"]
        assert f'"customers":{CUSTOMERS}' in actions[0][1].replace(" ", "")


@pytest.mark.parametrize("customers", [0, -1, 1_000_001])
def test_out_of_range_customers_is_refused_before_writing(tmp_path: Path, customers: int) -> None:
    engine = _fresh(tmp_path / "refused.db")
    with pytest.raises(InvalidInput) as refused:
        generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
    assert refused.value.field == "customers"
    with Session(engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(Base.metadata.tables["service"])) == 0
        )
