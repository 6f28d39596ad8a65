"""Item-item co-occurrence on scipy.sparse, built from batches of subjects' viewing so memory
grows with the catalogue (items x items), never with the number of events.

Each subject counts once per title (binary viewing matrix X, subjects x titles); C = XᵀX
counts, per pair of titles, the subjects who watched both, and the similarity is the cosine
C[i, j] / sqrt(C[i, i] C[j, j]). Pure: no database, no policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# scipy ships no type information (and scipy-stubs is no dependency of ours).
from scipy import sparse  # type: ignore[import-untyped]


@dataclass(frozen=True)
class Neighbour:
    item: str
    rank: int  # 1 = the most similar
    neighbour: str
    score: float


class CooccurrenceCounts:
    """XᵀX summed over batches of subjects, with the titles numbered as they first appear.

    A batch's pairs wait in a buffer and are merged into the total only when the buffer holds
    as many as the total: adding each batch at once costs the whole total's size per batch
    (10 M events: 800 s instead of ~150), merging by doubling costs it a few times in all.
    Memory stays bound by the pairs of titles seen together, about twice over."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.titles: list[str] = []
        # Counts are whole numbers: int32 keeps a pair in 8 bytes (value and column index).
        self._counts = sparse.csr_matrix((0, 0), dtype=np.int32)
        self._pending: list[Any] = []  # COO matrices of batches not merged yet
        self._pending_pairs = 0
        self.subjects = 0
        self.events = 0

    def _number(self, item: str) -> int:
        number = self.index.get(item)
        if number is None:
            number = self.index[item] = len(self.titles)
            self.titles.append(item)
        return number

    def add_batch(self, histories: Iterable[Sequence[str]]) -> None:
        """One batch of subjects, each the titles they watched (repeats count once)."""
        rows: list[int] = []
        columns: list[int] = []
        subjects = 0
        for titles in histories:
            if not titles:
                continue
            self.events += len(titles)
            for number in {self._number(title) for title in titles}:
                rows.append(subjects)
                columns.append(number)
            subjects += 1
        if not subjects:
            return
        self.subjects += subjects
        ones = np.ones(len(rows), dtype=np.int32)
        viewed = sparse.csr_matrix((ones, (rows, columns)), shape=(subjects, len(self.titles)))
        together = (viewed.T @ viewed).tocoo()
        self._pending.append(together)
        self._pending_pairs += together.nnz
        if self._pending_pairs >= max(self._counts.nnz, 1 << 20):
            self._merge()

    def _merge(self) -> None:
        size = len(self.titles)
        if self._counts.shape != (size, size):
            self._counts.resize((size, size))
        if not self._pending:
            return
        rows = np.concatenate([pending.row for pending in self._pending])
        columns = np.concatenate([pending.col for pending in self._pending])
        values = np.concatenate([pending.data for pending in self._pending])
        self._pending, self._pending_pairs = [], 0
        # Duplicates (the same pair from several batches) are summed by the conversion.
        merged = sparse.csr_matrix((values, (rows, columns)), shape=(size, size))
        self._counts = self._counts + merged

    @property
    def counts(self) -> sparse.csr_matrix:
        self._merge()
        return self._counts


def cosine(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Cosine similarity of titles from their co-occurrence counts, the diagonal removed."""
    diagonal = counts.diagonal().astype(np.float64)
    norms = np.sqrt(np.where(diagonal > 0, diagonal, 1.0))
    scale = sparse.diags(1.0 / norms)
    similar = (scale @ counts.astype(np.float64) @ scale).tocsr()
    similar.setdiag(0)
    similar.eliminate_zeros()
    return similar


def top_neighbours(
    similar: sparse.csr_matrix, titles: Sequence[str], per_item: int
) -> list[Neighbour]:
    """Per title its `per_item` most similar titles. Only the best are sorted (argpartition):
    a large catalogue's rows hold thousands of scores each. The same events give the same
    lists (ties among the kept ones are broken by title)."""
    found: list[Neighbour] = []
    for number, title in enumerate(titles):
        start, end = similar.indptr[number], similar.indptr[number + 1]
        columns = similar.indices[start:end]
        scores = similar.data[start:end]
        if len(scores) > per_item:
            kept = np.argpartition(-scores, per_item - 1)[:per_item]
            columns, scores = columns[kept], scores[kept]
        ranked = sorted(
            zip(scores.tolist(), columns.tolist(), strict=True),
            key=lambda pair: (-pair[0], titles[pair[1]]),
        )
        for rank, (score, column) in enumerate(ranked, start=1):
            found.append(Neighbour(title, rank, titles[column], round(float(score), 6)))
    return found


def neighbours_of(counts: CooccurrenceCounts, per_item: int) -> list[Neighbour]:
    return top_neighbours(cosine(counts.counts), counts.titles, per_item)
