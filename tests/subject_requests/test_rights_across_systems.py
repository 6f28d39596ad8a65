"""Rights across every system of the data map (issue #10): the registerutdrag holds the
subject's data from the register and from the company's other databases (PostgreSQL, MariaDB,
SQLite at once), never a second subject's; erasure leaves none of the subject's values in any
of them and keeps a receipt per system; a system that cannot be reached makes the request
wait, with nothing read or changed anywhere.

The company is the bookshop (examples/bokhandel), with its web shop's database run three
times, once on each kind of server, as three systems of one data map.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext, Permission, staff_context
from dataskydd.datamap import entries
from dataskydd.datamap.connections import SystemUnavailable, engine_for, url_variable
from dataskydd.datamap.map_files import load_map_directory
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service
from dataskydd.subject_requests import service, systems
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.models import (
    ReceiptStatus,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
    SystemReceiptRecord,
)
from dataskydd.subject_requests.outcomes import complete_request
from tests import company_schemas
from tests.conftest import REPO
from tests.external_databases import (
    KINDS,
    MARIADB_ADMIN_URL,
    POSTGRES_ADMIN_URL,
    external_database,
)

BOKHANDEL = REPO / "examples" / "bokhandel"
SHOP_TEXT_COLUMNS = {
    "shop_customer": ["email", "display_name"],
    "shop_order": ["delivery_name", "delivery_street", "delivery_city", "delivery_phone"],
    "shop_order_line": ["gift_message"],
    "fraud_signal": ["email", "phone", "signal", "assessment"],
}


@dataclass(frozen=True)
class Person:
    subject_id: int
    email: str
    phone: str
    marker: str


@pytest.fixture
def policy_file() -> Path:
    return BOKHANDEL / "policy.yaml"


@pytest.fixture
def shops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """One web shop database per kind of server, each a system of the data map."""
    maps = tmp_path / "data-map"
    maps.mkdir()
    (maps / "register.yaml").write_text((BOKHANDEL / "data-map" / "register.yaml").read_text())
    shop_map = (BOKHANDEL / "data-map" / "webbutik.yaml").read_text()
    urls: dict[str, str] = {}
    with (
        external_database("postgresql", tmp_path) as postgres,
        external_database("mariadb", tmp_path) as mariadb,
        external_database("sqlite", tmp_path) as sqlite,
    ):
        for kind, url in zip(KINDS, (postgres, mariadb, sqlite), strict=True):
            key = f"webbutik_{kind}"
            (maps / f"{key}.yaml").write_text(
                shop_map.replace("system: webbutik", f"system: {key}")
            )
            company_schemas.create("webbutik", url)
            monkeypatch.setenv(url_variable(key), url)
            urls[key] = url
        entries.install(load_map_directory(maps))
        yield urls


def dpo(policy: Policy) -> AccessContext:
    role = next(k for k, r in policy.roles.items() if Permission.REQUESTS_HANDLE in r.permissions)
    return staff_context(policy=policy, username="dso", role=role, user_id=1)


def person(session: Session, urls: dict[str, str], name: str, number: int) -> Person:
    email = f"{name.lower()}@example.se"
    phone = f"+4670{number:07d}"
    subject = register_service.create_subject(
        session,
        actor="test",
        data={"given_name": name, "family_name": "Bok", "emails": [email], "phones": [phone]},
    )
    session.flush()
    marker = f"{name}{number}"
    for url in urls.values():
        company_schemas.fill_webbutik(
            url, subject_id=subject.id, email=email, phone=phone, marker=marker
        )
    return Person(subject.id, email, phone, marker)


def extract_text(session: Session, policy: Policy, subject_id: int) -> str:
    out = io.StringIO()
    write_extract_json(session, out, policy=policy, subject_id=subject_id)
    return out.getvalue()


def values_left(url: str, marker: str) -> list[str]:
    """Every text value in the shop's tables that carries the marker, read directly."""
    engine = create_engine(url)
    found = []
    try:
        with engine.connect() as connection:
            for table, columns in SHOP_TEXT_COLUMNS.items():
                for column in columns:
                    shop_column = company_schemas.WEBBUTIK.tables[table].c[column]
                    for (value,) in connection.execute(select(shop_column)):
                        if value is not None and marker.lower() in str(value).lower():
                            found.append(f"{table}.{column}")
    finally:
        engine.dispose()
    return found


