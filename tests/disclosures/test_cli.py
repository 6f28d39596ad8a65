"""`dataskydd disclosures record|list|show|lift|handover` on SQLite and PostgreSQL: bad input is
one line naming the field with exit code 2 and nothing written; the handover file appears whole
or not at all; the registerutdrag leaves a confidential disclosure out until it is lifted."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from dataskydd import runtime
from dataskydd.cli._context import cli_transaction
from dataskydd.config import get_settings
from dataskydd.db.session import make_engine
from dataskydd.policy.schema import Policy
from dataskydd.register import service
from tests.cli.conftest import Run, every_read_is_decided, run, workdir
from tests.conftest import POSTGRES_URL, unavailable
from tests.disclosures.conftest import case_purpose

# The CLI fixtures, shared with tests/cli (imported, so pytest finds them here).
__all__ = ["every_read_is_decided", "run", "workdir"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ready(request: pytest.FixtureRequest, workdir: Path, run: Run) -> Iterator[Run]:
    """An initialised database: the workdir's SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        result = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
        assert result.exit_code == 0, result.output
        yield run
        return
    schema = f"cli_disc_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        admin.dispose()
        unavailable("PostgreSQL at " + POSTGRES_URL, error)
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATASKYDD_DATABASE_URL", url)
    get_settings.cache_clear()
    runtime.engine_for.cache_clear()
    try:
        result = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
        assert result.exit_code == 0, result.output
        yield run
    finally:
        runtime.engine_for(url).dispose()
        runtime.engine_for.cache_clear()
        monkeypatch.undo()
        get_settings.cache_clear()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _customer(given: str) -> int:
    with cli_transaction() as session:
        return service.create_subject(
            session,
            actor="test",
            data={"given_name": given, "family_name": "Holm", "emails": [f"{given}@example.se"]},
        ).id


def _record(run: Run, policy: Policy, subject_id: int, *extra: str) -> Any:
    categories = policy.purposes[case_purpose(policy)].categories[:2]
    args = [
        "disclosures",
        "record",
        "--authority",
        "Skatteverket",
        "--kind",
        "tax_agency",
        "--ground",
        "Skatteförfarandelagen 37 kap.",
        "--reference",
        "131 456789-26/113",
        "--description",
        "Fakturor och betalningar 2025.",
        "--subject",
        str(subject_id),
        "--requested-on",
        "2026-11-02",
        "--handed-over-on",
        "2026-11-05",
        "--json",
    ]
    for key in categories:
        args += ["--category", key]
    return run(*args, *extra)


def test_record_list_show_and_the_registerutdrag(
    ready: Run, policy: Policy, tmp_path: Path
) -> None:
    subject_id = _customer("nils")
    shown = _record(ready, policy, subject_id)
    assert shown.exit_code == 0, shown.output
    shown_id = json.loads(shown.stdout)["id"]
    secret = _record(
        ready,
        policy,
        subject_id,
        "--confidential",
        "--confidential-ground",
        "OSL 18 kap. 1 §",
    )
    assert secret.exit_code == 0, secret.output
    secret_id = json.loads(secret.stdout)["id"]
    listed = json.loads(ready("disclosures", "list", "--subject", str(subject_id), "--json").stdout)
    assert listed["total"] == 2
    assert {d["id"]: d["confidential_now"] for d in listed["disclosures"]} == {
        shown_id: False,
        secret_id: True,
    }
    export = ready("subject", "export", str(subject_id), "--out", str(tmp_path / "utdrag"))
    assert export.exit_code == 0, export.output
    document = json.loads((tmp_path / "utdrag" / "registerutdrag.json").read_text())
    items = document["processing"]["disclosures"]["items"]
    assert [i["id"] for i in items] == [shown_id]
    detail = json.loads(ready("disclosures", "show", str(secret_id), "--json").stdout)
    assert detail["subjects"] == [subject_id]
    # Once per registerutdrag package: its JSON and PDF come from one read (issue 13).
    assert detail["times_withheld"] == 1
    lifted = ready("disclosures", "lift", str(secret_id), "--reason", "Sekretessen har upphört")
    assert lifted.exit_code == 0, lifted.output
    again = ready("subject", "export", str(subject_id), "--out", str(tmp_path / "igen"))
    assert again.exit_code == 0, again.output
    document = json.loads((tmp_path / "igen" / "registerutdrag.json").read_text())
    items = document["processing"]["disclosures"]["items"]
    assert sorted(i["id"] for i in items) == sorted([shown_id, secret_id])


def test_bad_input_is_one_line_naming_the_field_and_nothing_is_written(
    ready: Run, policy: Policy
) -> None:
    subject_id = _customer("eva")
    cases = [
        (("--category", "no_such_category"), "categories: unknown category"),
        (("--requested-on", "2026-02-30"), "requested_on: is not a date that exists"),
        (("--handed-over-on", "2999-01-01"), "handed_over_on: must not be in the future"),
        (("--subject", str(subject_id + 1000)), f"no subject with id {subject_id + 1000}"),
    ]
    for extra, message in cases:
        result = _record(ready, policy, subject_id, *extra)
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output
    listed = json.loads(ready("disclosures", "list", "--json").stdout)
    assert listed["total"] == 0
    missing = ready("disclosures", "show", "4711")
    assert missing.exit_code == 3


def test_handover_writes_the_disclosed_data_through_the_case(
    ready: Run, policy: Policy, tmp_path: Path
) -> None:
    subject_id = _customer("kim")
    recorded = _record(ready, policy, subject_id)
    disclosure_id = json.loads(recorded.stdout)["id"]
    out = tmp_path / "handover.json"
    result = ready("disclosures", "handover", str(disclosure_id), "--out", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["disclosure"]["id"] == disclosure_id
    assert [s["subject_id"] for s in document["subjects"]] == [subject_id]
    ordinary = next(key for key, p in policy.purposes.items() if not p.case_required)
    refused_out = tmp_path / "refused.json"
    refused = ready(
        "disclosures",
        "handover",
        str(disclosure_id),
        "--out",
        str(refused_out),
        "--purpose",
        ordinary,
    )
    assert refused.exit_code == 2
    assert "purpose:" in refused.output
    assert not refused_out.exists()
    assert list(tmp_path.glob(".refused.json.*")) == []
