"""The policy and the data map checked together (datamap/map_check.py): the bundled pair is
clean; every kind of bad map gives an error naming the file, the line and the field; the live
check compares other systems' maps with their real schemas on PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
)
from sqlalchemy.orm import Session

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.config import Settings
from dataskydd.datamap import connections, map_files
from dataskydd.datamap.map_check import (
    MapFinding,
    check_live,
    check_maps,
    check_unused_tables,
    inspect_system,
)
from dataskydd.datamap.map_files import DataMapError
from dataskydd.db.base import Base
from dataskydd.policy.loader import load_bundled_document
from dataskydd.register import service as register_service
from dataskydd.register.models import UsageKind
from tests.external_databases import KINDS, external_database

assert ALL_MODEL_MODULES

POLICY = load_bundled_document()
REGISTER_YAML = (
    resources.files("dataskydd.datamap").joinpath("bundled/register.yaml").read_text("utf-8")
)
URL_VARIABLE = "DATASKYDD_SYSTEM_CRM_URL"

# Another system: a small CRM whose customers match the subject by e-mail address.
CRM_YAML = """\
system: crm
title: {sv: Kundsystemet, en: The CRM}
tables:
  customer:
    links:
      - match: {column: email, identifier: email}
    columns:
      email: contact
      name: identity
      note: support
    technical: [id, created_at]
    on_erase: anonymise
    time_column: created_at
  orders:
    links:
      - via: [{column: customer_id, table: customer}]
        match: {column: email, identifier: email}
    columns:
      amount: billing
      placed_on: billing
    technical: [id, customer_id]
    time_column: placed_on
unmapped:
  product: the catalogue of products; describes no one
