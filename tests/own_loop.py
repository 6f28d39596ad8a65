"""Async test code run in an event loop of its own thread.

Playwright's sync API (tests/browser) keeps an event loop running in the main thread for the
whole test session, and no other loop can run in a thread that has one: `asyncio.run` there
fails with "cannot be called from a running event loop". Tests that drive the app with an
async client run their coroutine through `run` instead.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Callable[[], Coroutine[Any, Any, T]], *, timeout: float = 120) -> T:
    """`asyncio.run(main())` in a new thread; its result, or its exception re-raised here."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(asyncio.run(main()))
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=target, name="own-loop")
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the test's coroutine did not finish within {timeout:g} s"
    if failure:
        raise failure[0]
    return outcome[0]


def in_own_loop(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """A test written as a coroutine, run by `run` (pytest sees a plain function)."""

    @functools.wraps(test)
    def run_test() -> None:
        run(test)

    return run_test
