"""Hash chain over audit entries: each hash covers the entry and the hash before it.

Pure functions on plain values, so a verifier outside dataskydd can re-implement them from this
file alone: SHA-256 over compact, key-sorted JSON with times as UTC ISO 8601 to the microsecond.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
# Bumped if the serialisation ever changes, so old and new entries stay distinguishable.
FORMAT_VERSION = 1


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """The stored form of `detail`; raises TypeError/ValueError when it is not plain JSON."""
    return json.dumps(
        dict(detail or {}),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def json_detail(stored: str) -> dict[str, Any]:
    """Parse a stored `detail`; raises ValueError when it is not a JSON object."""
    loaded = json.loads(stored)
    if not isinstance(loaded, dict):
        raise ValueError("audit detail must be a JSON object")
    return loaded


def entry_hash(
    prev_hash: str,
    *,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    subject_id: int | None,
    purpose: str | None,
    detail: Mapping[str, Any] | None,
) -> str:
    payload = {
        "v": FORMAT_VERSION,
        "prev_hash": prev_hash,
        "id": id,
        "at": canonical_time(at),
        "actor": actor,
        "action": action,
        "subject_id": subject_id,
        "purpose": purpose,
        "detail": dict(detail or {}),
    }
    serialised = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(serialised.encode("utf-8")).hexdigest()
