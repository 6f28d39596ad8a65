"""Alembic environment: migrate the engine handed over by dataskydd.db.migrate, or the
database named by DATASKYDD_DATABASE_URL when run as `alembic` from the repository."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.analytics import partitions
from dataskydd.config import get_settings
from dataskydd.db.base import Base
from dataskydd.db.session import make_engine
from dataskydd.db.types import EncryptedString, UtcDateTime

assert ALL_MODEL_MODULES  # every table is registered on Base.metadata


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations get plain SQLAlchemy types, so they never depend on dataskydd's Python
    types (which need a key to encrypt and may change): the stored shape is what counts."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(item, EncryptedString):
        return f"sa.String(length={item.stored_length})"
    return False


def include_object(
    item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
) -> bool:
    """The job queue's own tables (huey creates them, jobs/queue.py) and page_event's monthly
    partitions on PostgreSQL (analytics/partitions.py) are not the models': autogenerate must
    not propose dropping them."""
    return not (
        kind == "table"
        and reflected
        and compare_to is None
        and (_queue_table(name) or partitions.is_partition(name))
    )


def _queue_table(name: str | None) -> bool:
    return name is not None and name.startswith("job_queue_")


config = context.config
engine = config.attributes.get("engine") or make_engine(get_settings().database_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
