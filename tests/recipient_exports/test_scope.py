"""The pure rules of an export: which categories it may hold, how a selection is read, and
CSV cells a spreadsheet cannot run."""

from __future__ import annotations

import pytest

from dataskydd.errors import InvalidInput
from dataskydd.policy.schema import Policy
from dataskydd.recipient_exports import scope
from dataskydd.recipient_exports.cells import csv_cell


def test_allowed_is_the_recipients_categories_the_purpose_uses(policy: Policy) -> None:
    for recipient in policy.recipients:
        for key, purpose in policy.purposes.items():
            allowed = scope.allowed_categories(policy, recipient, key)
            assert set(allowed) == set(recipient.categories) & set(purpose.categories)
            assert list(allowed) == [c for c in policy.categories if c in allowed]


def test_a_category_outside_the_recipients_is_refused_with_why(policy: Policy) -> None:
    recipient = next(r for r in policy.recipients if set(policy.categories) - set(r.categories))
    outside = next(c for c in policy.categories if c not in recipient.categories)
    purpose = next(iter(policy.purposes))
    refused = scope.refused_categories(policy, recipient, purpose, [outside])
    assert refused == {outside: f"recipient {recipient.key} may not receive category {outside}"}
    with pytest.raises(InvalidInput) as unknown:
        scope.refused_categories(policy, recipient, purpose, ["no_such_category"])
    assert unknown.value.field == "categories"
    assert "no_such_category" not in unknown.value.message  # input is never echoed


def test_a_category_the_purpose_does_not_use_is_refused(policy: Policy) -> None:
    for recipient in policy.recipients:
        for key, purpose in policy.purposes.items():
            unused = [c for c in recipient.categories if c not in purpose.categories]
            if unused:
                refused = scope.refused_categories(policy, recipient, key, unused[:1])
                assert refused[unused[0]] == f"purpose {key} may not use category {unused[0]}"
                return
    raise AssertionError("every purpose uses every category of every recipient")


def test_subject_ids_are_read_once_each_in_order() -> None:
    assert scope.parse_subject_ids("12, 40\n41;12 7") == [12, 40, 41, 7]


@pytest.mark.parametrize("text", ["", " , ", "1,x", "0", "-3", "1.5", str(2**31), "9" * 11, "１２"])
def test_bad_selections_name_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        scope.parse_subject_ids(text)
    assert refused.value.field == "subjects"


def test_a_selection_is_bounded_before_it_is_parsed() -> None:
    too_many = ",".join(str(i) for i in range(1, scope.MAX_SUBJECTS + 2))
    with pytest.raises(InvalidInput, match=f"at most {scope.MAX_SUBJECTS}"):
        scope.parse_subject_ids(too_many)
    with pytest.raises(InvalidInput, match="at most"):
        scope.parse_subject_ids("1," * scope.MAX_SELECTION_CHARS)
    assert len(scope.parse_subject_ids(",".join(["5"] * 2000))) == 1


def test_categories_are_parsed_and_empty_means_all() -> None:
    assert scope.parse_categories(" a, b,a ,") == ["a", "b"]
    assert scope.parse_categories("") is None
    assert scope.parse_categories(None) is None
    with pytest.raises(InvalidInput):
        scope.parse_categories("a" * 2001)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("-100.00", "-100.00"),
        ("+46701234567", "+46701234567"),
        ("Storgatan 1", "Storgatan 1"),
        (None, ""),
        (True, "true"),
        (42, "42"),
    ],
)
def test_csv_cells_cannot_be_formulas(value: object, cell: str) -> None:
    assert csv_cell(value) == cell
