"""Bounds on what an import reads, checked before parsing (DATASKYDD_IMPORT_* variables)."""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ImportLimits(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATASKYDD_IMPORT_", extra="ignore")

    # A million customers with a dozen columns is some 200 MB of CSV.
    max_file_bytes: int = Field(default=2 * 1024**3, ge=1024)
    # One row's bytes and one field's characters: a customer is a few hundred.
    max_row_bytes: int = Field(default=16 * 1024, ge=256, le=1024**2)
    max_field_chars: int = Field(default=1000, ge=64, le=100_000)
    max_columns: int = Field(default=200, ge=1, le=10_000)
    # Rows validated, matched and written together; memory is bounded by this, not the file.
    batch_size: int = Field(default=2000, ge=1, le=100_000)
    # Processes validating rows while the importing process matches and writes
    # (imports/validating.py); 0: validated in the importing process itself. Left out: one
    # per core but the importing process's own, so on two cores one worker (measured as fast
    # as two there: benchmarks/README.md, "Bulk import").
    workers: int | None = Field(default=None, ge=0, le=64)

    def worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        try:
            cores = len(os.sched_getaffinity(0))  # the cores this process may run on
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        return cores - 1
