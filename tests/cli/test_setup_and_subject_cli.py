"""The operator's path: init, find a subject, show it for a purpose, verify the audit log."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import Result

from dataskydd.access.consents import give_consent
from dataskydd.cli._context import cli_transaction
from dataskydd.register import service
from tests.cli.conftest import Run
from tests.policy_keys import (
    BOOKKEEPING,
    CONTACT,
    CONTRACT_PURPOSE,
    LEGAL_CLAIMS,
    NEWSLETTERS,
    PERSONNUMMER,
    WITHOUT_PERSONNUMMER,
)

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def add_anna() -> int:
    with cli_transaction() as session:
        subject = service.create_subject(
            session,
            actor="test",
            data={
                "given_name": "Anna",
                "family_name": "Svensson",
                "personnummer": "811228-9874",
                "emails": ["anna@example.se"],
                "phones": ["0701234567"],
                "addresses": [{"street": "Storgatan 1", "postal_code": "473 21", "city": "Henån"}],
            },
        )
        return subject.id


class TestInit:
    def test_without_password_prints_a_generated_one_once(self, run: Run, workdir: Path) -> None:
        first = run("init")
        assert first.exit_code == 0, first.output
        assert "Password (shown only now):" in first.output
        assert (workdir / "dataskydd.key").stat().st_mode & 0o077 == 0
        second = run("init")
        assert second.exit_code == 0
        assert "Password" not in second.output
        assert "exist already" in second.output

    def test_weak_admin_password_refused_and_nothing_created(self, run: Run) -> None:
        result = run("init", "--admin-password", "kort")
        assert result.exit_code == 2
        assert "password" in result.output
        assert "Traceback" not in result.output
        again = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
        assert "Created admin account" in again.output

    def test_commands_before_init_say_what_to_do(self, run: Run) -> None:
        result = run("subject", "find", "anna")
        assert result.exit_code == 6
        assert "dataskydd init" in result.output

    def test_database_copied_without_the_key_does_not_reveal_personnummer(
        self, initialised: Result, workdir: Path
    ) -> None:
        add_anna()
        raw = (workdir / "dataskydd.db").read_bytes()
        assert b"8112289874" not in raw
        assert b"811228-9874" not in raw
        with sqlite3.connect(workdir / "dataskydd.db") as connection:
            (stored,) = connection.execute("SELECT personnummer FROM subject").fetchone()
        assert stored.startswith("v1:")


class TestSubjectCommands:
    def test_find_by_personnummer_as_json(self, initialised: Result, run: Run) -> None:
        subject_id = add_anna()
        result = run("subject", "find", "19811228-9874", "--json")
        assert result.exit_code == 0, result.output
        matches = json.loads(result.output)
        assert [m["id"] for m in matches] == [subject_id]
        assert matches[0]["personnummer_masked"] == "19811228-XXXX"

    def test_find_without_match_exits_1(self, initialised: Result, run: Run) -> None:
        result = run("subject", "find", "Ingen Alls")
        assert result.exit_code == 1
        assert "No subject matches" in result.output

    def test_show_groups_by_category_with_basis_and_retention(
        self, initialised: Result, run: Run
    ) -> None:
        subject_id = add_anna()
        result = run("subject", "show", str(subject_id), "--purpose", CONTRACT_PURPOSE)
        assert result.exit_code == 0, result.output
        assert "Anna Svensson" in result.output
        assert "anna@example.se" in result.output
        assert "legal basis: contract" in result.output
        data = json.loads(
            run(
                "subject",
                "show",
                str(subject_id),
                "--purpose",
                CONTRACT_PURPOSE,
                "--json",
                "--lang",
                "en",
            ).output
        )
        contact = next(g for g in data["categories"] if g["category"] == CONTACT)
        assert contact["retention"]

    def test_refused_purpose_exits_4_and_the_refusal_is_audited(
        self, initialised: Result, run: Run
    ) -> None:
        subject_id = add_anna()
        result = run(
            "subject",
            "show",
            str(subject_id),
            "--purpose",
            WITHOUT_PERSONNUMMER,
            "--category",
            PERSONNUMMER,
        )
        assert result.exit_code == 4
        assert f"{WITHOUT_PERSONNUMMER} may not use category {PERSONNUMMER}" in result.output
        log = json.loads(run("audit", "list", "--subject", str(subject_id), "--json").output)
        assert "subject.show.refused" in [entry["action"] for entry in log]

    def test_the_operator_too_needs_the_subjects_consent_and_a_case(
        self, initialised: Result, run: Run
    ) -> None:
        """The command line may state any purpose, but the subject's state still rules."""
        subject_id = add_anna()
        marketing = run("subject", "show", str(subject_id), "--purpose", NEWSLETTERS)
        assert marketing.exit_code == 4
        assert f"no standing consent to purpose {NEWSLETTERS}" in marketing.output
        with cli_transaction() as session:
            give_consent(session, subject_id=subject_id, purpose=NEWSLETTERS, channel="import")
        assert run("subject", "show", str(subject_id), "--purpose", NEWSLETTERS).exit_code == 0
        claims = run("subject", "show", str(subject_id), "--purpose", LEGAL_CLAIMS)
        assert claims.exit_code == 4
        assert "needs a case" in claims.output

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            (["subject", "show", "1", "--purpose", "gossip"], 3, "unknown purpose 'gossip'"),
            (["subject", "show", "999", "--purpose", CONTRACT_PURPOSE], 3, "subject 999"),
            (["subject", "show", "abc", "--purpose", CONTRACT_PURPOSE], 2, "subject_id"),
            (["subject", "show", "1"], 2, "--purpose"),
            (["subject", "show", "1", "--purpose", BOOKKEEPING, "--lang", "de"], 2, "de"),
            (["subject", "find", "  "], 2, "query: is empty"),
            (["subject", "find", "x", "--limit", "0"], 2, "--limit"),
            # Issue 9: ids beyond the schema's 32-bit range are bad input, not an overflow.
            (
                ["subject", "show", "99999999999999999999", "--purpose", BOOKKEEPING],
                2,
                "2147483647",
            ),
            (["subject", "erase", "99999999999999999999", "--dry-run"], 2, "2147483647"),
            (["subject", "export", "0", "--out", "x"], 2, "subject_id"),
            (["audit", "list", "--subject", "99999999999999999999"], 2, "--subject"),
        ],
    )
    def test_bad_input_one_clear_line(
        self, initialised: Result, run: Run, args: list[str], code: int, message: str
    ) -> None:
        add_anna()
        result = run(*args)
        assert result.exit_code == code, result.output
        assert message in result.output
        assert "Traceback" not in result.output


class TestAuditVerify:
    def test_intact_then_broken_after_tampering(
        self, initialised: Result, run: Run, workdir: Path
    ) -> None:
        subject_id = add_anna()
        run("subject", "show", str(subject_id), "--purpose", CONTRACT_PURPOSE)
        ok = run("audit", "verify")
        assert ok.exit_code == 0, ok.output
        assert "intact" in ok.output
        with sqlite3.connect(workdir / "dataskydd.db") as connection:
            connection.execute("DROP TRIGGER audit_entry_no_update")
            connection.execute("UPDATE audit_entry SET purpose = 'marketing' WHERE id = 2")
        broken = run("audit", "verify")
        assert broken.exit_code == 1
        assert "#2" in broken.output
