"""Every column a person can be shown has a readable name in both languages."""

import pytest

from dataskydd.datamap import entries, labels
from dataskydd.register import enums


@pytest.mark.parametrize("entry", entries.register_tables(), ids=lambda e: e.table)
def test_every_shown_column_and_table_has_a_label(entry) -> None:  # type: ignore[no-untyped-def]
    assert entry.table in labels.TABLES
    for category in entry.categories:
        for column in entry.shown_columns(category):
            assert labels.has_column_label(entry.table, column), f"{entry.table}.{column}"
            assert labels.column_label(entry.table, column, "sv")
            assert labels.column_label(entry.table, column, "en")


def test_every_stored_code_reads_as_words() -> None:
    codes = {
        member.value
        for enum in vars(enums).values()
        if isinstance(enum, type) and issubclass(enum, enums.StrEnum) and enum is not enums.StrEnum
        for member in enum
    }
    missing = codes - set(labels.VALUES)
    # Service kinds are catalogue words, shown via the service name instead.
    assert missing <= {"connectivity", "it", "viewing", "survey", "panel", "offer"}


def test_values_are_translated_and_others_pass_through() -> None:
    assert labels.value_label(enums.EquipmentKind.SET_TOP_BOX, "sv") == "Tv-box"
    assert labels.value_label("Rapport 19:30", "sv") == "Rapport 19:30"
    assert labels.value_label(42, "en") == 42


def test_personnummer_is_shown_with_its_hyphen() -> None:
    assert labels.display_value("subject", "personnummer", "191212121212", "sv") == "19121212-1212"
    assert labels.display_value("subject", "given_name", "Anna", "sv") == "Anna"
