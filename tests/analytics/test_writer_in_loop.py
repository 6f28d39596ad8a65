"""The group-commit writer's in-loop path (`write_now`, SQLite): each loop turn's events in
one write made in the loop's own thread; a write that fails goes to the thread, which retries
and splits; closing waits for what a turn still holds. Then the real thing: a SQLite file
whose write lock another connection holds must not stall the loop, and the events are stored
once the lock is free."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from dataskydd.analytics.writer import GroupWriter, NotStored, QueueFull
from dataskydd.db.session import make_engine, make_nowait_engine
from tests.own_loop import run


class Calls:
    """A batch writer that records each call and the thread it ran in."""

    def __init__(self, *, fail: int = 0, bad: frozenset[str] = frozenset()) -> None:
        self.batches: list[list[str]] = []
        self.threads: list[str] = []
        self.fail = fail
        self.bad = bad

    def __call__(self, batch: Sequence[str]) -> None:
        self.threads.append(threading.current_thread().name)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("locked")
        if self.bad & set(batch):
            raise ValueError("cannot be stored")
        self.batches.append(list(batch))


def in_loop_writer(now: Calls, later: Calls, **options: float) -> GroupWriter[str]:
    return GroupWriter(
        later,
        write_now=now,
        backoff=0.001,
        idle_seconds=0.2,
        name="later-thread",
        **options,  # type: ignore[arg-type]
    )


async def put_all(group: GroupWriter[str], items: list[str]) -> None:
    await asyncio.gather(*(group.put(item) for item in items))


def test_one_loop_turns_events_are_one_write_in_the_loop_thread() -> None:
    now, later = Calls(), Calls()
    group = in_loop_writer(now, later)

    async def main() -> str:
        await asyncio.gather(*(group.put(str(n)) for n in range(40)))
        return threading.current_thread().name

    loop_thread = run(main)
    assert now.batches == [[str(n) for n in range(40)]]
    assert now.threads == [loop_thread]
    assert later.batches == []
    assert (group.counts.stored, group.counts.batches) == (40, 1)


def test_a_turn_is_written_in_batches_of_at_most_max_batch() -> None:
    now, later = Calls(), Calls()
    group = in_loop_writer(now, later, max_batch=16)
    run(lambda: put_all(group, [str(n) for n in range(40)]))
    assert [len(batch) for batch in now.batches] == [16, 16, 8]


def test_a_failed_write_goes_to_the_thread_and_is_stored() -> None:
    now, later = Calls(fail=1), Calls()
    group = in_loop_writer(now, later)
    run(lambda: put_all(group, list("abc")))
    assert now.batches == []
    assert later.batches == [["a", "b", "c"]]
    assert later.threads == ["later-thread"]
    assert group.counts.stored == 3


def test_what_the_thread_cannot_store_either_is_answered_not_stored() -> None:
    now, later = Calls(fail=1), Calls(bad=frozenset({"b"}))
    group = in_loop_writer(now, later)

    async def main() -> list[str]:
        results = await asyncio.gather(*(group.put(name) for name in "abc"), return_exceptions=True)
        return [type(result).__name__ if result else "stored" for result in results]

    assert run(main) == ["stored", "NotStored", "stored"]
    assert sorted(item for batch in later.batches for item in batch) == ["a", "c"]
    assert group.counts.not_stored == 1


def test_the_queue_bound_counts_what_a_turn_holds() -> None:
    now, later = Calls(), Calls()
    group = in_loop_writer(now, later, max_queued=3)

    async def main() -> list[str]:
        results = await asyncio.gather(
            *(group.put(str(n)) for n in range(5)), return_exceptions=True
        )
        return [type(result).__name__ if result else "stored" for result in results]

    assert run(main) == ["stored"] * 3 + ["QueueFull"] * 2
    assert issubclass(QueueFull, NotStored)


def test_close_waits_for_what_a_turn_holds() -> None:
    now, later = Calls(), Calls()
    group = in_loop_writer(now, later, max_wait=0.2)  # the turn is written 0.2 s after

    async def main() -> bool:
        pending = asyncio.ensure_future(group.put("a"))
        await asyncio.sleep(0)
        closed = await asyncio.to_thread(group.close, 5)
        await pending
        return closed

    assert run(main) is True
    assert now.batches == [["a"]]


def test_a_locked_sqlite_file_does_not_stall_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    url = f"sqlite:///{path}"
    table = Table("event", MetaData(), Column("id", Integer, primary_key=True), Column("v", String))
    shared = make_engine(url)
    table.metadata.create_all(shared)
    nowait = make_nowait_engine(url)
    assert nowait is not None

    def write_with(engine_: object) -> object:
        def write(batch: Sequence[str]) -> None:
            with engine_.begin() as connection:  # type: ignore[attr-defined]
                connection.execute(insert(table), [{"v": value} for value in batch])

        return write

    group: GroupWriter[str] = GroupWriter(
        write_with(shared),  # type: ignore[arg-type]
        write_now=write_with(nowait),  # type: ignore[arg-type]
        idle_seconds=0.2,
    )
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process's write lock, held 0.5 s
    threading.Timer(0.5, lambda: holder.execute("COMMIT")).start()

    async def main() -> float:
        longest = 0.0

        async def ticker() -> None:
            nonlocal longest
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                longest, last = max(longest, now - last), now

        ticking = asyncio.ensure_future(ticker())
        started = time.monotonic()
        await asyncio.gather(*(group.put(str(n)) for n in range(20)))
        assert time.monotonic() - started >= 0.4  # it did wait for the lock, in the thread
        ticking.cancel()
        return longest

    longest_gap = run(main)
    assert longest_gap < 0.2, longest_gap  # the loop kept turning while the lock was held
    with shared.connect() as connection:
        assert len(connection.execute(select(table.c.v)).all()) == 20
    assert group.counts.failed_writes >= 1
    group.close(5)
    holder.close()
    nowait.dispose()
    shared.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "postgresql://x@127.0.0.1/x"])
def test_no_in_loop_engine_where_another_connection_is_another_database_or_a_network(
    url: str,
) -> None:
    assert make_nowait_engine(url) is None
