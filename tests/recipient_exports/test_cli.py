"""`dataskydd exports create|list|show` on a fresh installation, on SQLite and PostgreSQL: the
file appears whole with only the allowed categories, or not at all with a clear error."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from dataskydd.audit.models import AuditEntry
from dataskydd.cli._context import cli_transaction
from dataskydd.datamap import entries
from dataskydd.policy.schema import Policy
from dataskydd.recipient_exports.models import RecipientExport
from dataskydd.register.models import Restriction
from tests.cli.conftest import (  # noqa: F401 (fixtures, the read guard among them)
    Run,
    every_read_is_decided,
    initialised,
    run,
    workdir,
)
from tests.cli.test_atomic_exports import database, ready  # noqa: F401 (fixtures)
from tests.recipient_exports.conftest import add_customer
from tests.recipient_exports.keys import export_case


def _customers(count: int) -> list[int]:
    with cli_transaction() as session:
        return [add_customer(session) for _ in range(count)]


def test_an_export_is_written_listed_and_shown(ready: Run, policy: Policy, workdir: Path) -> None:  # noqa: F811
    case = export_case(policy, entries.current())
    ids = _customers(2)
    out = workdir / "till-mottagaren.csv"
    result = ready(
        "exports", "create",
        "--recipient", case.recipient,
        "--purpose", case.purpose,
        "--subjects", ",".join(map(str, ids)),
        "--out", str(out),
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    data = out.read_bytes()
    assert summary["sha256"] == hashlib.sha256(data).hexdigest()
    assert summary["subjects"] == 2
    rows = list(csv.reader(data.decode("utf-8").splitlines()))[1:]
    assert {row[1] for row in rows} <= set(case.allowed)
    assert {int(row[0]) for row in rows} == set(ids)
    listed = json.loads(ready("exports", "list", "--json").output)
    assert [item["export"] for item in listed] == [summary["export"]]
    shown = ready("exports", "show", str(summary["export"]), "--json")
    assert shown.exit_code == 0, shown.output
    assert [s["subject"] for s in json.loads(shown.output)["subject_list"]] == sorted(ids)
    assert "SHA-256" in ready("exports", "show", str(summary["export"])).output
    assert ready("exports", "show", "2147483647").exit_code == 3


def test_a_refused_category_writes_nothing_and_is_audited(
    ready: Run,  # noqa: F811
    policy: Policy,
    workdir: Path,  # noqa: F811
) -> None:
    case = export_case(policy, entries.current())
    (subject,) = _customers(1)
    out = workdir / "export.json"
    result = ready(
        "exports", "create",
        "--recipient", case.recipient,
        "--purpose", case.purpose,
        "--subjects", str(subject),
        "--categories", f"{case.contact},{case.forbidden}",
        "--format", "json",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    assert f"may not receive category {case.forbidden}" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(workdir.glob(".export.json*")) == []
    with cli_transaction() as session:
        assert session.scalar(select(RecipientExport.id)) is None
        actions = list(session.scalars(select(AuditEntry.action)))
    assert "recipient_export.refused" in actions


def test_a_restricted_subject_refuses_the_whole_export(
    ready: Run,  # noqa: F811
    policy: Policy,
    workdir: Path,  # noqa: F811
) -> None:
    case = export_case(policy, entries.current())
    free, restricted = _customers(2)
    with cli_transaction() as session:
        session.add(Restriction(subject_id=restricted, category=case.contact, reason="Tvist"))
    out = workdir / "export.csv"
    result = ready(
        "exports", "create",
        "--recipient", case.recipient,
        "--purpose", case.purpose,
        "--subjects", f"{free},{restricted}",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "1 of 2 may not be exported" in result.output
    assert not out.exists()


def test_bad_input_names_the_field(ready: Run, policy: Policy, workdir: Path) -> None:  # noqa: F811
    case = export_case(policy, entries.current())
    (subject,) = _customers(1)
    base = ["exports", "create", "--recipient", case.recipient, "--purpose", case.purpose]
    out = ["--out", str(workdir / "x.csv")]
    for args, field in [
        (["--subjects", "1,x", *out], "subjects"),
        (["--subjects", "2147483647", *out], "subjects"),
        ([*out], "subjects"),
        (["--subjects", str(subject), "--out", str(workdir)], "out"),
        (["--subjects", str(subject), "--subjects-file", "ids.txt", *out], "subjects"),
        (["--subjects-file", str(workdir / "missing.txt"), *out], "subjects-file"),
    ]:
        result = ready(*base, *args)
        assert result.exit_code == 2, (args, result.output)
        assert f"error: {field}:" in result.output
    assert not (workdir / "x.csv").exists()
    (workdir / "ids.txt").write_text(f"{subject}\n", encoding="utf-8")
    good = ready(*base, "--subjects-file", "ids.txt", *out)
    assert good.exit_code == 0, good.output