def test_the_registerutdrag_holds_every_system_and_only_the_subject(
    session: Session, policy: Policy, shops: dict[str, str]
) -> None:
    alfa = person(session, shops, "Alfa", 1)
    beta = person(session, shops, "Beta", 2)
    document = extract_text(session, policy, alfa.subject_id)
    parsed = json.loads(document)
    systems_seen = {
        table["system"] for category in parsed["categories"] for table in category["tables"]
    }
    assert systems_seen == {"register", *shops}
    for key in shops:
        shop_tables = {
            table["table"]
            for category in parsed["categories"]
            for table in category["tables"]
            if table["system"] == key
        }
        assert shop_tables == set(SHOP_TEXT_COLUMNS), key
    for marker_text in (
        f"{alfa.marker} kund",
        f"{alfa.marker} mottagare",
        f"{alfa.marker}gatan 1",
        f"{alfa.marker}stad",
        f"{alfa.marker} hälsning",
        f"{alfa.marker} signal",
        f"{alfa.marker} bedömning",
        "Röda rummet",  # the order line's product, shown as the catalogue's title
    ):
        assert document.count(marker_text) == len(shops), marker_text
    assert beta.marker not in document
    assert beta.email not in document.lower()
    # The categories the web shop alone holds appear with their policy titles.
    titles = {category["key"]: category["title"] for category in parsed["categories"]}
    assert titles["bestallningar"] == policy.category("bestallningar").title.sv
    assert titles["bedrageri_signaler"] == policy.category("bedrageri_signaler").title.sv


def test_erasure_leaves_nothing_of_the_subject_in_any_system(
    session: Session, policy: Policy, shops: dict[str, str]
) -> None:
    alfa = person(session, shops, "Alfa", 3)
    beta = person(session, shops, "Beta", 4)
    plan = service.erase(session, caller=dpo(policy), policy=policy, subject_id=alfa.subject_id)
    assert {receipt.system for receipt in plan.receipts} == set(shops)
    for receipt in plan.receipts:
        assert receipt.status is ReceiptStatus.DONE
        # customer, order, order line and fraud check: found and gone or anonymised.
        assert receipt.rows_found == 4, receipt.detail
        assert receipt.rows_deleted + receipt.rows_blanked == 4, receipt.detail
    for key, url in shops.items():
        assert values_left(url, alfa.marker) == [], key
        assert values_left(url, alfa.email.split("@")[0]) == [], key
        assert len(values_left(url, beta.marker)) == 7, key  # the other customer untouched
    assert alfa.marker not in extract_text(session, policy, beta.subject_id)
    kept = session.scalars(
        select(SystemReceiptRecord).where(SystemReceiptRecord.subject_id == alfa.subject_id)
    ).all()
    assert len(kept) == len(shops)


