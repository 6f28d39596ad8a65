"""`dataskydd promises`: exit 0 when no promise is broken, 1 naming each broken one."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from dataskydd import crypto, runtime
from dataskydd.config import get_settings
from dataskydd.db.migrate import upgrade_to_head
from tests.cli.conftest import Run


@pytest.fixture
def initialised(workdir: Path) -> None:
    """What `dataskydd init` does before it creates the admin account: a key and the schema."""
    settings = get_settings()
    crypto.write_key_file(settings.key_file, crypto.generate_secret())
    runtime.install_secret(settings)
    upgrade_to_head(runtime.engine_for(settings.database_url))


@pytest.fixture
def current_policy(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled policy with its agreement reviews moved into the future."""
    bundled = resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml")
    text = re.sub(
        r"review_date: \d{4}-\d{2}-\d{2}", "review_date: 2099-01-01", bundled.read_text("utf-8")
    )
    path = workdir / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DATASKYDD_POLICY_FILE", str(path))
    get_settings.cache_clear()
    return path


def test_nothing_broken_exits_0_and_lists_every_promise(
    initialised: None, current_policy: Path, run: Run
) -> None:
    result = run("promises")
    assert result.exit_code == 0, result.output
    assert "HÅLLS" in result.output
    assert "audit_log: Varje läsning av personuppgifter loggas" in result.output
    assert "EJ KONTROLLERAT" in result.output
    assert "avtalen registreras inte än (ärende 12)" in result.output
    assert "rader kvar efter sin gallringsregel: 0" in result.output
    assert re.search(r"\d+ löften: \d+ hålls, 0 brutna, \d+ ej kontrollerade\.", result.output)


@pytest.fixture
def overdue_policy(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled policy with the hosting agreement's review overdue."""
    bundled = resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml")
    text = bundled.read_text("utf-8").replace("review_date: 2027-11-15", "review_date: 2025-11-15")
    assert "2025-11-15" in text
    path = workdir / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DATASKYDD_POLICY_FILE", str(path))
    get_settings.cache_clear()
    return path


def test_bundled_policy_holds_its_promises(initialised: None, run: Run) -> None:
    result = run("promises", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "0 broken" in result.output


def test_an_overdue_review_is_named_and_exits_1(
    initialised: None, overdue_policy: Path, run: Run
) -> None:
    result = run("promises", "--lang", "en")
    assert result.exit_code == 1
    assert "BROKEN" in result.output
    assert "the review of the agreement was due on 2025-11-15 and is overdue" in result.output
    assert "offending: recipient:hosting" in result.output
    assert re.search(r"Broken promises: .*recipient\.hosting", result.output)


def test_json_in_english_names_the_broken_promise(
    initialised: None, current_policy: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATASKYDD_SESSION_INACTIVITY_SECONDS", "3600")
    get_settings.cache_clear()
    result = run("promises", "--json", "--lang", "en")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["counts"]["broken"] == 1
    [broken] = [p for p in report["promises"] if p["status"] == "broken"]
    assert broken["key"] == "inactivity"
    assert broken["offending"] == ["setting:DATASKYDD_SESSION_INACTIVITY_SECONDS=3600"]
    assert broken["promise"].startswith("If you have been inactive for 15 minutes")


def test_reading_the_report_is_audited(initialised: None, current_policy: Path, run: Run) -> None:
    assert run("promises", "--json").exit_code == 0
    listed = run("audit", "list", "--action", "promises.check", "--json")
    [entry] = json.loads(listed.stdout)
    assert entry["actor"].startswith("cli:")
    assert entry["detail"]["broken"] == []


def test_before_init_says_what_to_do(run: Run) -> None:
    result = run("promises")
    assert result.exit_code == 6
    assert "dataskydd init" in result.output
