"""`dataskydd policy check | notice | ropa` through the real root command."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from dataskydd.config import get_settings
from dataskydd.policy.schema import OPTIONAL_SYSTEM_PURPOSES, SYSTEM_PURPOSE_NEEDS
from tests.conftest import configured_policy_file
from tests.policy_keys import COMPANY, POLICY_FILE_NAME

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

Run = Callable[..., Result]

REPO = Path(__file__).resolve().parents[2]
AS_PUBLISHED = str(REPO / "examples" / "policies" / "omilon-as-published.yaml")


def test_check_bundled_policy_has_no_findings(run: Run) -> None:
    result = run("policy", "check")
    assert result.exit_code == 0, result.output
    assert f"No findings in {POLICY_FILE_NAME}." in result.output


def test_check_as_published_policy_fails_naming_the_outdated_law(run: Run) -> None:
    result = run("policy", "check", AS_PUBLISHED)
    assert result.exit_code == 1
    out = result.output
    assert "ERROR recipients[1].transfer_mechanism (line " in out
    assert "C-311/18" in out
    assert "Privacy Shield" in out
    assert "Datainspektionen" in out
    assert "Integritetsskyddsmyndigheten (IMY)" in out
    assert "personuppgiftslagen" in out
    assert "Traceback" not in out


def test_check_json_lists_findings(run: Run) -> None:
    result = run("policy", "check", AS_PUBLISHED, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["source"] == "omilon-as-published.yaml"
    shield = [f for f in report["findings"] if f["code"] == "privacy_shield_invalid"]
    assert shield
    assert shield[0]["severity"] == "error"
    assert isinstance(shield[0]["line"], int)


def test_check_json_on_a_clean_policy(run: Run) -> None:
    result = run("policy", "check", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["findings"] == []


def test_check_missing_file_is_one_line_exit_2(run: Run, workdir: Path) -> None:
    result = run("policy", "check", "nope.yaml")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: policy file not found: nope.yaml"
    assert "Traceback" not in result.output


def test_check_malformed_file_names_the_line(run: Run, workdir: Path) -> None:
    (workdir / "broken.yaml").write_text("version: '1'\ncontroller:\n  name: [Omilon\n", "utf-8")
    result = run("policy", "check", "broken.yaml")
    assert result.exit_code == 2
    assert "broken.yaml line" in result.stderr
    assert "column" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_check_schema_error_names_path_and_line(run: Run, workdir: Path) -> None:
    text = Path(AS_PUBLISHED).read_text("utf-8").replace("role: authority", "role: police")
    (workdir / "p.yaml").write_text(text, "utf-8")
    result = run("policy", "check", "p.yaml")
    assert result.exit_code == 2
    assert "recipients[2].role: must be one of processor, controller, authority" in result.stderr
    assert "p.yaml line " in result.stderr


def test_check_uses_the_configured_policy_file(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATASKYDD_POLICY_FILE", AS_PUBLISHED)
    get_settings.cache_clear()
    result = run("policy", "check")
    assert result.exit_code == 1
    assert "omilon-as-published.yaml" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "<h2>Dina rättigheter</h2>"),
        (("--lang", "en"), "<h2>Your rights</h2>"),
        (("--format", "md"), "## Hur länge sparar vi uppgifterna?"),
        (("--lang", "en", "--format", "md"), "## How long do we keep the data?"),
    ],
)
def test_notice_renders(run: Run, args: tuple[str, ...], expected: str) -> None:
    result = run("policy", "notice", *args)
    assert result.exit_code == 0, result.output
    assert expected in result.stdout


def test_notice_writes_to_a_file(run: Run, workdir: Path) -> None:
    result = run("policy", "notice", "--out", "notice.html")
    assert result.exit_code == 0, result.output
    html = (workdir / "notice.html").read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="sv">' in html
    assert result.stdout == ""


def test_notice_from_another_policy(run: Run) -> None:
    result = run("policy", "notice", "--policy", AS_PUBLISHED, "--format", "md")
    assert result.exit_code == 0, result.output
    assert "Datainspektionen" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("policy", "notice", "--lang", "de"),
        ("policy", "notice", "--format", "pdf"),
        ("policy", "ropa", "--format", "xlsx"),
    ],
)
def test_invalid_option_values_are_refused(run: Run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Invalid value" in result.output
    assert "Traceback" not in result.output


def test_ropa_csv(run: Run) -> None:
    result = run("policy", "ropa")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][1] == "Ändamål"
    assert len(rows) == 1 + len(COMPANY.purposes)


def test_ropa_html_in_english(run: Run) -> None:
    result = run("policy", "ropa", "--format", "html", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Record of processing activities" in result.stdout
    assert "<table>" in result.stdout


def test_ropa_missing_policy_file(run: Run) -> None:
    result = run("policy", "ropa", "--policy", "missing.yaml")
    assert result.exit_code == 2
    assert "policy file not found" in result.stderr


def _company_policy_data() -> dict[str, Any]:
    """The policy of the company under test, as plain YAML data to break."""
    path = configured_policy_file()
    text = (
        path.read_text("utf-8")
        if path is not None
        else resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml").read_text("utf-8")
    )
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _check_broken(run: Run, workdir: Path, data: dict[str, Any]) -> Result:
    (workdir / "p.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return run("policy", "check", "p.yaml")


@pytest.mark.parametrize("function", sorted(set(SYSTEM_PURPOSE_NEEDS) - OPTIONAL_SYSTEM_PURPOSES))
def test_check_refuses_a_policy_without_a_mapping_the_software_needs(
    run: Run, workdir: Path, function: str
) -> None:
    data = _company_policy_data()
    del data["system_purposes"][function]
    result = _check_broken(run, workdir, data)
    assert result.exit_code == 1, result.output
    assert f"system_purposes.{function} is missing: the software needs a purpose for" in (
        result.output
    )


def test_check_refuses_a_policy_where_nobody_may_answer_requests(run: Run, workdir: Path) -> None:
    data = _company_policy_data()
    for role in data["roles"].values():
        role["permissions"] = [p for p in role["permissions"] if p != "requests.handle"]
    result = _check_broken(run, workdir, data)
    assert result.exit_code == 1, result.output
    assert "no role has the permission requests.handle together with purpose" in result.output


@pytest.mark.parametrize("function", ["newsletters", "activities"])
def test_check_refuses_a_consent_function_mapped_to_another_basis(
    run: Run, workdir: Path, function: str
) -> None:
    data = _company_policy_data()
    key = data["system_purposes"][function]
    data["purposes"][key]["legal_basis"] = "legitimate_interests"
    data["purposes"][key]["legitimate_interest"] = {"sv": "Vårt intresse.", "en": "Our interest."}
    result = _check_broken(run, workdir, data)
    assert result.exit_code == 1, result.output
    assert f"system_purposes.{function} names purpose {key!r}, whose legal basis is" in (
        result.output
    )
    assert "legitimate_interests" in result.output