def test_an_unreachable_system_makes_the_request_wait_and_changes_nothing(
    session: Session, policy: Policy, shops: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alfa = person(session, shops, "Alfa", 5)
    down = "webbutik_postgresql"
    monkeypatch.setenv(url_variable(down), "postgresql://dataskydd:hemligt@127.0.0.1:1/nowhere")
    with pytest.raises(SystemUnavailable) as caught:
        extract_text(session, policy, alfa.subject_id)
    assert "hemligt" not in caught.value.message
    request = SubjectRequest(
        kind=RequestKind.ERASURE,
        status=RequestStatus.OPEN,
        channel=RequestChannel.LETTER,
        subject_id=alfa.subject_id,
    )
    session.add(request)
    session.flush()
    with pytest.raises(systems.SystemsWaiting) as waiting:
        complete_request(
            session,
            dpo(policy),
            policy=policy,
            request_id=request.id,
            link_base="https://dataskydd.example.se",
        )
    assert waiting.value.keeps_work, "the receipt saying why is kept"
    assert down in waiting.value.message
    assert "hemligt" not in waiting.value.message
    assert request.status is RequestStatus.OPEN
    assert systems.waiting_for(session, [request.id]) == {request.id: [down]}
    # Nothing was erased anywhere: not in the systems reached, not in the register.
    for key, url in shops.items():
        if key != down:
            assert values_left(url, alfa.marker), key
    assert register_service.get_subject(session, alfa.subject_id).given_name == "Alfa"
    # Back again: the retry goes through, and the queue no longer waits.
    monkeypatch.setenv(url_variable(down), shops[down])
    complete_request(
        session,
        dpo(policy),
        policy=policy,
        request_id=request.id,
        link_base="https://dataskydd.example.se",
    )
    assert request.status is RequestStatus.COMPLETED
    assert systems.waiting_for(session, [request.id]) == {}
    assert "System webbutik_mariadb: 4 rader hittade" in (request.outcome or "")
    for key, url in shops.items():
        assert values_left(url, alfa.marker) == [], key


def second_account(urls: dict[str, str], someone: Person) -> None:
    """A second account in every shop, found by e-mail: two rows in every table."""
    for url in urls.values():
        company_schemas.fill_webbutik(
            url,
            subject_id=someone.subject_id + 1000,
            email=someone.email,
            phone=someone.phone,
            marker=f"{someone.marker}b",
        )


def _collecting(into: list[str]) -> Callable[..., None]:
    def listen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        into.append(statement)

    return listen


def test_a_tables_rows_are_read_once_for_all_its_categories_or_streamed(
    session: Session, policy: Policy, shops: dict[str, str]
) -> None:
    """A subject's few rows of a table are read in one statement for all the table's
    categories; more rows than a batch are read per category, streamed. The document is the
    same either way."""
    alfa = person(session, shops, "Alfa", 8)
    second_account(shops, alfa)
    sent: dict[str, list[str]] = {key: [] for key in shops}

    def categories(batch_size: int) -> list[dict[str, Any]]:
        for statements in sent.values():
            statements.clear()
        out = io.StringIO()
        write_extract_json(
            session, out, policy=policy, subject_id=alfa.subject_id, batch_size=batch_size
        )
        found: list[dict[str, Any]] = json.loads(out.getvalue())["categories"]
        return found

    categories(1000)  # each shop reflected before counting
    listeners = {key: _collecting(sent[key]) for key in shops}
    for key, url in shops.items():
        event.listen(engine_for(url, True), "before_cursor_execute", listeners[key])
    try:
        read_ahead = categories(1000)
        ahead_statements = {key: len(statements) for key, statements in sent.items()}
        streamed = categories(1)
        streamed_statements = {key: len(statements) for key, statements in sent.items()}
    finally:
        for key, url in shops.items():
            event.remove(engine_for(url, True), "before_cursor_execute", listeners[key])
    assert read_ahead == streamed
    shown = [
        len(table["rows"])
        for category in read_ahead
        for table in category["tables"]
        if table["system"] != "register"
    ]
    assert shown
    assert set(shown) == {2}
    # One statement per mapped table; with batches of one row, more per table and category.
    assert ahead_statements == {key: len(SHOP_TEXT_COLUMNS) for key in shops}
    assert all(streamed_statements[key] > len(SHOP_TEXT_COLUMNS) for key in shops)


def _open_transactions(url: str) -> int:
    """Transactions open in the server database behind `url` (0 for SQLite, which keeps none
    between statements here), counted from a connection of the test's own."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return 0
    if parsed.get_backend_name() == "postgresql":
        query = (
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = :db AND state LIKE 'idle in transaction%'"
        )
        admin_url = POSTGRES_ADMIN_URL
    else:
        query = (
            "SELECT count(*) FROM information_schema.innodb_trx t "
            "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
            "WHERE p.db = :db"
        )
        admin_url = MARIADB_ADMIN_URL
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        # MariaDB's list of transactions is a snapshot renewed at most every 0.1 s: a
        # transaction just ended may still be listed for that long, one left open stays.
        deadline = time.monotonic() + 2
        while True:
            with admin.connect() as connection:
                found = int(connection.scalar(text(query), {"db": parsed.database}) or 0)
            if found == 0 or time.monotonic() > deadline:
                return found
            time.sleep(0.05)
    finally:
        admin.dispose()


@pytest.mark.parametrize("batch_size", [1000, 1])
@pytest.mark.parametrize("failure", ["table_dropped", "system_unreachable"])
def test_an_extract_failing_midway_leaves_nothing_open_in_the_other_systems(
    session: Session,
    policy: Policy,
    shops: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
    batch_size: int,
) -> None:
    """The extract reads each system on one connection: a subject's few rows of each table
    at once, then the connection goes back; more rows than a batch (two rows here, in
    batches of one) per category, on a connection held until the document ends. Failing in
    one system after the others were read must hand every connection back at once, with its
    transaction ended, not when the failed extract is collected: an open transaction would,
    for one, keep MariaDB's DROP DATABASE waiting."""
    alfa = person(session, shops, "Alfa", 7)
    second_account(shops, alfa)

    def extract() -> None:
        write_extract_json(
            session, io.StringIO(), policy=policy, subject_id=alfa.subject_id, batch_size=batch_size
        )

    extract()  # each system reflected while it was there
    last = entries.current().external[-1].key
    if failure == "table_dropped":
        # The fraud checks are the policy's last category: every shop was read before.
        with create_engine(shops[last]).connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET lock_timeout = '5s'"))  # never hang the suite
            elif connection.dialect.name == "mysql":
                connection.execute(text("SET SESSION lock_wait_timeout = 5"))
            connection.execute(text("DROP TABLE fraud_signal"))
            connection.commit()
    else:
        monkeypatch.setenv(url_variable(last), "postgresql://dataskydd:hemligt@127.0.0.1:1/x")
    with pytest.raises(SystemUnavailable, match=last):
        extract()
    for key, url in shops.items():
        assert engine_for(url, True).pool.checkedout() == 0, key  # type: ignore[attr-defined]
        assert _open_transactions(url) == 0, key
