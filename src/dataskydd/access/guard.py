"""Which categories the current unit of work was granted by an access decision.

The decision sets this; reading code does not consult it (the decision already refused what
was not allowed). It exists so that a test can watch every SQL statement and fail when a
personal-data table is read with no decision granting one of its categories. Web handlers run
each request in a copied context, so a grant never leaks into another request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_granted: ContextVar[frozenset[str]] = ContextVar("dataskydd_access_granted", default=frozenset())
# Reads the decision itself makes (the subject's state, the subject row it checks exists).
_internal: ContextVar[bool] = ContextVar("dataskydd_access_internal", default=False)


def grant(categories: Iterable[str]) -> None:
    _granted.set(_granted.get() | frozenset(categories))


def granted() -> frozenset[str]:
    return _granted.get()


def is_internal() -> bool:
    return _internal.get()


@contextmanager
def internal() -> Iterator[None]:
    token = _internal.set(True)
    try:
        yield
    finally:
        _internal.reset(token)


def reset() -> None:
    _granted.set(frozenset())
