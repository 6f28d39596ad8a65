"""The group-commit writer's queue rules, with plain functions as the batch writer.

What the database does on failure is proven against real databases in
tests/web/test_collect_durability.py; here the writer's own rules: batches, retries, splitting
around a bad item, a bounded queue, cancelled requests, draining on close.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, wait

import pytest

from dataskydd.analytics.writer import GroupWriter, NotStored, QueueFull, error_kind


class Recorder:
    """A batch writer that keeps what it was given and can be told to fail or block."""

    def __init__(self, *, bad: frozenset[str] = frozenset(), failures: int = 0) -> None:
        self.batches: list[list[str]] = []
        self.committed: list[str] = []
        self.bad = bad
        self.failures = failures  # the next n writes fail whatever they hold
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, batch: Sequence[str]) -> None:
        self.gate.wait(10)
        self.batches.append(list(batch))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("transient")
        if self.bad & set(batch):
            raise ValueError("secret /path and visitor 5555 in the message")
        self.committed.extend(batch)


def writer(recorder: Recorder, name: str = "test-writer", **options: float) -> GroupWriter[str]:
    return GroupWriter(
        recorder,
        backoff=0.001,
        idle_seconds=0.2,
        name=name,
        **options,  # type: ignore[arg-type]
    )


def outcome(future: Future[None]) -> str:
    error = future.exception(timeout=10)
    return "stored" if error is None else type(error).__name__


class TestBatches:
    def test_what_queues_while_a_batch_is_written_forms_the_next_batch(self) -> None:
        recorder = Recorder()
        recorder.gate.clear()
        group = writer(recorder)
        first = group.submit("a")
        time.sleep(0.05)  # the writer holds "a" and waits at the gate
        rest = [group.submit(name) for name in "bcd"]
        recorder.gate.set()
        wait([first, *rest], timeout=10)
        assert recorder.batches == [["a"], ["b", "c", "d"]]
        assert group.counts.stored == 4

    def test_batches_are_bounded(self) -> None:
        recorder = Recorder()
        recorder.gate.clear()
        group = writer(recorder, max_batch=2)
        futures = [group.submit(str(n)) for n in range(5)]
        recorder.gate.set()
        wait(futures, timeout=10)
        assert max(len(batch) for batch in recorder.batches) <= 2
        assert sorted(recorder.committed) == [str(n) for n in range(5)]

    def test_the_future_resolves_only_after_the_write_returned(self) -> None:
        recorder = Recorder()
        recorder.gate.clear()
        future = writer(recorder).submit("a")
        time.sleep(0.05)
        assert not future.done()
        recorder.gate.set()
        assert outcome(future) == "stored"
        assert recorder.committed == ["a"]

    def test_lingering_gathers_a_batch(self) -> None:
        recorder = Recorder()
        group = writer(recorder, max_wait=0.3)
        futures = [group.submit(str(n)) for n in range(3)]
        wait(futures, timeout=10)
        assert recorder.batches == [["0", "1", "2"]]


class TestFailures:
    def test_a_transient_failure_is_retried(self) -> None:
        recorder = Recorder(failures=2)
        future = writer(recorder).submit("a")
        assert outcome(future) == "stored"
        assert len(recorder.batches) == 3

    def test_one_bad_item_does_not_take_the_batch_with_it(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        recorder = Recorder(bad=frozenset({"bad"}))
        recorder.gate.clear()
        group = writer(recorder)
        names = [f"ok{n}" for n in range(6)] + ["bad"] + [f"ok{n}" for n in range(6, 12)]
        futures = {name: group.submit(name) for name in names}
        with caplog.at_level(logging.WARNING, logger="dataskydd.analytics.writer"):
            recorder.gate.set()
            results = {name: outcome(future) for name, future in futures.items()}
        assert results.pop("bad") == "NotStored"
        assert set(results.values()) == {"stored"}
        assert sorted(recorder.committed) == sorted(results)
        assert (group.counts.stored, group.counts.not_stored) == (12, 1)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert [r.getMessage() for r in errors] == [
            "collect events not stored: events=1 error=ValueError not_stored_total=1"
        ]
        assert "secret" not in caplog.text
        assert "5555" not in caplog.text

    def test_several_bad_items_are_found_and_logged_in_one_line(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        recorder = Recorder(bad=frozenset({"bad1", "bad2"}))
        recorder.gate.clear()
        group = writer(recorder)
        names = ["ok0", "bad1", *(f"ok{n}" for n in range(1, 9)), "bad2", "ok9"]
        futures = {name: group.submit(name) for name in names}
        with caplog.at_level(logging.ERROR, logger="dataskydd.analytics.writer"):
            recorder.gate.set()
            results = {name: outcome(future) for name, future in futures.items()}
        assert {n for n, r in results.items() if r != "stored"} == {"bad1", "bad2"}
        assert len(recorder.committed) == 10
        assert len(caplog.records) <= 2, "one line per batch (bad1 may be in a batch alone)"
        assert sum(int(r.getMessage().split("events=")[1].split()[0]) for r in caplog.records) == 2

    def test_an_environmental_error_fails_the_batch_without_splitting(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        recorder = Recorder(failures=1000)
        recorder.gate.clear()
        group = GroupWriter(
            recorder,
            backoff=0.001,
            environmental=lambda error: isinstance(error, RuntimeError),
            name="environmental-test",
        )
        first = group.submit("a")
        time.sleep(0.05)
        rest = [group.submit(name) for name in "bcdefgh"]
        with caplog.at_level(logging.ERROR, logger="dataskydd.analytics.writer"):
            recorder.gate.set()
            assert {outcome(f) for f in (first, *rest)} == {"NotStored"}
        assert len(recorder.batches) == 6, "three tries of each batch, no halves"
        assert [r.getMessage() for r in caplog.records] == [
            "collect events not stored: events=1 error=RuntimeError not_stored_total=1",
            "collect events not stored: events=7 error=RuntimeError not_stored_total=8",
        ]

    def test_not_stored_tells_the_client_when_to_retry(self) -> None:
        future = writer(Recorder(bad=frozenset({"x"}))).submit("x")
        error = future.exception(timeout=10)
        assert isinstance(error, NotStored)
        assert error.status_code == 503
        assert error.retry_after > 0

    def test_give_up_after_bounds_the_time_spent_on_a_batch(self) -> None:
        recorder = Recorder(failures=10_000)
        group = GroupWriter(recorder, backoff=0.05, attempts=50, give_up_after=0.3)
        started = time.monotonic()
        assert outcome(group.submit("a")) == "NotStored"
        assert time.monotonic() - started < 2

    def test_the_error_kind_names_no_value(self) -> None:
        class Orig(Exception):
            sqlstate = "P0001"

        class Wrapped(Exception):
            orig = Orig("insert of visitor 5555 /secret failed")

        assert error_kind(Wrapped("[parameters: ('5555', '/secret')]")) == "Wrapped/Orig/P0001"


class TestQueue:
    def test_a_full_queue_refuses_at_once(self) -> None:
        recorder = Recorder()
        recorder.gate.clear()
        group = writer(recorder, max_queued=2)
        first = group.submit("a")
        time.sleep(0.05)  # taken by the writer: no longer queued
        queued = [group.submit("b"), group.submit("c")]
        with pytest.raises(QueueFull) as refused:
            group.submit("d")
        assert refused.value.retry_after >= 1
        assert group.counts.refused == 1
        recorder.gate.set()
        assert [outcome(f) for f in (first, *queued)] == ["stored"] * 3
        assert "d" not in recorder.committed

    def test_a_request_that_gave_up_while_queued_is_not_written(self) -> None:
        recorder = Recorder()
        recorder.gate.clear()
        group = writer(recorder)
        first = group.submit("a")
        time.sleep(0.05)
        abandoned = group.submit("b")
        assert abandoned.cancel()
        recorder.gate.set()
        assert outcome(first) == "stored"
        group.close(10)
        assert recorder.committed == ["a"]

    def test_close_writes_what_is_queued_then_refuses(self) -> None:
        recorder = Recorder()
        recorder.gate.clear()
        group = writer(recorder)
        futures = [group.submit(str(n)) for n in range(4)]
        threading.Timer(0.1, recorder.gate.set).start()
        assert group.close(10)
        assert all(f.done() and f.exception() is None for f in futures)
        assert sorted(recorder.committed) == ["0", "1", "2", "3"]
        with pytest.raises(QueueFull):
            group.submit("late")

    def test_the_thread_ends_when_idle_and_comes_back(self) -> None:
        recorder = Recorder()
        group = writer(recorder, name="idle-test-writer")
        assert outcome(group.submit("a")) == "stored"
        deadline = time.monotonic() + 5
        while any(t.name == group.name and t.is_alive() for t in threading.enumerate()):
            assert time.monotonic() < deadline, "the idle writer thread did not end"
            time.sleep(0.05)
        assert outcome(group.submit("b")) == "stored"
        assert recorder.committed == ["a", "b"]
