"""Which model for personal recommendations (docs/recommendations.md): hit rate at 10 on
held-out last views of the demo's viewing histories, item-item co-occurrence (what
dataskydd.recommendations serves, same scoring) against `implicit`'s ALS and a popularity
baseline.

The histories are the demo's own (`dataskydd.demo.viewing.viewing_history`, as `dataskydd
demo` writes them: about 25 views a viewer), generated here so no database is read. Each
viewer's last new title (not seen before in their history) is held out; the models learn from
everything else; a hit is the held-out title among the 10 recommended (already watched
titles are never recommended).

`implicit` is no dependency of dataskydd: `pip install implicit` to measure it; without it,
the script says so and compares against popularity only.

    python benchmarks/compare_recommenders.py [--viewers 5000] [--seeds 3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

from dataskydd.demo.viewing import viewing_history
from dataskydd.recommendations.cooccurrence import CooccurrenceCounts, neighbours_of
from dataskydd.recommendations.serving import HISTORY_TITLES, score
from dataskydd.recommendations.training import NEIGHBOURS_PER_ITEM

K = 10


def histories(viewers: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    # As the demo: 20-70 events a customer over the window, 55 % of them views.
    return [viewing_history(rng, round(rng.randint(20, 70) * 0.55)) for _ in range(viewers)]


def split(all_views: list[list[str]]) -> list[tuple[list[str], str]]:
    """(history before, held-out title) for viewers whose last view has a title new to them."""
    cases = []
    for views in all_views:
        for position in range(len(views) - 1, 1, -1):
            if views[position] not in views[:position]:
                cases.append((views[:position], views[position]))
                break
    return cases


def recent_first(history: list[str]) -> list[str]:
    return list(dict.fromkeys(reversed(history)))[:HISTORY_TITLES]


def cooccurrence(cases: list[tuple[list[str], str]]) -> tuple[float, float]:
    started = time.perf_counter()
    counts = CooccurrenceCounts()
    for start in range(0, len(cases), 1000):
        counts.add_batch([history for history, _ in cases[start : start + 1000]])
    lists: dict[str, list[tuple[str, str, float]]] = {}
    for n in neighbours_of(counts, NEIGHBOURS_PER_ITEM):
        lists.setdefault(n.item, []).append((n.item, n.neighbour, n.score))
    trained = time.perf_counter() - started
    hits = 0
    for history, held in cases:
        recent = recent_first(history)
        rows = [row for title in recent for row in lists.get(title, [])]
        hits += held in {title for title, _s, _b in score(recent, rows, K)}
    return hits / len(cases), trained


def popularity(cases: list[tuple[list[str], str]]) -> float:
    popular = Counter(title for history, _ in cases for title in set(history))
    ranked = [title for title, _ in popular.most_common()]
    hits = 0
    for history, held in cases:
        seen = set(history)
        hits += held in [t for t in ranked if t not in seen][:K]
    return hits / len(cases)


def als(cases: list[tuple[list[str], str]], factors: int, seed: int) -> tuple[float, float] | None:
    try:
        from implicit.als import AlternatingLeastSquares  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None
    index: dict[str, int] = {}
    rows, columns = [], []
    for user, (history, _) in enumerate(cases):
        for title in set(history):
            rows.append(user)
            columns.append(index.setdefault(title, len(index)))
    user_items = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(cases), len(index))
    )
    started = time.perf_counter()
    model = AlternatingLeastSquares(
        factors=factors, regularization=0.05, iterations=15, random_state=seed
    )
    model.fit(user_items, show_progress=False)
    trained = time.perf_counter() - started
    titles = {number: title for title, number in index.items()}
    users = np.arange(len(cases))
    ids, _scores = model.recommend(users, user_items[users], N=K, filter_already_liked_items=True)
    hits = sum(held in {titles[int(i)] for i in ids[user]} for user, (_h, held) in enumerate(cases))
    return hits / len(cases), trained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    for seed in range(1, args.seeds + 1):
        cases = split(histories(args.viewers, seed))
        hit, seconds = cooccurrence(cases)
        results.setdefault("co-occurrence (cosine, served scoring)", []).append(hit)
        results.setdefault("co-occurrence training s", []).append(seconds)
        results.setdefault("popularity", []).append(popularity(cases))
        for factors in (16, 64):
            measured = als(cases, factors, seed)
            if measured is None:
                continue
            results.setdefault(f"implicit ALS, {factors} factors", []).append(measured[0])
            results.setdefault(f"implicit ALS {factors} training s", []).append(measured[1])
        print(f"seed {seed}: {len(cases)} held-out views")
    if not any(name.startswith("implicit") for name in results):
        print("implicit is not installed: compared against popularity only")
    for name, values in results.items():
        mean = sum(values) / len(values)
        spread = f"{min(values):.3f}-{max(values):.3f}"
        print(f"{name:<42} {mean:.3f}  ({spread})")


if __name__ == "__main__":
    main()
