"""An import run in the test's session (rolled back after it), and the CLI's fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.auth.access import operator_context
from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import load_mapping
from dataskydd.imports.reading import open_source
from dataskydd.imports.service import Importer, Mode, Outcome
from dataskydd.policy.schema import Policy
from dataskydd.register.models import ContactPoint, PostalAddress, Subject, SubjectRole
from tests.cli.conftest import every_read_is_decided, initialised, run, workdir
from tests.imports.files import write_mapping

__all__ = ["every_read_is_decided", "initialised", "run", "workdir"]


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    return write_mapping(tmp_path / "mapping.yaml")


def import_file(
    session: Session,
    policy: Policy,
    path: Path,
    mapping: Path,
    *,
    mode: Mode = Mode.SKIP_INVALID,
    batch_size: int = 2000,
) -> Outcome:
    limits = ImportLimits(batch_size=batch_size)
    plan, digest = load_mapping(mapping)
    source = open_source(path, limits, sheet=plan.sheet)
    return Importer(
        None if mode is Mode.DRY_RUN else session,
        policy,
        operator_context("test"),
        source,
        plan,
        digest,
        limits,
        mode,
    ).run()


def register_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Subject, ContactPoint, PostalAddress, SubjectRole)
    }
