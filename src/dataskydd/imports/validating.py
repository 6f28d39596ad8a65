"""A file's rows validated batch by batch, in worker processes when there are cores to spare.

Validating a row with the register's rules (python-stdnum, phonenumbers, email-validator,
through `SubjectCreate`) costs several times what writing it does, and rows are independent
of each other: so while the importing process matches and writes one batch, worker processes
validate the next ones. Everything that reads or writes the database stays in the importing
process, in its one transaction; workers only turn cells into a `Candidate` (with the blind
indexes it is matched by) or its problems.

Bounded: at most `workers + 1` batches are in flight, so memory depends on the batch size and
the number of workers, not on the file. Results come back in the file's order, so reports,
the rejects file and duplicate merging are the same whatever the number of workers.

Workers are started with "spawn" (a fresh interpreter, nothing inherited from the importing
process: no database connection, no key, no lock a thread held at fork time) and only for a
file longer than one batch, so a small import never waits for them to start. If the
importing process dies, each worker notices within half a second and ends.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain

from dataskydd.crypto import BlindIndexer
from dataskydd.errors import DataskyddError
from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import Mapping
from dataskydd.imports.reading import SourceRow
from dataskydd.imports.rows import Candidate, Problem, RowReader
from dataskydd.messages_i18n import Msg


class WorkerLost(DataskyddError):
    """A validating worker ended before its batch was done (killed, out of memory)."""

    status_code = 503
    exit_code = 3


Result = Candidate | list[Problem]
Validated = tuple[list[SourceRow], list[Result]]

_PARENT_CHECK_SECONDS = 0.5
_reader: RowReader | None = None  # the worker process's own reader (set by _start)


def _start(
    mapping: Mapping, header: list[str], limits: ImportLimits, indexer: BlindIndexer | None
) -> None:
    global _reader
    _reader = RowReader(mapping, header, limits, indexer)
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


def _end_with(parent: int) -> None:
    """Ends this worker once the importing process is gone (killed, say): a worker holds both
    ends of its task queue's pipe, so it would never read end-of-file and would wait forever.
    Its batches are worthless without the importing process's transaction."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(1)


def _read_batch(batch: list[SourceRow]) -> list[Result]:
    assert _reader is not None, "worker started without its reader"
    results = [_reader.read(row) for row in batch]
    for result in results:
        if isinstance(result, Candidate):
            # The importing process holds the row's cells already: not sent back.
            result.raw = []
    return results


def validated(
    batches: Iterator[list[SourceRow]],
    *,
    mapping: Mapping,
    header: list[str],
    limits: ImportLimits,
    workers: int,
    indexer: BlindIndexer | None = None,
) -> Iterator[Validated]:
    """Each batch with its rows' results, in the file's order. With `indexer` (the blind
    index's key only, never the keys that decrypt), each valid row comes with the blind
    indexes it is matched by, made in the worker too."""
    reader = RowReader(mapping, header, limits, indexer)
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None) if workers > 0 else None
    if second is None:
        # One batch, or no workers asked for: validated here, no process started.
        for batch in chain([first], batches):
            yield batch, [reader.read(row) for row in batch]
        return
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(mapping, header, limits, indexer),
    )
    try:
        in_flight: deque[tuple[list[SourceRow], Future[list[Result]]]] = deque()
        rest = chain([second], batches)

        def submit() -> None:
            batch = next(rest, None)
            if batch is not None:
                in_flight.append((batch, pool.submit(_read_batch, batch)))

        for _ in range(workers + 1):
            submit()
        # The first batch here, while the workers start (a fresh interpreter takes a while).
        yield first, [reader.read(row) for row in first]
        while in_flight:
            batch, future = in_flight.popleft()
            try:
                results = future.result()
            except BrokenProcessPool:
                raise WorkerLost(
                    Msg(
                        "a process validating the rows ended unexpectedly (out of memory?); "
                        "nothing was imported: run the import again, or with "
                        "DATASKYDD_IMPORT_WORKERS=0"
                    )
                ) from None
            submit()
            for row, result in zip(batch, results, strict=True):
                if isinstance(result, Candidate):
                    result.raw = row.cells
            yield batch, results
    finally:
        # A stopped import (a rejected row in all-or-nothing mode still reads on, but an
        # exception or an interrupted CLI does not) drops what is queued and waits for the
        # workers to end, so none outlives the command.
        pool.shutdown(wait=True, cancel_futures=True)
