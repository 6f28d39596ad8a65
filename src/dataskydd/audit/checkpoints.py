"""Signed checkpoints of the audit chain: how long it was and what its newest MAC was.

Kept outside the database (checkpoint_file.py), a checkpoint is what catches the one change the
MAC chain alone cannot see: the newest entries, or all of them, deleted. One checkpoint is one
line of compact, key-sorted JSON; `sig` is HMAC-SHA256 with its own derived key
(crypto.Keyring.audit_checkpoint_mac) over the same JSON without `sig` (docs/audit.md).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from dataskydd.audit import chain
from dataskydd.crypto import Keyring

KIND = "dataskydd-audit-checkpoint"
VERSION = 1
_FIELDS = {"type", "v", "count", "last_id", "last_mac", "at", "sig"}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CheckpointError(ValueError):
    """A JSON line that is not a checkpoint, or whose signature does not match."""


@dataclass(frozen=True)
class Checkpoint:
    # Entries 1..count existed when it was taken; ids run without gaps, so last_id == count.
    count: int
    last_id: int
    last_mac: str
    at: datetime
    sig: str

    def to_line(self) -> str:
        return chain.canonical_json({**_signed_fields(self), "sig": self.sig}) + "\n"


def sign(keyring: Keyring, *, last_id: int, last_mac: str, at: datetime) -> Checkpoint:
    """A checkpoint of a chain whose newest entry is `last_id` (0 and GENESIS when empty)."""
    unsigned = Checkpoint(count=last_id, last_id=last_id, last_mac=last_mac, at=at, sig="")
    return Checkpoint(
        count=last_id, last_id=last_id, last_mac=last_mac, at=at, sig=_sig(keyring, unsigned)
    )


def parse(raw: object, keyring: Keyring) -> Checkpoint:
    """The checkpoint in a parsed JSON line; raises CheckpointError saying what is wrong."""
    if not isinstance(raw, dict) or set(raw) != _FIELDS:
        raise CheckpointError(f"not a checkpoint (expected the fields {sorted(_FIELDS)})")
    if raw["type"] != KIND or raw["v"] != VERSION:
        raise CheckpointError(f"not a {KIND} of version {VERSION}")
    count, last_id, last_mac, at, sig = (
        raw[k] for k in ("count", "last_id", "last_mac", "at", "sig")
    )
    if not (_is_count(count) and _is_count(last_id) and count == last_id):
        raise CheckpointError("count and last_id must be equal whole numbers ≥ 0")
    if not (isinstance(last_mac, str) and _HEX64.fullmatch(last_mac)):
        raise CheckpointError("last_mac must be 64 lowercase hex digits")
    if not (isinstance(sig, str) and _HEX64.fullmatch(sig)):
        raise CheckpointError("sig must be 64 lowercase hex digits")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or chain.canonical_time(when) != at:
        raise CheckpointError("at must be a UTC time as written by dataskydd")
    checkpoint = Checkpoint(count=count, last_id=last_id, last_mac=last_mac, at=when, sig=sig)
    if not hmac.compare_digest(_sig(keyring, checkpoint), sig):
        raise CheckpointError(
            f"checkpoint of entry #{last_id}: signature does not match (the line was edited or "
            "forged, or signed with another key)"
        )
    return checkpoint


def _signed_fields(checkpoint: Checkpoint) -> dict[str, object]:
    return {
        "type": KIND,
        "v": VERSION,
        "count": checkpoint.count,
        "last_id": checkpoint.last_id,
        "last_mac": checkpoint.last_mac,
        "at": chain.canonical_time(checkpoint.at),
    }


def _sig(keyring: Keyring, checkpoint: Checkpoint) -> str:
    return keyring.audit_checkpoint_mac(chain.canonical_json(_signed_fields(checkpoint)).encode())


def _is_count(value: object) -> bool:
    # bool is an int in Python; true/false in JSON is not a count.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
