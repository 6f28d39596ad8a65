"""`dataskydd recipients ...` through the root command on SQLite and PostgreSQL: recording an
agreement with its document, listing, showing, saving the document back, the findings, and
`policy check` reporting the register; bad input refused naming the field, nothing saved."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from dataskydd import runtime
from dataskydd.audit.models import AuditEntry
from dataskydd.cli import app
from dataskydd.config import get_settings
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.policy.schema import Policy
from dataskydd.recipients.models import RecipientAgreement, RecipientDocument
from tests.conftest import POSTGRES_URL, TEST_SECRET, company_env
from tests.recipients.conftest import pdf_bytes, processor

Run = Callable[..., Result]
TODAY = dt.date.today()  # the CLI reads the clock; dates below are relative to it
SIGNED = (TODAY - dt.timedelta(days=10)).isoformat()
REVIEW = (TODAY + dt.timedelta(days=365)).isoformat()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dataskydd.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        yield url, engine
        engine.dispose()
        return
    schema = f"rcli_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        yield url, engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def run(
    database: tuple[str, Engine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy_file: Path | None,
) -> Iterator[Run]:
    monkeypatch.chdir(tmp_path)
    for name in ("DATASKYDD_POLICY_FILE", "DATASKYDD_DATA_MAP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATASKYDD_DATABASE_URL", database[0])
    monkeypatch.setenv("DATASKYDD_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("DATASKYDD_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    monkeypatch.setenv("DATASKYDD_RECIPIENT_DOCUMENT_MAX_BYTES", "20000")
    for name, value in company_env(policy_file).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runtime.engine_for.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    runtime.engine_for.cache_clear()
    get_settings.cache_clear()


def _count(database: tuple[str, Engine], model: type[object]) -> int:
    with Session(database[1]) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _pdf(path: Path, text: str = "Avtal") -> Path:
    path.write_bytes(pdf_bytes(text))
    return path


def test_record_list_show_and_save_the_document(
    run: Run, policy: Policy, tmp_path: Path, database: tuple[str, Engine]
) -> None:
    key = processor(policy).key
    document = _pdf(tmp_path / "Biträdesavtal.pdf")
    recorded = run(
        "recipients", "agreement", key, "--signed", SIGNED, "--review", REVIEW,
        "--document", str(document),
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    assert f"recorded for {key}" in recorded.output

    listed = {row["key"]: row for row in json.loads(run("recipients", "list", "--json").stdout)}
    assert listed[key]["status"] == "ok"
    assert listed[key]["agreement"]["signed_on"] == SIGNED
    assert listed[key]["agreement"]["categories"] == list(processor(policy).categories)

    shown = json.loads(run("recipients", "show", key, "--json").stdout)
    assert [a["review_on"] for a in shown["history"]] == [REVIEW]
    assert shown["findings"] == []

    out = tmp_path / "copy.pdf"
    saved = run("recipients", "document", key, "--out", str(out))
    assert saved.exit_code == 0, saved.output
    assert out.read_bytes() == document.read_bytes()
    with Session(database[1]) as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {
        "recipient.document.upload",
        "recipient.agreement.record",
        "recipient.document.download",
    } <= actions


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        (["--signed", "2026-02-30", "--review", REVIEW], "signed_on: is not a date that exists"),
        (["--signed", SIGNED, "--review", SIGNED], "review_on: must be after the signed date"),
        (
            ["--signed", (TODAY + dt.timedelta(days=1)).isoformat(), "--review", REVIEW],
            "signed_on: must not be in the future",
        ),
        (["--signed", SIGNED, "--review", REVIEW, "--category", "hobbies"], "categories:"),
        (["--signed", SIGNED, "--review", REVIEW, "--country", "XQ"], "country:"),
        (
            ["--signed", SIGNED, "--review", REVIEW, "--transfer-mechanism", "privacy_shield"],
            "transfer_mechanism: the Privacy Shield was invalidated",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    run: Run,
    policy: Policy,
    tmp_path: Path,
    database: tuple[str, Engine],
    arguments: list[str],
    needle: str,
) -> None:
    key = processor(policy).key
    document = _pdf(tmp_path / "a.pdf")
    result = run("recipients", "agreement", key, *arguments, "--document", str(document))
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert _count(database, RecipientAgreement) == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"%PDF-1.7\n" + b"0" * 30_000 + b"\n%%EOF\n", "is larger than the limit of 20000 bytes"),
        (b"MZ\x90\x00" + b"\x00" * 64, "is not a PDF"),
        (b"", "is empty"),
    ],
    ids=["too-large", "wrong-type", "empty"],
)
def test_documents_too_large_or_of_the_wrong_type_save_nothing(
    run: Run,
    policy: Policy,
    tmp_path: Path,
    database: tuple[str, Engine],
    content: bytes,
    needle: str,
) -> None:
    (tmp_path / "avtal.pdf").write_bytes(content)
    result = run(
        "recipients", "agreement", processor(policy).key, "--signed", SIGNED, "--review", REVIEW,
        "--document", str(tmp_path / "avtal.pdf"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"document: {needle}" in result.output
    assert _count(database, RecipientAgreement) == 0
    assert _count(database, RecipientDocument) == 0


def test_a_processor_needs_a_document_and_an_unknown_key_is_not_found(
    run: Run, policy: Policy
) -> None:
    key = processor(policy).key
    result = run("recipients", "agreement", key, "--signed", SIGNED, "--review", REVIEW)
    assert result.exit_code == 2
    assert "document: a processor's agreement needs its signed document" in result.output
    result = run("recipients", "show", "no_such_recipient")
    assert result.exit_code == 3
    result = run("recipients", "document", key, "--out", "x.pdf")
    assert result.exit_code == 3
    assert not Path("x.pdf").exists()


def test_findings_and_policy_check_report_the_register(
    run: Run, policy: Policy, tmp_path: Path
) -> None:
    key = processor(policy).key
    before = run("recipients", "findings", "--json")
    found = json.loads(before.stdout)
    assert {"recipient": key, "code": "agreement_not_stored"}.items() <= next(
        f for f in found if f["recipient"] == key
    ).items()
    assert before.exit_code == (1 if any(f["severity"] == "error" for f in found) else 0)
    assert "register: recipient" not in run("policy", "check").output  # not in use yet

    document = _pdf(tmp_path / "a.pdf")
    run(
        "recipients", "agreement", key, "--signed", SIGNED, "--review", REVIEW,
        "--document", str(document),
    )  # fmt: skip
    after = json.loads(run("recipients", "findings", "--json").stdout)
    assert all(f["recipient"] != key for f in after)
    checked = run("policy", "check").output
    others = [r.key for r in policy.recipients if r.key != key and r.role.value == "processor"]
    assert others
    for other in others:
        assert f"register: recipient '{other}'" in checked
    assert f"register: recipient '{key}'" not in checked
    text_out = run("recipients", "findings").output
    assert f"{others[0]}: agreement_not_stored" in text_out
