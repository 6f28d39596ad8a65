"""Migrations create exactly the schema the models describe, and can be undone."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.analytics import partitions
from dataskydd.db.base import Base
from dataskydd.db.migrate import alembic_config, upgrade_to_head
from dataskydd.db.session import make_engine

assert ALL_MODEL_MODULES


def _not_a_partition(
    item: object, name: str | None, kind: str, reflected: bool, compare_to: object
) -> bool:
    return not (kind == "table" and partitions.is_partition(name))


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _not_a_partition}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_nothing_and_up_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade_to_head(engine)
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade_to_head(engine)
    assert "subject" in inspect(engine).get_table_names()
    engine.dispose()
