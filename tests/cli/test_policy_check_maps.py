"""`dataskydd policy check` checks the policy together with the data map (--data-map DIR,
DATASKYDD_DATA_MAP or the bundled register map), and with --live every other system's map
against its real schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from dataskydd.config import get_settings
from tests.datamap import test_map_check
from tests.datamap.test_map_check import (
    CRM_YAML,
    REGISTER_YAML,
    URL_VARIABLE,
    line_of,
    write_maps,
)
from tests.policy_keys import MAP_FILE_NAMES, POLICY_FILE_NAME

Run = Callable[..., Result]
# The CRM database of each kind, as the data map's own tests make it (a fixture, by name).
crm_url = test_map_check.crm_url


def test_the_bundled_policy_and_map_check_clean(run: Run) -> None:
    result = run("policy", "check")
    assert result.exit_code == 0, result.output
    assert f"No findings in {POLICY_FILE_NAME}." in result.output
    assert f"Checked with the data map: {MAP_FILE_NAMES}." in result.output


def test_a_map_directory_from_the_option(run: Run, workdir: Path) -> None:
    directory = write_maps(workdir / "map", crm=CRM_YAML)
    result = run("policy", "check", "--data-map", str(directory))
    assert result.exit_code == 0, result.output
    assert "crm.yaml" in result.output


def test_a_map_directory_from_the_setting(
    run: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = REGISTER_YAML.replace("      model: equipment\n", "      model: hobbies\n")
    monkeypatch.setenv("DATASKYDD_DATA_MAP", str(write_maps(workdir / "map", text)))
    get_settings.cache_clear()
    result = run("policy", "check")
    assert result.exit_code == 1
    line = line_of(text, "model: hobbies")
    assert (
        f"ERROR register.yaml: tables.equipment.columns.model (line {line}): table equipment, "
        "column model: category 'hobbies'"
    ) in result.output


@pytest.mark.parametrize(
    ("old", "new", "code", "field", "needle"),
    [
        (
            "      given_name: identity\n",
            "      given_name: identity\n      nickname: identity\n",
            "unknown_column",
            "tables.subject.columns.nickname",
            "nickname: identity",
        ),
        (
            "via: [{column: contract_id, table: contract}]",
            "via: [{column: contract_ref, table: contract}]",
            "broken_link",
            "tables.subscription.links[0].via[0]",
            "contract_ref",
        ),
        (
            "      mac_address: equipment\n",
            "",
            "column_not_classified",
            "tables.equipment",
            "  equipment:",
        ),
    ],
    ids=["unknown-column", "broken-hop", "unclassified-column"],
)
def test_a_bad_map_is_an_error_naming_file_line_and_field(
    run: Run, workdir: Path, old: str, new: str, code: str, field: str, needle: str
) -> None:
    text = REGISTER_YAML.replace(old, new, 1)
    directory = write_maps(workdir / "map", text)
    result = run("policy", "check", "--data-map", str(directory))
    assert result.exit_code == 1
    assert f"ERROR register.yaml: {field} (line {line_of(text, needle)}): " in result.output
    report = json.loads(run("policy", "check", "--data-map", str(directory), "--json").stdout)
    [finding] = [f for f in report["findings"] if f["code"] == code]
    assert finding["source"] == "register.yaml"
    assert finding["path"] == field
    assert finding["line"] == line_of(text, needle)
    assert report["data_map"] == ["register.yaml"]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "    columns:\n      kind: identity\n",
            "    columns: 5\n    nope:\n      kind: identity\n",
            "tables.subject.columns: input should be a valid dictionary",
        ),
        (
            "    on_erase: anonymise\n    time_column: created_at\n  subject_role",
            "    on_erase: shred\n    time_column: created_at\n  subject_role",
            "tables.subject.on_erase: must be one of delete, blank, anonymise",
        ),
        (
            "      given_name: identity\n",
            "      given_name: identity\n      given_name: contact\n",
            "tables.subject.columns.given_name: duplicate key",
        ),
    ],
    ids=["wrong-type", "unknown-on-erase", "duplicate-key"],
)
def test_a_malformed_map_is_one_line_naming_file_line_and_field(
    run: Run, workdir: Path, old: str, new: str, says: str
) -> None:
    text = REGISTER_YAML.replace(old, new, 1)
    result = run("policy", "check", "--data-map", str(write_maps(workdir / "map", text)))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: register.yaml line ")
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_missing_map_directory_is_exit_2(run: Run, workdir: Path) -> None:
    result = run("policy", "check", "--data-map", str(workdir / "nope"))
    assert result.exit_code == 2
    assert "nope" in result.output + result.stderr


# --- --live ---------------------------------------------------------------------------------


def test_live_with_a_correct_map_is_clean(
    run: Run, workdir: Path, initialised: Result, crm_url: str
) -> None:
    directory = write_maps(workdir / "map", crm=CRM_YAML)
    result = run("policy", "check", "--data-map", str(directory), "--live")
    assert result.exit_code == 0, result.output
    assert f"No findings in {POLICY_FILE_NAME}." in result.output
    assert "(live)" in result.output


def test_live_names_a_missing_column_and_blank_on_not_null(
    run: Run, workdir: Path, crm_url: str
) -> None:
    crm = CRM_YAML.replace(
        "      name: identity\n", "      name: identity\n      phone: contact\n"
    ).replace("on_erase: anonymise", "on_erase: blank")
    directory = write_maps(workdir / "map", crm=crm)
    assert run("policy", "check", "--data-map", str(directory)).exit_code == 0
    result = run("policy", "check", "--data-map", str(directory), "--live")
    assert result.exit_code == 1
    out = result.output
    assert (
        f"ERROR crm.yaml: tables.customer.columns.phone (line {line_of(crm, 'phone: contact')}): "
        "system 'crm': table customer has no column phone"
    ) in out
    assert (
        f"ERROR crm.yaml: tables.customer.on_erase (line {line_of(crm, 'on_erase: blank')})" in out
    )
    assert "customer.email is NOT NULL" in out
    assert crm_url not in out


def test_live_names_an_unreachable_system_but_not_its_url(
    run: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_VARIABLE, "mysql://crm:Hemligt-9@127.0.0.1:1/crm")
    directory = write_maps(workdir / "map", crm=CRM_YAML)
    result = run("policy", "check", "--data-map", str(directory), "--live")
    assert result.exit_code == 1
    out = result.output
    assert "ERROR crm.yaml: system (line 1): system 'crm' cannot be reached" in out
    assert URL_VARIABLE in out
    assert "Hemligt-9" not in out
    assert "127.0.0.1" not in out
    assert "Traceback" not in out
