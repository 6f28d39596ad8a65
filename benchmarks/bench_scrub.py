"""What taking personal data out costs the collector per event (issue 14, item 2).

In process, no HTTP and no database: `ingest.accept_event` for a view as consent.js sends it,
median of `--repeat` runs of `--events` events, beside its floor measured in the same run: the
same event taken apart without scrubbing (urllib's urlsplit and parse_qsl of the page and the
previous path, the bot and device checks and the IP cut that the collector did before).
Three pages: a plain one with utm values, one with an external referrer, and one with a phone
number in its path (the slow case: phonenumbers runs only for values with 7 or more digits).

    python benchmarks/bench_scrub.py                 # 20,000 events x 5
    python benchmarks/bench_scrub.py --events 2000   # a quick look
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from dataskydd.analytics import ingest
from dataskydd.analytics.user_agents import device_class, is_bot

AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PAGES = {
    "plain + utm": {
        "page": "/produkter/bredband-100-mbit?utm_source=nyhetsbrev&utm_campaign=vinter-2026",
        "previous": "/start",
    },
    "external referrer": {"page": "/produkter/bredband", "referrer": "www.google.se"},
    "phone in path": {"page": "/order/0701234567/kvitto?utm_source=sms"},
}


def per_event(work: Callable[[], object], events: int, repeat: int) -> float:
    """Median microseconds per call."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(events):
            work()
        runs.append((time.perf_counter() - start) / events * 1e6)
    return statistics.median(runs)


def floor(body: dict[str, str]) -> Callable[[], object]:
    def unscrubbed() -> object:
        is_bot(AGENT)
        device_class(AGENT)
        parts = urlsplit(body["page"])
        query = dict(parse_qsl(parts.query))
        if "previous" in body:
            urlsplit(body["previous"])
        ingest.truncate_ip("203.0.113.9")
        return parts.path, tuple(query.get(key) for key in ingest.CAMPAIGN_KEYS)

    return unscrubbed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'page':<20} {'accept_event':>14} {'floor':>10} {'scrubbing adds':>15}")
    for name, body in PAGES.items():
        event = ingest.CollectedEvent.model_validate(
            {"kind": "view", "visitor_id": "a" * 32, "visit_id": "b" * 32, **body}
        )

        def accept(event: ingest.CollectedEvent = event) -> object:
            return ingest.accept_event(
                event, user_agent=AGENT, client_ip="203.0.113.9", site="https://exempel.se"
            )

        measured = per_event(accept, args.events, args.repeat)
        bare = per_event(floor(body), args.events, args.repeat)
        print(f"{name:<20} {measured:>11.1f} µs {bare:>7.1f} µs {measured - bare:>12.1f} µs")


if __name__ == "__main__":
    main()
