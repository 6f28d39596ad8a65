"""Imports every module that defines tables, so Base.metadata is complete (Alembic, tests)."""

from dataskydd.audit import models as audit_models
from dataskydd.auth import models as auth_models
from dataskydd.register import models as register_models

ALL_MODEL_MODULES = (audit_models, auth_models, register_models)
