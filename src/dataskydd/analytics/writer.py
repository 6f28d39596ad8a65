"""Group commit for website events: an event is answered only once its batch has committed.

Request handlers `submit` an accepted event and wait for its future. One thread per process
takes whatever is queued (at most `max_batch` events, after lingering up to `max_wait` for
more), writes it in one transaction and then resolves every future of the batch. Nothing that
must survive lives only in memory: a killed process loses the events it had not answered.

A failed write is retried (`attempts`, doubling `backoff`); if it still fails, the batch is
halved until the events that cannot be stored stand alone, so one bad event cannot take the
others with it (unless the error is `environmental`: a database that is down or locked fails
every part alike). Those get `NotStored` (the client is told to retry), one ERROR log line per
batch without personal data, and a count. A full queue refuses at once (`QueueFull`), never
grows. Everything about one batch ends within `give_up_after` seconds (one statement can take
longer: SQLite's busy timeout, a hung connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from dataskydd.errors import DataskyddError
from dataskydd.messages_i18n import Msg

logger = logging.getLogger(__name__)

Item = TypeVar("Item")


class LoopTicket:
    """What an async submitter waits on: a future of its event loop, settled from the writer
    thread together with the rest of its batch by one call into that loop (`_settle`), rather
    than one thread-safe wake-up per item as `asyncio.wrap_future` would make."""

    __slots__ = ("future", "loop", "settled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        self.settled = False

    def set_running_or_notify_cancel(self) -> bool:
        # Read from the writer thread: a request cancelled a moment later is settled as done
        # (its future is skipped when the loop settles it); nothing is lost either way.
        return not self.future.cancelled()

    def done(self) -> bool:
        return self.settled


Ticket = Future[None] | LoopTicket
# An item and what its submitter waits on.
Pending = tuple[Item, Ticket]


class NotStored(DataskyddError):
    """The event was not written: the client may send it again after `retry_after` seconds."""

    status_code = 503

    def __init__(self, message: Msg, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFull(NotStored):
    def __init__(self) -> None:
        super().__init__(Msg("too many events are waiting to be written"), retry_after=1)


@dataclass
class WriterCounts:
    """Since the writer was made. `not_stored` counts events answered with NotStored after a
    write failed; `refused` those refused because the queue was full or the writer closed."""

    stored: int = 0
    batches: int = 0
    failed_writes: int = 0
    not_stored: int = 0
    refused: int = 0


def error_kind(error: BaseException) -> str:
    """The error's class and database code, never its message: driver messages can quote the
    parameters (visitor ids, paths) of the statement that failed."""
    orig = getattr(error, "orig", None)
    parts = [type(error).__name__]
    if orig is not None:
        parts.append(type(orig).__name__)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        if code:
            parts.append(str(code))
    return "/".join(parts)


class GroupWriter(Generic[Item]):
    """A bounded queue in front of `write(batch)`, which commits the batch or raises."""

    def __init__(
        self,
        write: Callable[[Sequence[Item]], object],
        *,
        max_batch: int = 500,
        max_wait: float = 0.0,
        max_queued: int = 10_000,
        attempts: int = 3,
        backoff: float = 0.05,
        give_up_after: float = 10.0,
        idle_seconds: float = 5.0,
        environmental: Callable[[Exception], bool] = lambda error: False,
        name: str = "collect-writer",
        write_now: Callable[[Sequence[Item]], object] | None = None,
    ) -> None:
        self._write_batch = write
        # For a database written without waiting (SQLite: a local file, no network): `put`
        # writes in the event loop's own thread, once per loop turn for every event that
        # arrived in it. A writer thread would hand the GIL back and forth with the loop at
        # every call into the database; measured, that halved the requests per second even
        # with writes that did nothing. `write_now` must fail at once rather than wait for a
        # lock; a batch it fails goes to the thread, whose `write` retries and splits.
        self._write_now = write_now
        self._in_loop: dict[asyncio.AbstractEventLoop, list[tuple[Item, LoopTicket]]] = {}
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.max_queued = max_queued
        self.attempts = attempts
        self.backoff = backoff
        self.give_up_after = give_up_after
        self.idle_seconds = idle_seconds
        # Errors of the database itself (unreachable, locked) rather than of an item: splitting
        # the batch cannot help, so after the retries all of it is answered NotStored.
        self.environmental = environmental
        self.name = name
        self.counts = WriterCounts()
        self._queue: deque[Pending[Item]] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, item: Item) -> Future[None]:
        """The item's future, resolved once it is committed (or failed with NotStored).
        Raises QueueFull when `max_queued` items are waiting, or the writer is closed."""
        future: Future[None] = Future()
        self._enqueue(item, future)
        return future

    async def put(self, item: Item) -> None:
        """Returns once the item is committed; raises NotStored (also QueueFull)."""
        loop = asyncio.get_running_loop()
        ticket = LoopTicket(loop)
        if self._write_now is None:
            self._enqueue(item, ticket)
        else:
            self._hold(loop, item, ticket)
        await ticket.future

    def _hold(self, loop: asyncio.AbstractEventLoop, item: Item, ticket: LoopTicket) -> None:
        """Keeps the item for this loop turn's batch (written by `_write_turn`)."""
        held = self._in_loop.get(loop)
        if self._closed or len(self._queue) + self._held() >= self.max_queued:
            self.counts.refused += 1
            raise QueueFull
        if held is None:
            held = self._in_loop[loop] = []
            if self.max_wait > 0:
                loop.call_later(self.max_wait, self._write_turn, loop)
            else:
                loop.call_soon(self._write_turn, loop)
        held.append((item, ticket))
        if self.max_wait > 0 and len(held) == self.max_batch:
            loop.call_soon(self._write_turn, loop)

    def _held(self) -> int:
        return sum(len(held) for held in self._in_loop.values())

    def _write_turn(self, loop: asyncio.AbstractEventLoop) -> None:
        held = self._in_loop.pop(loop, None)
        if not held:
            return  # written already (a full batch before its linger ran out)
        assert self._write_now is not None
        live = [(item, ticket) for item, ticket in held if ticket.set_running_or_notify_cancel()]
        for start in range(0, len(live), self.max_batch):
            batch: list[Pending[Item]] = list(live[start : start + self.max_batch])
            error = self._try(batch, self._write_now)
            if error is not None:
                # Locked by another process, or an event that cannot be stored: the thread
                # retries with backoff and splits the batch, without holding up the loop.
                logger.info("collect batch handed to the writer thread: %s", error_kind(error))
                self._enqueue_admitted(batch)

    def _enqueue_admitted(self, batch: Sequence[Pending[Item]]) -> None:
        """Items already answered 'accepted for writing': queued for the thread even when
        the queue is full or the writer closing, never refused."""
        with self._changed:
            self._queue.extend(batch)
            self._wake(notify=True)

    def _enqueue(self, item: Item, future: Ticket) -> None:
        with self._changed:
            if self._closed or len(self._queue) >= self.max_queued:
                self.counts.refused += 1
                raise QueueFull
            self._queue.append((item, future))
            self._wake(notify=len(self._queue) in (1, self.max_batch))

    def _wake(self, *, notify: bool) -> None:
        """Under `_changed`: starts the thread, or with `notify` wakes it to look again."""
        if self._thread is None:
            # The thread ends after `idle_seconds` without work; the next item starts one.
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        elif notify:
            self._changed.notify()

    @property
    def queued(self) -> int:
        """Items not written yet: waiting for the thread or held for a loop turn."""
        return len(self._queue) + self._held()

    def close(self, timeout: float | None = None) -> bool:
        """Refuse new items, write what is queued and stop; False if `timeout` ran out first.
        Items held for a loop turn are written by that turn (or handed to the thread)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            self._closed = True
        # Their loop writes them at its next turn (or hands them to the thread just below).
        while self._in_loop and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.005)
        with self._changed:
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            return not thread.is_alive()
        return not self._in_loop

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            # A future cancelled while queued belongs to a request that gave up: not written.
            live = [(item, f) for item, f in batch if f.set_running_or_notify_cancel()]
            if not live:
                continue
            try:
                self._write(live, time.monotonic() + self.give_up_after)
            except Exception as error:  # a bug here must not leave requests waiting forever
                self._give_up([(i, f) for i, f in live if not f.done()], error)

    def _next_batch(self) -> list[Pending[Item]] | None:
        with self._changed:
            if not self._queue and not self._closed:
                self._changed.wait(self.idle_seconds)
            if not self._queue:
                self._thread = None
                return None
            if self.max_wait > 0 and not self._closed and len(self._queue) < self.max_batch:
                self._changed.wait_for(
                    lambda: self._closed or len(self._queue) >= self.max_batch, self.max_wait
                )
            count = min(self.max_batch, len(self._queue))
            return [self._queue.popleft() for _ in range(count)]

    def _write(self, batch: list[Pending[Item]], deadline: float) -> None:
        error: Exception | None = None
        for attempt in range(self.attempts):
            error = self._try(batch)
            if error is None:
                return
            delay = self.backoff * 2**attempt
            if attempt + 1 == self.attempts or time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
        assert error is not None
        failed: list[Pending[Item]] = []
        last: BaseException = error
        if len(batch) == 1 or self.environmental(error):
            failed = batch
        else:
            logger.warning(
                "collect batch of %d events failed %s; writing it in parts",
                len(batch),
                error_kind(error),
            )
            last = self._split(batch, deadline, failed) or error
        self._give_up(failed, last)

    def _split(
        self, batch: list[Pending[Item]], deadline: float, failed: list[Pending[Item]]
    ) -> BaseException | None:
        """Halves, each tried once, until the failing items stand alone; they go to `failed`.
        Returns the last error seen."""
        last: BaseException | None = None
        middle = len(batch) // 2
        for part in (batch[:middle], batch[middle:]):
            if time.monotonic() > deadline:
                failed.extend(part)
                last = last or TimeoutError()
                continue
            error = self._try(part)
            if error is None:
                continue
            if len(part) == 1 or self.environmental(error):
                failed.extend(part)
                last = error
            else:
                last = self._split(part, deadline, failed) or error
        return last

    def _try(
        self,
        batch: list[Pending[Item]],
        write: Callable[[Sequence[Item]], object] | None = None,
    ) -> Exception | None:
        """Writes the batch (with `write`, else the thread's own) and settles its waiters;
        the error instead if the write failed, with nothing settled."""
        try:
            (write or self._write_batch)([item for item, _ in batch])
        except Exception as error:
            self.counts.failed_writes += 1
            return error
        self.counts.stored += len(batch)
        self.counts.batches += 1
        _settle(batch, None)
        return None

    def _give_up(self, batch: list[Pending[Item]], error: BaseException) -> None:
        """One log line per batch, however many of its items failed."""
        if not batch:
            return
        self.counts.not_stored += len(batch)
        logger.error(
            "collect events not stored: events=%d error=%s not_stored_total=%d",
            len(batch),
            error_kind(error),
            self.counts.not_stored,
        )
        _settle(batch, NotStored(Msg("the event could not be stored"), retry_after=5))


def _settle(batch: Sequence[Pending[Item]], error: BaseException | None) -> None:
    """Resolves every waiter of the batch: thread futures directly, each event loop's futures
    by one call into that loop, or at once when called in that loop (the in-loop writes)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for _, ticket in batch:
        if isinstance(ticket, LoopTicket):
            ticket.settled = True
            by_loop.setdefault(ticket.loop, []).append(ticket.future)
        elif error is None:
            ticket.set_result(None)
        else:
            ticket.set_exception(error)
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # the writer thread
        running = None
    for loop, futures in by_loop.items():
        if loop is running:
            _settle_in_loop(futures, error)
            continue
        # A closed loop raises RuntimeError: no one is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_in_loop, futures, error)


def _settle_in_loop(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # its request was cancelled meanwhile
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
