"""`dataskydd demo` from the operator's side: refuses bad sizes, writes and summarises."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import Result

from dataskydd.auth import service as auth_service
from dataskydd.cli._context import cli_transaction
from dataskydd.demo.consents import record_demo_consents
from dataskydd.demo.staff import demo_username
from tests.cli.conftest import Run
from tests.conftest import configured_policy_file, load_test_policy
from tests.policy_keys import ADMIN, ANALYST, COMPANY, CUSTOMER_SERVICE, DPO

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def _subjects(workdir: Path) -> int:
    with sqlite3.connect(workdir / "dataskydd.db") as raw:
        return int(raw.execute("SELECT count(*) FROM subject").fetchone()[0])


@pytest.mark.parametrize("customers", ["0", "-5", "1000001"])
def test_out_of_range_customers_is_one_line_and_exit_2(
    run: Run, initialised: Result, workdir: Path, customers: str
) -> None:
    result = run("demo", f"--customers={customers}", "--seed", "1")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: customers: must be between 1 and 1000000"
    assert _subjects(workdir) == 0


def test_writes_customers_and_prints_a_summary(
    run: Run, initialised: Result, workdir: Path
) -> None:
    result = run("demo", "--customers", "25", "--seed", "5", "--reference-date", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert "Demo data written" in result.output
    assert "usage_event" in result.output
    assert "25 customers" in result.output
    assert _subjects(workdir) > 25
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_demo_creates_one_sign_in_per_role_once(initialised: Result, run: Run) -> None:
    first = run("demo", "--customers", "3", "--seed", "7")
    assert first.exit_code == 0, first.output
    # Usernames are the roles' Swedish titles; the admin is `init`'s, not the demo's.
    username = {key: demo_username(role.title.sv) for key, role in COMPANY.roles.items()}
    service = username[CUSTOMER_SERVICE]
    match = re.search(rf"{service}\s+│\s+{CUSTOMER_SERVICE}\s+│\s+(\S+)", first.output)
    assert match, first.output
    for role in (DPO, ANALYST):
        assert re.search(rf"{username[role]}\s+│\s+{role}\s+│", first.output), first.output
    assert not re.search(rf"│\s+{ADMIN}\s+│", first.output)
    with cli_transaction() as session:
        user = auth_service.attempt_login(session, username=service, password=match[1])
        assert user is not None
    second = run("demo", "--customers", "3", "--seed", "8")
    assert "Demo staff" not in second.output


def test_demo_records_the_consents_its_subscriptions_and_activities_carry(
    initialised: Result, run: Run, workdir: Path
) -> None:
    """Each newsletter subscription and participation is a consent the access decision reads;
    recorded once, however often `demo` runs."""
    assert run("demo", "--customers", "30", "--seed", "3").exit_code == 0

    def counts() -> tuple[int, int, int]:
        with sqlite3.connect(workdir / "dataskydd.db") as raw:
            return tuple(  # type: ignore[return-value]
                int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("newsletter_subscription", "participation", "subject_consent")
            )

    subscriptions, participations, consents = counts()
    assert subscriptions + participations > 0
    assert consents == subscriptions + participations
    with cli_transaction() as session:
        assert record_demo_consents(session, policy=load_test_policy(configured_policy_file())) == 0
    assert counts()[2] == consents
