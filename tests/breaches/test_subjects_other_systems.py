"""Telling the affected subjects (art. 34) selected in another system of the data map (issue
12): the bookshop's customer club, a database of its own on SQLite, PostgreSQL and MariaDB,
whose rows reach the register's subjects by personnummer, e-mail, phone and customer number,
one table through a foreign-key hop. The selection picks exactly the subjects with rows there
still holding a value of the category (an empty column is no data; data only in the register
is not the system's), the preview's count is the batches' total, an unreachable system names
itself (never its URL) and nothing is sent, and each selected subject is mailed once, by the
service and on the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext
from dataskydd.breaches import affected, decisions, records, subject_notice
from dataskydd.breaches.models import BreachSubjectNotice
from dataskydd.cli import _context
from dataskydd.config import get_settings
from dataskydd.datamap import entries
from dataskydd.datamap.connections import SystemUnavailable, url_variable
from dataskydd.datamap.map_files import load_map_directory
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service
from tests.breaches.conftest import breach_input, local
from tests.cli.conftest import (  # noqa: F401 (fixtures, the read guard among them)
    Run,
    every_read_is_decided,
    run,
    workdir,
)
from tests.conftest import REPO
from tests.external_databases import KINDS, external_database

BOKHANDEL = REPO / "examples" / "bokhandel"

CLUB = MetaData()
MEMBER = Table(
    "club_member",
    CLUB,
    Column("id", Integer, primary_key=True),
    Column("personnummer", String(13)),
    Column("email", String(200)),
    Column("nickname", String(100)),
    Column("member_no", Integer),
)
VISIT = Table(
    "club_visit",
    CLUB,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("club_member.id"), nullable=False),
    Column("visited_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)
SMS = Table(
    "club_sms",
    CLUB,
    Column("id", Integer, primary_key=True),
    Column("phone", String(30), nullable=False),
    Column("message", Text),
)

CLUB_MAP = """\
system: {key}
title: {{sv: Kundklubben, en: The customer club}}
tables:
  club_member:
    links:
      - match: {{column: personnummer, identifier: personnummer}}
      - match: {{column: email, identifier: email}}
      - match: {{column: member_no, identifier: customer_number}}
    columns:
      personnummer: personnummer
      email: kontaktuppgifter
      nickname: kunduppgifter
    technical: [id, member_no]
    on_erase: anonymise
  club_visit:
    links:
      - via: [{{column: member_id, table: club_member}}]
        match: {{column: personnummer, identifier: personnummer}}
      - via: [{{column: member_id, table: club_member}}]
        match: {{column: email, identifier: email}}
      - via: [{{column: member_id, table: club_member}}]
        match: {{column: member_no, identifier: customer_number}}
    columns:
      note: kundkonto
    technical: [id, member_id, visited_at]
    time_column: visited_at
    on_erase: blank
  club_sms:
    links:
      - match: {{column: phone, identifier: phone}}
    columns:
      phone: kontaktuppgifter
      message: nyhetsbrev
    technical: [id]
