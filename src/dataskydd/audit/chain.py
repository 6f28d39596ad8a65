"""MAC chain over audit entries: each entry's MAC covers the entry and the MAC before it.

Pure functions on plain values, so a verifier outside dataskydd can re-implement them from
docs/audit.md: HMAC-SHA256 (key derived from the secret key, crypto.Keyring.audit_mac) over
compact, key-sorted JSON with times as UTC ISO 8601 to the microsecond.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# The "previous MAC" of entry #1.
GENESIS = "0" * 64
# Part of every MAC'd payload. Format 1 was plain SHA-256, which anyone able to write to the
# database could recompute after changing a row; migration 0008 re-MAC'd every format-1 entry,
# so verification knows only this format and never accepts a plain hash.
FORMAT_VERSION = 2


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(
        dict(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """The stored form of `detail`; raises TypeError/ValueError when it is not plain JSON."""
    return canonical_json(detail or {})


def json_detail(stored: str) -> dict[str, Any]:
    """Parse a stored `detail`; raises ValueError when it is not a JSON object."""
    loaded = json.loads(stored)
    if not isinstance(loaded, dict):
        raise ValueError("audit detail must be a JSON object")
    return loaded


def entry_payload(
    prev_mac: str,
    *,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    subject_id: int | None,
    purpose: str | None,
    detail: Mapping[str, Any] | None,
) -> bytes:
    """The bytes an entry's MAC is computed over (UTF-8)."""
    payload = {
        "v": FORMAT_VERSION,
        "prev_mac": prev_mac,
        "id": id,
        "at": canonical_time(at),
        "actor": actor,
        "action": action,
        "subject_id": subject_id,
        "purpose": purpose,
        "detail": dict(detail or {}),
    }
    return canonical_json(payload).encode("utf-8")