"""


def write_maps(directory: Path, register: str = REGISTER_YAML, **others: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "register.yaml").write_text(register, "utf-8")
    for key, text in others.items():
        (directory / f"{key}.yaml").write_text(text, "utf-8")
    return directory


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line containing `fragment`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in the text")


def check(directory: Path) -> list[MapFinding]:
    documents = map_files.load_map_documents(directory)
    return check_maps(
        POLICY.policy,
        documents.data_map,
        register_metadata=Base.metadata,
        locations=documents.locations,
        policy_source=POLICY.source_name,
        policy_locations=POLICY.locations,
    )


def errors(findings: list[MapFinding]) -> list[MapFinding]:
    return [finding for finding in findings if finding.severity == "error"]


def only_error(findings: list[MapFinding], code: str) -> MapFinding:
    matching = [finding for finding in errors(findings) if finding.code == code]
    assert len(matching) == 1, findings
    return matching[0]


# --- the bundled pair -----------------------------------------------------------------------


def test_the_bundled_policy_and_register_map_check_clean() -> None:
    documents = map_files.load_bundled_documents()
    findings = check_maps(
        POLICY.policy,
        documents.data_map,
        register_metadata=Base.metadata,
        locations=documents.locations,
    )
    assert findings == []


def test_a_map_directory_holding_the_bundled_register_checks_clean(tmp_path: Path) -> None:
    assert check(write_maps(tmp_path / "map")) == []


def test_the_loader_keeps_the_old_entry_points(tmp_path: Path) -> None:
    directory = write_maps(tmp_path / "map")
    loaded, bundled = map_files.load_map_directory(directory), map_files.load_bundled_map()
    # Table maps are known by identity (entries.TableMap): compare what they say.
    assert [vars(t) for t in loaded.register.tables] == [vars(t) for t in bundled.register.tables]
    assert map_files.parse_map(REGISTER_YAML, "register.yaml").key == "register"
    settings = Settings(data_map=directory)
    assert map_files.configured_data_map(settings).register.key == "register"
    assert map_files.configured_data_map(Settings()) is map_files.load_bundled_map()


# --- bad maps: check findings ---------------------------------------------------------------


def test_an_unknown_register_table_is_named_with_file_and_line(tmp_path: Path) -> None:
    text = REGISTER_YAML.replace(
        "unmapped:\n",
        "  loyalty_card:\n    links:\n      - {subject_column: subject_id}\n"
        "    columns:\n      card_number: contract\n    technical: [id, subject_id]\n"
        "unmapped:\n",
    )
    finding = only_error(check(write_maps(tmp_path / "map", text)), "unknown_table")
    assert (finding.source, finding.path) == ("register.yaml", "tables.loyalty_card")
    assert finding.line == line_of(text, "  loyalty_card:")
    assert "loyalty_card" in finding.message


def test_an_unknown_column_is_named_with_file_line_and_field(tmp_path: Path) -> None:
    text = REGISTER_YAML.replace(
        "      given_name: identity\n", "      given_name: identity\n      nickname: identity\n"
    )
    finding = only_error(check(write_maps(tmp_path / "map", text)), "unknown_column")
    assert finding.source == "register.yaml"
    assert finding.path == "tables.subject.columns.nickname"
    assert finding.line == line_of(text, "nickname: identity")
    assert "subject has no column nickname" in finding.message


def test_a_broken_hop_is_named(tmp_path: Path) -> None:
    text = REGISTER_YAML.replace(
        "via: [{column: contract_id, table: contract}]",
        "via: [{column: contract_ref, table: contract}]",
    )
    finding = only_error(check(write_maps(tmp_path / "map", text)), "broken_link")
    assert finding.path == "tables.subscription.links[0].via[0]"
    assert finding.line == line_of(text, "contract_ref")
    assert "subscription.contract_ref" in finding.message


def test_a_hop_along_no_foreign_key_is_named(tmp_path: Path) -> None:
    # payment.invoice_id exists, but it does not refer to connection.id.
    text = REGISTER_YAML.replace(
        "via: [{column: invoice_id, table: invoice}]",
        "via: [{column: invoice_id, table: connection}]",
    )
    finding = only_error(check(write_maps(tmp_path / "map", text)), "broken_link")
    assert finding.path == "tables.payment.links[0].via[0]"
    assert "does not refer to connection.id" in finding.message


def test_an_unknown_category_is_an_error_naming_table_column_and_category(
    tmp_path: Path,
) -> None:
    text = REGISTER_YAML.replace("      model: equipment\n", "      model: hobbies\n")
    finding = only_error(check(write_maps(tmp_path / "map", text)), "unknown_category")
    assert finding.source == "register.yaml"
    assert finding.path == "tables.equipment.columns.model"
    assert finding.line == line_of(text, "model: hobbies")
    assert "table equipment, column model: category 'hobbies'" in finding.message


def test_a_register_column_left_unclassified_is_an_error(tmp_path: Path) -> None:
    text = REGISTER_YAML.replace("      mac_address: equipment\n", "")
    finding = only_error(check(write_maps(tmp_path / "map", text)), "column_not_classified")
    assert finding.path == "tables.equipment"
    assert finding.line == line_of(text, "  equipment:")
    assert "equipment.mac_address" in finding.message


def test_a_register_table_left_out_is_an_error_and_its_category_a_warning(
    tmp_path: Path,
) -> None:
    start = REGISTER_YAML.index("  usage_event:\n")
    end = REGISTER_YAML.index("  outbox_mail:\n")
    text = REGISTER_YAML[:start] + REGISTER_YAML[end:]
    findings = check(write_maps(tmp_path / "map", text))
    finding = only_error(findings, "register_table_not_listed")
    assert finding.path == "tables"
    assert "usage_event" in finding.message
    [warning] = [f for f in findings if f.severity == "warning"]
    assert warning.code == "category_not_held"
    assert (warning.source, warning.path) == (POLICY.source_name, "categories.usage")
    assert warning.line is not None


def test_a_column_the_code_names_must_stay_personal_data(tmp_path: Path) -> None:
    text = REGISTER_YAML.replace("      given_name: identity\n", "").replace(
        "technical: [id, created_at, updated_at]\n    derived: [personnummer_index",
        "technical: [id, given_name, created_at, updated_at]\n    derived: [personnummer_index",
    )
    finding = only_error(check(write_maps(tmp_path / "map", text)), "code_needs_column")
    assert finding.path == "tables.subject"
    assert "subject.given_name" in finding.message


def test_a_table_of_another_system_with_an_unknown_category(tmp_path: Path) -> None:
    crm = CRM_YAML.replace("note: support", "note: gossip")
    finding = only_error(check(write_maps(tmp_path / "map", crm=crm)), "unknown_category")
    assert (finding.source, finding.system, finding.path) == (
        "crm.yaml",
        "crm",
        "tables.customer.columns.note",
    )
    assert finding.line == line_of(crm, "note: gossip")


# --- bad maps: refused when read ------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "says"),
    [
        (
            "    columns:\n      kind: identity\n      given_name",
            "    columns: 5\n    nope:\n      kind: identity\n      given_name",
            "tables.subject.columns",
            "valid dictionary",
        ),
        (
            "    on_erase: anonymise\n    time_column: created_at\n  subject_role",
            "    on_erase: shred\n    time_column: created_at\n  subject_role",
            "tables.subject.on_erase",
            "must be one of delete, blank, anonymise",
        ),
        (
            "      given_name: identity\n",
            "      given_name: identity\n      given_name: contact\n",
            "tables.subject.columns.given_name",
            "duplicate key",
        ),
        (
            "via: [{column: contract_id, table: contract}]",
            "via: [{column: contract_id, table: agreement}]",
            # A rule across tables (map_schema.py's model validator) is reported at the
            # line of the table it is about.
            "tables.subscription",
            "a link hops to agreement",
        ),
    ],
    ids=["wrong-type", "unknown-on-erase", "duplicate-key", "hop-to-unmapped-table"],
)
def test_a_malformed_map_is_refused_naming_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, says: str
) -> None:
    assert old in REGISTER_YAML
    text = REGISTER_YAML.replace(old, new, 1)
    with pytest.raises(DataMapError) as raised:
        map_files.load_map_documents(write_maps(tmp_path / "map", text))
    message = str(raised.value)
    found = re.search(rf"register\.yaml line (\d+): {re.escape(field)}(\W|$)", message)
    assert found, message
    assert says in message
    if field == "tables.subscription":
        assert int(found.group(1)) == line_of(text, "  subscription:")


# --- unused register tables must be empty ---------------------------------------------------


def test_an_unused_register_table_that_holds_rows_is_an_error(
    tmp_path: Path, session: Session
) -> None:
    start = REGISTER_YAML.index("  usage_event:\n")
    end = REGISTER_YAML.index("  outbox_mail:\n")
    text = REGISTER_YAML[:start] + REGISTER_YAML[end:] + "unused: [usage_event]\n"
    documents = map_files.load_map_documents(write_maps(tmp_path / "map", text))
    register = documents.data_map.register
    assert check_unused_tables(register, session, Base.metadata, documents.locations) == []

    subject = register_service.create_subject(
        session, actor="test", data={"kind": "person", "given_name": "Ada", "family_name": "Ek"}
    )
    session.execute(
        insert(Base.metadata.tables["usage_event"]).values(
            subject_id=subject.id, occurred_at=subject.created_at, kind=next(iter(UsageKind))
        )
    )
    [finding] = check_unused_tables(register, session, Base.metadata, documents.locations)
    assert (finding.code, finding.path) == ("unused_table_has_rows", "unused")
    assert finding.line == line_of(text, "unused: [usage_event]")
    assert "usage_event" in finding.message


# --- live: other systems against their real schemas ------------------------------------------


def crm_schema(metadata: MetaData) -> None:
    Table(
        "customer",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(200), nullable=False),
        Column("name", String(200)),
        Column("note", Text),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False),
        Column("amount", Integer, nullable=False),
        Column("placed_on", Date),
    )
    Table("product", metadata, Column("id", Integer, primary_key=True), Column("title", Text))


@pytest.fixture(params=KINDS)
def crm_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A real database of each kind holding the CRM's tables, its URL in the environment."""
    with external_database(request.param, tmp_path) as url:
        metadata = MetaData()
        crm_schema(metadata)
        admin = create_engine(connections.parse_url(url))
        metadata.create_all(admin)
        admin.dispose()
        monkeypatch.setenv(URL_VARIABLE, url)
        try:
            yield url
        finally:
            connections.engine_for(url, True).dispose()


