"""Files the CLI writes with --out appear whole or not at all.

Everything is written to a temporary file (or folder) beside the target and renamed onto it
when complete, so a failure midway — the subject does not exist, the disk is full, a bug —
leaves nothing behind, not a truncated extract that looks like an answer. The failure is one
line on standard error and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dataskydd.errors import DataskyddError
from dataskydd.messages_i18n import Msg

log = logging.getLogger("dataskydd.cli")


class WriteFailed(DataskyddError):
    """Writing an output failed; nothing was left behind."""

    exit_code = 1


def _failure(target: Path, error: BaseException) -> DataskyddError:
    if isinstance(error, DataskyddError):
        return error
    if isinstance(error, OSError):
        reason = error.strerror or type(error).__name__
        return WriteFailed(
            Msg(
                "cannot write {target}: {reason}; nothing was written", target=target, reason=reason
            )
        )
    # The message of an unexpected error may quote personal data: name only its type.
    log.error("writing %s failed: %s", target, type(error).__name__)
    return WriteFailed(
        Msg(
            "writing {target} failed ({error_type}); nothing was written",
            target=target,
            error_type=type(error).__name__,
        )
    )


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path in `target`'s folder; renamed onto `target` when the block ends
    without error, removed when it fails. The file gets the mode a plain open() would give."""
    temp: Path | None = None
    try:
        descriptor, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
        os.close(descriptor)
        temp = Path(name)
        umask = os.umask(0)
        os.umask(umask)
        temp.chmod(0o666 & ~umask)
        yield temp
        _fsync(temp)
        os.replace(temp, target)
        temp = None
    except Exception as error:
        raise _failure(target, error) from None
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def write_text(target: Path, text: str) -> None:
    with atomic_file(target) as temp:
        temp.write_text(text, encoding="utf-8")


def _created_folders(directory: Path) -> list[Path]:
    """The folders mkdir(parents=True) would create for `directory`, outermost first."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    return list(reversed(missing))


@contextmanager
def atomic_folder(directory: Path) -> Iterator[Path]:
    """A temporary folder inside `directory` to write files into; on success each file is
    renamed into `directory` (replacing older ones), on failure the folder is removed with
    everything in it, and so are the folders this call created."""
    if directory.exists() and not directory.is_dir():
        raise WriteFailed(
            Msg("cannot write to {directory}: it is a file, not a folder", directory=directory)
        )
    created = _created_folders(directory)
    staging: Path | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=directory))
        yield staging
        files = sorted(staging.iterdir())
        for path in files:
            _fsync(path)
        for path in files:
            os.replace(path, directory / path.name)
    except Exception as error:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            staging = None
        for folder in reversed(created):
            try:
                folder.rmdir()  # only when empty: a failed export leaves nothing behind
            except OSError:
                break
        raise _failure(directory, error) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
