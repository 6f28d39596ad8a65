"""`Random.randrange(n)` for the demo's hot loop, drawing the same bits.

`randrange` checks and converts its arguments on every call (about half the cost of a usage
event); the usage loop draws a few numbers for each of ~40 events per customer. `below(n)`
is the draw randrange(n) and choice() make underneath - k = n.bit_length() random bits,
again until below n (CPython's `Random._randbelow_with_getrandbits`, the same since 3.2) - so
the rows stay those of randrange: tests/demo/test_bulk_writes.py compares the two, and the
builder's fingerprint for a seed is unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def below_function(rng: random.Random) -> Callable[[int], int]:
    """A function drawing an int in [0, n) for n > 0, as `rng.randrange(n)` does."""
    getrandbits = rng.getrandbits

    def below(n: int) -> int:
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return r

    return below