def live(directory: Path) -> list[MapFinding]:
    documents = map_files.load_map_documents(directory)
    return check_live(documents.data_map, Settings(), locations=documents.locations)


def test_a_correct_map_checks_clean_live(tmp_path: Path, crm_url: str) -> None:
    directory = write_maps(tmp_path / "map", crm=CRM_YAML)
    assert check(directory) == []
    assert live(directory) == []


def test_a_missing_column_is_named_live(tmp_path: Path, crm_url: str) -> None:
    crm = CRM_YAML.replace("      name: identity\n", "      name: identity\n      phone: contact\n")
    finding = only_error(live(write_maps(tmp_path / "map", crm=crm)), "missing_column")
    assert (finding.source, finding.system) == ("crm.yaml", "crm")
    assert finding.path == "tables.customer.columns.phone"
    assert finding.line == line_of(crm, "phone: contact")
    assert "table customer has no column phone" in finding.message


def test_blank_on_a_not_null_column_is_named_live(tmp_path: Path, crm_url: str) -> None:
    crm = CRM_YAML.replace("on_erase: anonymise", "on_erase: blank")
    finding = only_error(live(write_maps(tmp_path / "map", crm=crm)), "blank_not_null")
    assert finding.path == "tables.customer.on_erase"
    assert finding.line == line_of(crm, "on_erase: blank")
    assert "customer.email is NOT NULL" in finding.message


