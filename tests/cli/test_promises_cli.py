"""`dataskydd promises`: exit 0 when no promise is broken, 1 naming each broken one."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from dataskydd import crypto, runtime
from dataskydd.cli._context import cli_transaction
from dataskydd.cli._context import current_policy as configured_policy
from dataskydd.config import get_settings
from dataskydd.datamap.connections import url_variable
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.demo.agreements import record_demo_agreements
from dataskydd.policy.schema import RecipientRole
from tests import company_schemas
from tests.cli.conftest import Run
from tests.conftest import configured_policy_file
from tests.policy_keys import COMPANY

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

# The agreements with a review date, in the policy's order.
REVIEWED = [r.key for r in COMPANY.recipients if r.review_date is not None]


def _policy_text() -> str:
    """The policy file of the company under test."""
    configured = configured_policy_file()
    if configured is not None:
        return configured.read_text("utf-8")
    return resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml").read_text("utf-8")


@pytest.fixture(autouse=True)
def own_systems(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fresh databases for the company's other systems: the session's shared ones may hold
    rows other tests wrote, old enough to be past their retention rule."""
    for system in company_schemas.SCHEMAS:
        url = f"sqlite:///{workdir / system}.db"
        company_schemas.create(system, url)
        monkeypatch.setenv(url_variable(system), url)


@pytest.fixture
def initialised(workdir: Path) -> None:
    """What `dataskydd init` does before it creates the admin account: a key and the schema."""
    settings = get_settings()
    crypto.write_key_file(settings.key_file, crypto.generate_secret())
    runtime.install_secret(settings)
    upgrade_to_head(runtime.engine_for(settings.database_url))


def _record_agreements() -> int:
    """The agreements the notice promises, recorded as `dataskydd demo` records them."""
    with cli_transaction() as session:
        return record_demo_agreements(session, policy=configured_policy(), actor="test")


@pytest.fixture
def current_policy(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The company's policy with its agreement reviews moved into the future."""
    text = re.sub(r"review_date: \d{4}-\d{2}-\d{2}", "review_date: 2099-01-01", _policy_text())
    path = workdir / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DATASKYDD_POLICY_FILE", str(path))
    get_settings.cache_clear()
    return path


@pytest.fixture
def agreements_recorded(initialised: None, current_policy: Path) -> None:
    assert _record_agreements() > 0


def test_nothing_broken_exits_0_and_lists_every_promise(
    agreements_recorded: None, run: Run
) -> None:
    result = run("promises")
    assert result.exit_code == 0, result.output
    assert "HÅLLS" in result.output
    assert "audit_log: Varje läsning av personuppgifter loggas" in result.output
    assert "policyfilen är i ordning; avtalet i registret: se löftet agreement." in result.output
    assert "rader kvar efter sin gallringsregel: 0" in result.output
    assert re.search(r"\d+ löften: \d+ hålls, 0 brutna, \d+ ej kontrollerade\.", result.output)


def test_a_processor_without_a_recorded_agreement_is_named(
    initialised: None, current_policy: Path, run: Run
) -> None:
    # Right after `dataskydd init` nothing proves the agreements the notice promises.
    result = run("promises", "--json", "--lang", "en")
    assert result.exit_code == 1
    broken = {p["key"] for p in json.loads(result.stdout)["promises"] if p["status"] == "broken"}
    processors = {r.key for r in COMPANY.recipients if r.role is RecipientRole.PROCESSOR}
    assert processors
    assert {f"agreement.{key}" for key in processors} <= broken
    assert _record_agreements() > 0
    assert run("promises", "--lang", "en").exit_code == 0


@pytest.fixture
def overdue_policy(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The company's policy with the first agreement's review overdue, the others current."""
    text = re.sub(r"review_date: \d{4}-\d{2}-\d{2}", "review_date: 2099-01-01", _policy_text())
    text = text.replace("review_date: 2099-01-01", "review_date: 2025-11-15", 1)
    path = workdir / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DATASKYDD_POLICY_FILE", str(path))
    get_settings.cache_clear()
    return path


def test_bundled_policy_holds_its_promises(
    initialised: None, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundled policy and map themselves, whichever company the suite runs against.
    monkeypatch.delenv("DATASKYDD_POLICY_FILE", raising=False)
    monkeypatch.delenv("DATASKYDD_DATA_MAP", raising=False)
    get_settings.cache_clear()
    _record_agreements()
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
    assert f"offending: recipient:{REVIEWED[0]}" in result.output
    assert re.search(rf"Broken promises: .*recipient\.{REVIEWED[0]}", result.output)


def test_json_in_english_names_the_broken_promise(
    agreements_recorded: None, run: Run, monkeypatch: pytest.MonkeyPatch
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
    minutes = COMPANY.security.session_inactivity_minutes
    assert broken["promise"].startswith(f"If you have been inactive for {minutes} minutes")


def test_reading_the_report_is_audited(agreements_recorded: None, run: Run) -> None:
    assert run("promises", "--json").exit_code == 0
    listed = run("audit", "list", "--action", "promises.check", "--json")
    [entry] = json.loads(listed.stdout)
    assert entry["actor"].startswith("cli:")
    assert entry["detail"]["broken"] == []


def test_before_init_says_what_to_do(run: Run) -> None:
    result = run("promises")
    assert result.exit_code == 6
    assert "dataskydd init" in result.output