"""


@dataclass(frozen=True)
class Club:
    key: str
    url: str


@dataclass(frozen=True)
class People:
    alfa: int  # member by personnummer (short form); e-mail column empty, nickname set
    beta: int  # member by e-mail (other case); a visit with a note
    gamma: int  # in the register only
    delta: int  # an SMS row by phone, in the national spelling
    epsilon: int  # member by customer number only; a visit without a note
    everyone: tuple[int, ...]  # the five and some without any row in the club


@pytest.fixture
def policy_file() -> Path:
    return BOKHANDEL / "policy.yaml"


@contextmanager
def _club(kind: str, directory: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Club]:
    """The customer club on one kind of server, a system of the data map installed (its
    directory in DATASKYDD_DATA_MAP too, for the command line)."""
    key = f"brclub_{kind}"
    maps = directory / "data-map"
    maps.mkdir()
    (maps / "register.yaml").write_text((BOKHANDEL / "data-map" / "register.yaml").read_text())
    (maps / f"{key}.yaml").write_text(CLUB_MAP.format(key=key))
    with external_database(kind, directory) as url:
        engine = create_engine(url)
        try:
            CLUB.create_all(engine)
        finally:
            engine.dispose()
        monkeypatch.setenv(url_variable(key), url)
        monkeypatch.setenv("DATASKYDD_DATA_MAP", str(maps))
        get_settings.cache_clear()
        entries.install(load_map_directory(maps))
        yield Club(key, url)


@pytest.fixture(params=KINDS)
def club(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Club]:
    with _club(request.param, tmp_path, monkeypatch) as made:
        yield made


def _pnr(date_part: str, serial: str) -> str:
    """A valid personnummer (YYYYMMDD + three digits + the Luhn check digit)."""
    digits = date_part[2:] + serial
    total = 0
    for index, digit in enumerate(int(d) for d in digits):
        product = digit * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return f"{date_part}{serial}{(10 - total % 10) % 10}"


def _subject(session: Session, name: str, **data: object) -> int:
    subject = register_service.create_subject(
        session, actor="test", data={"given_name": name, "family_name": "Klubb", **data}
    )
    session.flush()
    return subject.id


def _people(session: Session, club: Club) -> People:
    alfa_pnr = _pnr("19811218", "987")
    alfa = _subject(session, "Alfa", personnummer=alfa_pnr, emails=["alfa@example.se"])
    bystander = _subject(session, "Bystander", emails=["by@example.se"])
    beta = _subject(session, "Beta", emails=["beta@example.se"])
    gamma = _subject(
        session,
        "Gamma",
        personnummer=_pnr("19900101", "123"),
        emails=["gamma@example.se"],
        phones=["+46709998877"],
    )
    delta = _subject(session, "Delta", emails=["delta@example.se"], phones=["+46701234567"])
    epsilon = _subject(session, "Epsilon", emails=["epsilon@example.se"])
    others = [_subject(session, f"Extra{n}", emails=[f"extra{n}@example.se"]) for n in range(3)]
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    engine = create_engine(club.url)
    try:
        with engine.begin() as connection:
            short = f"{alfa_pnr[2:8]}-{alfa_pnr[8:]}"
            connection.execute(
                insert(MEMBER).values(personnummer=short, email=None, nickname="Alfa i klubben")
            )
            beta_member = connection.execute(
                insert(MEMBER).values(email="Beta@Example.SE", nickname=None)
            ).inserted_primary_key[0]
            connection.execute(
                insert(VISIT).values(member_id=beta_member, visited_at=at, note="Frågade om rea")
            )
            epsilon_member = connection.execute(
                insert(MEMBER).values(member_no=epsilon, nickname="Eps")
            ).inserted_primary_key[0]
            connection.execute(insert(VISIT).values(member_id=epsilon_member, visited_at=at))
            connection.execute(insert(SMS).values(phone="070-123 45 67", message="Välkommen"))
            # Rows of no register subject: they find no one.
            connection.execute(
                insert(MEMBER).values(email="nobody@example.se", nickname="Ingen", member_no=0)
            )
            connection.execute(insert(SMS).values(phone="0701111111", message="Hej"))
    finally:
        engine.dispose()
    return People(
        alfa, beta, gamma, delta, epsilon, (alfa, bystander, beta, gamma, delta, epsilon, *others)
    )


def _selected(session: Session, chosen: affected.Selection, size: int) -> list[int]:
    found: list[int] = []
    for batch in affected.batches(session, chosen, size=size):
        assert 0 < len(batch) <= size
        assert batch == sorted(batch)
        found.extend(batch)
    assert found == sorted(set(found)), "ascending, each subject once"
    return found


def test_the_selection_picks_exactly_the_subjects_with_rows_holding_the_category(
    session: Session, policy: Policy, club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _people(session, club)
    # A few register subjects per question to the club: the walk takes several batches.
    monkeypatch.setattr(affected, "SUBJECTS_PER_QUESTION", 2)
    expected = {
        # The e-mail column of Alfa's and Epsilon's member rows is empty; Gamma's contact
        # details are in the register only.
        ("kontaktuppgifter",): [people.beta, people.delta],
        ("kunduppgifter",): [people.alfa, people.epsilon],
        ("personnummer",): [people.alfa],
        # Through the hop to the member: Epsilon's visit has no note.
        ("kundkonto",): [people.beta],
        ("kontaktuppgifter", "kunduppgifter"): sorted(
            [people.alfa, people.beta, people.delta, people.epsilon]
        ),
        ("bestallningar",): [],  # a category the club does not hold
    }
    for categories, subjects in expected.items():
        chosen = affected.selection(policy, list(categories), club.key)
        assert chosen.system == club.key
        for size in (1, 2, 1000):
            assert _selected(session, chosen, size) == subjects, (categories, size)
        assert affected.count(session, chosen) == len(subjects), categories
    # The same category in the register picks the register's holders, Gamma among them.
    in_register = affected.selection(policy, ["kontaktuppgifter"], None)
    assert set(people.everyone) <= set(_selected(session, in_register, 1000))


def test_an_unreachable_system_is_named_and_nothing_is_sent(
    session: Session,
    policy: Policy,
    dpo: AccessContext,
    club: Club,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _people(session, club)
    breach = records.record_breach(session, policy, dpo, breach_input(policy))
    decisions.decide_subjects(session, dpo, breach.id, notify=True, reason="Hög risk för nätfiske.")
    chosen = affected.selection(policy, ["kontaktuppgifter"], club.key)
    down = "postgresql://dataskydd:hemligt@127.0.0.1:1/nowhere"
    monkeypatch.setenv(url_variable(club.key), down)
    for attempt in (
        lambda: affected.count(session, chosen),
        lambda: subject_notice.preview(session, policy, dpo, breach.id, chosen),
        lambda: subject_notice.notify_subjects(session, policy, dpo, breach.id, chosen),
    ):
        with pytest.raises(SystemUnavailable) as caught:
            attempt()
        assert club.key in caught.value.message
        assert "hemligt" not in caught.value.message
        assert "127.0.0.1" not in caught.value.message
    monkeypatch.delenv(url_variable(club.key))
    with pytest.raises(SystemUnavailable) as unset:
        subject_notice.notify_subjects(session, policy, dpo, breach.id, chosen)
    assert club.key in unset.value.message
    assert session.scalar(select(func.count()).select_from(OutboxMail)) == 0
    assert session.scalar(select(func.count()).select_from(BreachSubjectNotice)) == 0


def test_the_subjects_selected_in_the_system_are_mailed_once(
    session: Session, policy: Policy, dpo: AccessContext, club: Club
) -> None:
    people = _people(session, club)
    breach = records.record_breach(session, policy, dpo, breach_input(policy))
    decisions.decide_subjects(session, dpo, breach.id, notify=True, reason="Hög risk för nätfiske.")
    chosen = affected.selection(policy, ["kontaktuppgifter", "kundkonto"], club.key)
    assert subject_notice.preview(session, policy, dpo, breach.id, chosen) == {
        "selected": 2,
        "already_notified": 0,
        "to_notify": 2,
    }
    first = subject_notice.notify_subjects(session, policy, dpo, breach.id, chosen, batch_size=1)
    assert (first.selected, first.queued, first.already, first.no_address) == (2, 2, 0, 0)
    assert first.subject_ids == [people.beta, people.delta]
    again = subject_notice.notify_subjects(session, policy, dpo, breach.id, chosen)
    assert (again.queued, again.already) == (0, 2)
    mails = session.scalars(select(OutboxMail)).all()
    assert sorted(m.to_address for m in mails) == ["beta@example.se", "delta@example.se"]
    assert sorted(m.subject_id for m in mails) == [people.beta, people.delta]
    assert subject_notice.preview(session, policy, dpo, breach.id, chosen) == {
        "selected": 2,
        "already_notified": 2,
        "to_notify": 0,
    }


def test_notify_subjects_on_the_command_line_selects_in_the_system(
    run: Run,  # noqa: F811
    workdir: Path,  # noqa: F811
    policy: Policy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _club("sqlite", workdir, monkeypatch) as shop:
        assert run("init", "--admin-password", "Korrekt-Häst-Batteri-9").exit_code == 0
        with _context.cli_transaction() as session:
            people = _people(session, shop)
        fields = breach_input(policy)
        recorded = run(
            "breaches", "record", "--json", "--title", fields.title,
            "--aware", local(datetime.now(UTC) - timedelta(hours=2)),
            "--nature", "confidentiality", "--description", fields.description,
            "--category", "kontaktuppgifter", "--subject-kind", fields.subject_kinds[0],
            "--subjects", "2", "--records", "2", "--consequences", fields.consequences,
            "--measures-taken", fields.measures_taken,
            "--measures-planned", fields.measures_planned,
        )  # fmt: skip
        assert recorded.exit_code == 0, recorded.output
        breach = str(json.loads(recorded.output)["breach"])
        select_args = ("--category", "kontaktuppgifter", "--system", shop.key)
        preview = run("breaches", "affected", breach, *select_args, "--json")
        assert preview.exit_code == 0, preview.output
        assert json.loads(preview.output)["selected"] == 2
        decided = run("breaches", "decide", breach, "subjects-notify", "--reason", "Hög risk.")
        assert decided.exit_code == 0, decided.output
        monkeypatch.setenv(url_variable(shop.key), "mysql://dataskydd:hemligt@127.0.0.1:1/x")
        down = run("breaches", "notify-subjects", breach, *select_args, "--yes")
        assert down.exit_code == 1
        assert shop.key in down.output
        assert "hemligt" not in down.output
        monkeypatch.setenv(url_variable(shop.key), shop.url)
        for _ in range(2):
            told = run("breaches", "notify-subjects", breach, *select_args, "--yes", "--json")
            assert told.exit_code == 0, told.output
        assert json.loads(told.output)["already_notified"] == 2
        with _context.cli_transaction() as session:
            mails = session.scalars(select(OutboxMail)).all()
            assert sorted(m.subject_id for m in mails) == [people.beta, people.delta]
