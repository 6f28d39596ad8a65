"""Alembic environment: migrate the engine handed over by dataskydd.db.migrate, or the
database named by DATASKYDD_DATABASE_URL when run as `alembic` from the repository."""

from alembic import context

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.config import get_settings
from dataskydd.db.base import Base
from dataskydd.db.session import make_engine

assert ALL_MODEL_MODULES  # every table is registered on Base.metadata

config = context.config
engine = config.attributes.get("engine") or make_engine(get_settings().database_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