def test_broken_links_and_a_time_column_of_the_wrong_type_live(
    tmp_path: Path, crm_url: str
) -> None:
    crm = CRM_YAML.replace(
        "      - match: {column: email, identifier: email}",
        "      - match: {column: mail, identifier: email}",
    ).replace("time_column: created_at", "time_column: name")
    findings = live(write_maps(tmp_path / "map", crm=crm))
    link = only_error(findings, "broken_link")
    assert link.path == "tables.customer.links[0].match.column"
    assert link.line == line_of(crm, "column: mail")
    assert "table customer has no column mail" in link.message
    time = only_error(findings, "time_column_type")
    assert time.path == "tables.customer.time_column"
    assert "customer.name is of type VARCHAR(200)" in time.message


def test_unclassified_and_unlisted_are_warnings_live(tmp_path: Path, crm_url: str) -> None:
    crm = CRM_YAML.replace("      note: support\n", "").replace(
        "unmapped:\n  product: the catalogue of products; describes no one\n", ""
    )
    findings = live(write_maps(tmp_path / "map", crm=crm))
    assert errors(findings) == []
    assert sorted((f.code, f.path) for f in findings) == [
        ("column_not_classified", "tables.customer"),
        ("table_not_listed", "tables"),
    ]


def test_an_unreachable_system_is_named_without_its_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "hemligt-lösenord"
    monkeypatch.setenv(URL_VARIABLE, f"postgresql://crm:{secret}@127.0.0.1:1/crm")
    documents = map_files.load_map_documents(write_maps(tmp_path / "map", crm=CRM_YAML))
    result = inspect_system(
        documents.data_map.system("crm"), Settings(), locations=documents.locations
    )
    assert not result.reachable
    finding = only_error(result.findings, "unreachable")
    assert (finding.source, finding.path, finding.line) == ("crm.yaml", "system", 1)
    assert "system 'crm' cannot be reached" in finding.message
    assert URL_VARIABLE in finding.message
    for leak in (secret, "127.0.0.1", "postgresql://"):
        assert leak not in finding.message
        assert leak not in (result.reason or "")


def test_a_system_without_a_url_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    directory = write_maps(tmp_path / "map", crm=CRM_YAML)
    finding = only_error(live(directory), "unreachable")
    assert "no connection URL" in finding.message
    assert URL_VARIABLE in finding.message


def test_a_missing_sqlite_file_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_VARIABLE, f"sqlite:///{tmp_path / 'gone.db'}")
    finding = only_error(live(write_maps(tmp_path / "map", crm=CRM_YAML)), "unreachable")
    assert "SQLite file not found: gone.db" in finding.message
    assert str(tmp_path) not in finding.message
