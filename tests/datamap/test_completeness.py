"""The data map is complete: every column of every table is classified, and every category
it names exists in the policy. Adding a column without declaring it fails here."""

import pytest

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.datamap import entries
from dataskydd.db.base import Base
from dataskydd.policy.loader import load_bundled_policy

assert ALL_MODEL_MODULES

REGISTER = entries.current().register
# Outside the subject's data: dataskydd's own tables, and the register's catalogues.
UNMAPPED = {**entries.INTERNAL_TABLES, **REGISTER.unmapped}


def all_tables() -> list[str]:
    return sorted(Base.metadata.tables)


def test_every_table_is_mapped_or_explained() -> None:
    unexplained = [
        name for name in all_tables() if name not in REGISTER.by_table and name not in UNMAPPED
    ]
    assert unexplained == []


def test_no_table_is_both_mapped_and_unmapped() -> None:
    assert set(REGISTER.by_table).isdisjoint(UNMAPPED)
    assert len(REGISTER.by_table) == len(entries.register_tables())


@pytest.mark.parametrize("entry", entries.register_tables(), ids=lambda e: e.table)
def test_every_column_is_personal_or_technical(entry) -> None:  # type: ignore[no-untyped-def]
    table = Base.metadata.tables[entry.table]
    actual = {column.name for column in table.columns}
    declared = set(entry.columns) | set(entry.technical)
    assert actual - declared == set(), "undeclared columns"
    assert declared - actual == set(), "map names columns the table does not have"
    assert set(entry.columns).isdisjoint(entry.technical)


@pytest.mark.parametrize("entry", entries.register_tables(), ids=lambda e: e.table)
def test_links_reach_the_subject_table(entry) -> None:  # type: ignore[no-untyped-def]
    for link in entry.links:
        current = Base.metadata.tables[entry.table]
        for hop in link.via:
            (fk,) = current.c[hop.column].foreign_keys
            assert fk.column.table.name == hop.table
            current = Base.metadata.tables[hop.table]
        if entry.table == "subject":
            assert link.subject_column == "id"
        else:
            (fk,) = current.c[link.subject_column].foreign_keys
            assert fk.column.table.name == "subject"
        if entry.time_column:
            assert entry.time_column in Base.metadata.tables[entry.table].c


def test_every_category_in_the_map_is_in_the_bundled_policy() -> None:
    policy = load_bundled_policy()
    used = {category for entry in entries.register_tables() for category in entry.categories}
    assert used - set(policy.categories) == set()


def test_every_register_category_of_the_policy_is_stored_somewhere() -> None:
    policy = load_bundled_policy()
    used = {category for entry in entries.register_tables() for category in entry.categories}
    # web_analytics lives in the analytics package (consent banner issue), not the register.
    assert set(policy.categories) - used <= {"web_analytics"}


@pytest.mark.parametrize("entry", entries.register_tables(), ids=lambda e: e.table)
def test_derived_columns_are_personal_data_columns(entry) -> None:  # type: ignore[no-untyped-def]
    assert entry.derived <= set(entry.columns)


@pytest.mark.parametrize("entry", entries.register_tables(), ids=lambda e: e.table)
def test_references_point_at_catalogue_text(entry) -> None:  # type: ignore[no-untyped-def]
    for column, (target, text) in entry.references.items():
        (fk,) = Base.metadata.tables[entry.table].c[column].foreign_keys
        assert fk.column.table.name == target
        assert text in Base.metadata.tables[target].c
        assert target in UNMAPPED
