"""The model's arithmetic: cosine of co-viewing, built batch by batch."""

from __future__ import annotations

import math

from dataskydd.recommendations.cooccurrence import CooccurrenceCounts, neighbours_of


def test_cosine_of_binary_co_viewing() -> None:
    counts = CooccurrenceCounts()
    counts.add_batch([["a", "b"], ["a", "b", "c"]])
    counts.add_batch([["c", "d"], ["a", "d", "d"], []])
    found = {(n.item, n.rank): (n.neighbour, n.score) for n in neighbours_of(counts, 3)}
    # a: 3 viewers, b: 2, together 2 → 2 / sqrt(3 * 2).
    assert found["a", 1] == ("b", round(2 / math.sqrt(6), 6))
    # A repeat counts once: the third batch's subject watched d once.
    assert counts.subjects == 4
    assert counts.events == 10
    assert ("a", 0) not in found
    assert all(item != neighbour for (item, _), (neighbour, _s) in found.items())


def test_batches_give_the_counts_of_one_matrix() -> None:
    histories = [["x", "y"], ["y", "z"], ["x", "z", "y"], ["w"]]
    whole, split = CooccurrenceCounts(), CooccurrenceCounts()
    whole.add_batch(histories)
    for history in histories:
        split.add_batch([history])
    assert neighbours_of(whole, 5) == neighbours_of(split, 5)
