from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from dataskydd.errors import DataskyddError
from dataskydd.policy import load_policy, load_policy_document, parse_policy
from dataskydd.policy.loader import MAX_POLICY_BYTES, PolicyError

WritePolicy = Callable[[dict[str, Any]], Path]


BUNDLED = resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml")


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_policy_error_is_a_dataskydd_error_with_exit_code_2() -> None:
    assert issubclass(PolicyError, DataskyddError)
    assert PolicyError("x").exit_code == 2


def test_yaml_syntax_error_names_line_and_column() -> None:
    text = "version: '1'\ncontroller:\n  name: [Omilon\n  phone: 1\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "omilon.yaml")
    message = caught.value.message
    assert message.startswith("omilon.yaml line ")
    assert ", column " in message
    assert "\n" not in message


def test_unclosed_quote_is_reported_with_its_line() -> None:
    text = 'version: "1\ncontroller: x\n'
    with pytest.raises(PolicyError, match=r"policy\.yaml line \d+, column \d+"):
        parse_policy(text, "policy.yaml")


def test_schema_error_gives_yaml_path_allowed_values_and_line(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["purposes"]["marketing"]["legal_basis"] = "consentt"
    path = write_policy(bundled_data)
    text = path.read_text("utf-8")
    expected_line = _line_of(text, "legal_basis: consentt")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = caught.value.message
    assert f"policy.yaml line {expected_line}: purposes.marketing.legal_basis" in message
    assert "must be one of consent, contract, legal_obligation" in message
    assert "legitimate_interests" in message


def test_misspelt_key_is_an_error_at_its_line(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["categories"]["billing"]["retension"] = bundled_data["categories"]["billing"].pop(
        "retention"
    )
    path = write_policy(bundled_data)
    expected_line = _line_of(path.read_text("utf-8"), "retension:")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert f"line {expected_line}: categories.billing.retension: unknown key" in (
        caught.value.message
    )


def test_missing_field_is_reported_at_the_mapping_that_lacks_it(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    del bundled_data["categories"]["support"]["title"]
    path = write_policy(bundled_data)
    text = path.read_text("utf-8")
    expected_line = _line_of(text, "  support:")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert f"line {expected_line}: categories.support.title: is required" in caught.value.message


def test_error_inside_a_retention_rule_skips_the_union_tag(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["categories"]["support"]["retention"] = {"kind": "after_creation", "months": 0}
    path = write_policy(bundled_data)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert "categories.support.retention.months:" in caught.value.message
    assert "after_creation.months" not in caught.value.message


def test_unknown_retention_kind_lists_the_kinds(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["categories"]["support"]["retention"] = {"kind": "forever"}
    with pytest.raises(PolicyError, match="retention: kind must be one of bookkeeping"):
        load_policy(write_policy(bundled_data))


def test_bad_country_code_explains_the_format(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"][1]["country"] = "Finland"
    with pytest.raises(PolicyError, match=r"recipients\[1\]\.country: must be a two-letter"):
        load_policy(write_policy(bundled_data))


def test_duplicate_keys_are_refused() -> None:
    text = "version: '1'\nversion: '2'\n"
    with pytest.raises(PolicyError, match=r"line 2: version: duplicate key \(first on line 1"):
        parse_policy(text, "p.yaml")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_a_policy_must_be_a_mapping(text: str) -> None:
    with pytest.raises(PolicyError, match="must be a YAML mapping"):
        parse_policy(text, "p.yaml")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy file not found: .*nope\.yaml"):
        load_policy(tmp_path / "nope.yaml")


def test_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="is a directory"):
        load_policy(tmp_path)


def test_document_maps_paths_to_lines(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    path = write_policy(bundled_data)
    text = path.read_text("utf-8")
    document = load_policy_document(path)
    assert document.source_name == "policy.yaml"
    assert document.locations[("purposes", "marketing")] == _line_of(text, "  marketing:")
    assert document.locations[("recipients", 2, "country")] == _line_of(text, "country: US")


class TestHostileFiles:
    """Issue 9's hostile input, for the policy file: each a clear error, quickly."""

    def test_an_impossible_date_names_the_field_and_its_line(self, tmp_path: Path) -> None:
        bundled = BUNDLED.read_text("utf-8")
        text = bundled.replace("agreement_date: 2024-03-01", "agreement_date: 2023-02-30", 1)
        assert text != bundled
        path = tmp_path / "policy.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(PolicyError) as caught:
            load_policy(path)
        line = _line_of(text, "agreement_date: 2023-02-30")
        assert f"policy.yaml line {line}: recipients[0].agreement_date" in caught.value.message
        assert "day value is outside expected range" in caught.value.message

    def test_nested_aliases_are_refused_before_they_expand(self) -> None:
        levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        for level in range(8):
            name, previous = chr(98 + level), chr(97 + level)
            levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        started = time.perf_counter()
        with pytest.raises(PolicyError, match=r"line 1\): YAML anchors and aliases"):
            parse_policy("\n".join(levels), "lol.yaml")
        assert time.perf_counter() - started < 1

    def test_an_oversized_file_is_refused_before_it_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "policy.yaml"
        path.write_text("notice: " + "x" * (MAX_POLICY_BYTES + 1), encoding="utf-8")
        with pytest.raises(PolicyError, match="larger than 1000 kB"):
            load_policy(path)
        with pytest.raises(PolicyError, match="larger than 1000 kB"):
            parse_policy("x: " + "y" * MAX_POLICY_BYTES, "policy.yaml")
