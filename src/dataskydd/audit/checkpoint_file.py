"""The checkpoint file: signed checkpoints appended one per line, and read back in order.

Appending is the only write, so a copy that is only ever appended to (a WORM store, a mail to
the DPO, `tail -f` to another host) stays a valid prefix. Each line is written with one
write() on an O_APPEND descriptor, so processes appending at once do not interleave within a
line. A line cut short (crash, full disk) is not JSON and is skipped when read: cutting a line
achieves nothing that deleting it would not. A JSON line that is not a valid checkpoint, or
whose signature does not match, fails verification.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from dataskydd import crypto
from dataskydd.audit.checkpoints import Checkpoint, CheckpointError, parse
from dataskydd.config import Settings

DEFAULT_NAME = "dataskydd-audit-checkpoints.jsonl"
# How often commits that wrote audit entries append a checkpoint on their own (per file, on
# top of the first one in each process; see service.py). Entries newer than the last
# checkpoint can still be deleted unnoticed, so this bounds that window while the system is in
# use; a cron job running `dataskydd audit checkpoint` bounds it when it is idle.
AUTOMATIC_EVERY = timedelta(minutes=5)

# Files this process has appended to: its first commit with audit entries always appends one
# (so every CLI command that logged ends with a checkpoint), later ones at most every
# AUTOMATIC_EVERY. Per process by design; nothing here needs sharing between processes.
_appended_by_this_process: set[Path] = set()


class CheckpointFileError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def default_path(settings: Settings) -> Path:
    return settings.audit_checkpoint_file or settings.key_file.with_name(DEFAULT_NAME)


def append(path: Path, checkpoint: Checkpoint) -> None:
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        line = checkpoint.to_line().encode("utf-8")
        end = os.fstat(descriptor).st_size
        if end and os.pread(descriptor, 1, end - 1) != b"\n":
            line = b"\n" + line  # after a line cut short, start a new one
        os.write(descriptor, line)
        # A checkpoint is evidence: on disk before anyone is told it was written.
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    _appended_by_this_process.add(path.resolve())


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def read(path: Path, keyring: crypto.Keyring, *, up_to: int | None = None) -> Iterator[Checkpoint]:
    """The checkpoints in file order; only those in the first `up_to` bytes when given.

    Raises CheckpointFileError at the first JSON line that is not a valid checkpoint. Lines
    that are not JSON (cut short) and empty lines are skipped.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        position = 0
        for number, line in enumerate(handle, start=1):
            position += len(line)
            if up_to is not None and position > up_to:
                return
            try:
                raw = json.loads(line)
            except ValueError:  # also UnicodeDecodeError
                continue
            try:
                yield parse(raw, keyring)
            except CheckpointError as error:
                raise CheckpointFileError(number, str(error)) from None


def automatic_due(path: Path) -> bool:
    if path.resolve() not in _appended_by_this_process:
        return True
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return True
    return age >= AUTOMATIC_EVERY.total_seconds()


def automatic_allowed(settings: Settings, keyring: crypto.Keyring) -> bool:
    """Whether commits may append to default_path(settings) without being asked to.

    A configured file: yes. Beside the key file: only for a process that uses that key, so a
    test run or a second installation with another key never adds lines the real installation
    would reject as forged (and then keeps failing verification on).
    """
    if settings.audit_checkpoint_file is not None:
        return True
    if settings.secret_key is not None or not settings.key_file.exists():
        return False
    from_file = crypto.Keyring(crypto.read_key_file(settings.key_file))
    probe = b"which key signs this installation's checkpoints"
    return from_file.audit_checkpoint_mac(probe) == keyring.audit_checkpoint_mac(probe)
