"""`dataskydd breaches ...` end to end on SQLite and PostgreSQL: record, list, show, update,
the IMY draft as PDF and JSON, decisions, the affected subjects and their mails, refusals with
the field and exit code 2, and the promise that follows."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from dataskydd.cli import _context
from dataskydd.clock import utc_now
from dataskydd.datamap.entries import contact_category
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service
from tests.breaches.conftest import local, record_options
from tests.cli.conftest import (  # noqa: F401 (fixtures, the read guard among them)
    Run,
    every_read_is_decided,
    on_postgres,
    run,
    workdir,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli(
    request: pytest.FixtureRequest,
    workdir: Path,  # noqa: F811
    run: Run,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Run]:
    if request.param == "sqlite":
        assert run("init", "--admin-password", "Korrekt-Häst-Batteri-9").exit_code == 0
        yield run
        return
    with on_postgres("brcli", monkeypatch):
        result = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
        assert result.exit_code == 0, result.output
        yield run


def _record(cli: Run, policy: Policy, *extra: str, hours_ago: int = 2) -> int:
    options = record_options(policy, hours_ago=hours_ago)
    result = cli("breaches", "record", "--json", *options, *extra)
    assert result.exit_code == 0, result.output
    return int(json.loads(result.output)["breach"])


def test_the_whole_flow(cli: Run, policy: Policy, tmp_path: Path) -> None:
    with _context.cli_transaction() as session:
        for number in range(2):
            register_service.create_subject(
                session,
                actor="test",
                data={
                    "given_name": "Ada",
                    "family_name": f"Berg{number}",
                    "emails": [f"ada{number}@example.se"],
                },
            )
    breach = _record(cli, policy)
    listed = json.loads(cli("breaches", "list", "--json").output)
    assert [row["breach"] for row in listed] == [breach]
    assert listed[0]["deadline"]["passed"] is False
    shown = cli("breaches", "show", str(breach))
    assert "Left: 69 h" in shown.output or "Left: 70 h" in shown.output
    updated = cli("breaches", "update", str(breach), "--subjects", "40")
    assert "changed subjects_approx" in updated.output
    pdf = tmp_path / "imy.pdf"
    assert cli("breaches", "notification", str(breach), "--out", str(pdf)).exit_code == 0
    words = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages
    )
    assert "a) Incidentens art" in words
    assert "d) Åtgärder" in words
    draft = tmp_path / "imy.json"
    made = cli(
        "breaches", "notification", str(breach), "--format", "json", "--lang", "en",
        "--out", str(draft),
    )  # fmt: skip
    assert made.exit_code == 0
    data = json.loads(draft.read_text(encoding="utf-8"))
    assert data["art_33_3_a_nature"]["approximate_number_of_subjects"] == 40
    preview = json.loads(
        cli("breaches", "affected", str(breach), "--category", contact_category(), "--json").output
    )
    assert preview["selected"] == 2
    early = cli(
        "breaches", "notify-subjects", str(breach), "--category", contact_category(), "--yes"
    )
    assert early.exit_code == 5  # the decision comes first
    decided = cli("breaches", "decide", str(breach), "subjects-notify", "--reason", "Hög risk.")
    assert decided.exit_code == 0
    for _ in range(2):
        told = cli(
            "breaches", "notify-subjects", str(breach), "--category", contact_category(),
            "--yes", "--json",
        )  # fmt: skip
        assert told.exit_code == 0, told.output
    assert json.loads(told.output)["already_notified"] == 2
    with _context.cli_transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 2
    sent = cli(
        "breaches", "notified", str(breach), "--sent-at", local(utc_now()),
        "--reference", "IMY-2026-1",
    )  # fmt: skip
    assert sent.exit_code == 0
    assert "phase 1" in sent.output
    after = json.loads(cli("breaches", "show", str(breach), "--json").output)
    assert after["imy"]["decision"] == "notified"
    assert [e["kind"] for e in after["history"]] == [
        "recorded", "updated", "subjects_decided", "subjects_notified", "subjects_notified",
        "imy_notified",
    ]  # fmt: skip


def test_refusals_name_the_field(cli: Run, policy: Policy) -> None:
    breach = _record(cli, policy)
    bad_day = cli("breaches", "update", str(breach), "--aware", "2026-02-30 10:00")
    assert bad_day.exit_code == 2
    assert "aware_at" in bad_day.output
    future = cli("breaches", "update", str(breach), "--aware", local(utc_now() + timedelta(days=1)))
    assert future.exit_code == 2
    unknown = cli("breaches", "affected", str(breach), "--category", "no_such_category")
    assert unknown.exit_code == 2
    assert "categories" in unknown.output
    assert cli("breaches", "show", "999").exit_code == 3
    ground = cli("breaches", "decide", str(breach), "subjects-not-notify", "--reason", "Krypterat")
    assert ground.exit_code == 2
    assert "ground" in ground.output


def test_the_promise_is_broken_past_72_hours_until_a_decision(cli: Run, policy: Policy) -> None:
    breach = _record(cli, policy, hours_ago=80)
    broken = cli("promises", "--json")
    found = next(
        p for p in json.loads(broken.output)["promises"] if p["key"] == "breaches_notified"
    )
    assert found["status"] == "broken"
    assert found["offending"] == [f"breach:{breach}"]
    cli("breaches", "decide", str(breach), "imy-not-notify", "--reason", "Ingen risk: krypterat.")
    kept = cli("promises", "--json")
    found = next(p for p in json.loads(kept.output)["promises"] if p["key"] == "breaches_notified")
    assert found["status"] == "holds"
