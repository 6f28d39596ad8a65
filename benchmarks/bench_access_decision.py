"""What the access decision costs per read, in-process, on a 10,000-customer SQLite register.

    python benchmarks/bench_access_decision.py [--customers 10000] [--reads 500]

Uses bench_subject.py's cached demo database (benchmarks/.data/subject-<n>.db, built once).
Each line is timed over the same random customers, one call at a time, and printed as p50 and
p99 beside each other:

- `show_subject`: the purpose-checked view (customer service, purpose customer_relationship):
  the decision (subject state, audit row, grant) and then the view's SELECTs;
- the same SELECTs alone: the statements `show_subject` runs for the categories it shows,
  executed without any decision — the read as it would cost unguarded;
- `decide()` alone, and its two halves: loading the subject's state (consents, objections,
  restrictions: three queries) and appending the audit row (chain lock, head, insert);
- search by e-mail: `find_subjects` (search decision, per-hit state, audit row) against the
  bare lookup and the rows it shows.

The session is rolled back at the end, so the cached file does not grow.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench_subject import BENCH_SECRET, cached_engine
from sqlalchemy import text
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.access.state import load_state
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, staff_context
from dataskydd.datamap import search, subject_view
from dataskydd.datamap.entries import tables_for_category
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service

PURPOSE = "customer_relationship"
ROWS_PER_TABLE = 50


# Each sample is (wall ms, CPU ms of this process). On a shared machine the CPU time is the
# steadier figure: it leaves out the time the process waited for a core.
Sample = tuple[float, float]


def _measure(call: Callable[[Any], object], item: Any, into: list[Sample]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    call(item)
    into.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))


def timed(call: Callable[[Any], object], items: list[Any]) -> list[Sample]:
    samples: list[Sample] = []
    for item in items:
        _measure(call, item, samples)
    return samples


def paired(
    first: Callable[[Any], object], second: Callable[[Any], object], items: list[Any]
) -> tuple[list[Sample], list[Sample]]:
    """Both calls on each item, in alternating order, so that neither gains from the other
    having just read the same pages."""
    a: list[Sample] = []
    b: list[Sample] = []
    for index, item in enumerate(items):
        order = [(first, a), (second, b)]
        for call, into in order if index % 2 == 0 else reversed(order):
            _measure(call, item, into)
    return a, b


def p50_p99(ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return cuts[49], cuts[98]


def view_selects(session: Session, policy: Policy, allowed: list[str], subject_id: int) -> None:
    """The statements show_subject runs after its decision, without the decision."""
    register_service.get_subject(session, subject_id).display_name  # noqa: B018
    for key in policy.categories:
        if key not in allowed:
            continue
        for entry in tables_for_category(key):
            page, count = subject_view._statements(entry.table, key, ROWS_PER_TABLE)
            params = {"subject_id": subject_id}
            rows = [dict(r) for r in session.execute(page, params).mappings()]
            if len(rows) > ROWS_PER_TABLE:
                session.scalar(count, params)


def bare_search(session: Session, query: str) -> None:
    kind, value = register_service.classify_query(query)
    found = register_service.lookup_subject_ids(session, kind, value, 20)
    fields = {"name", "personnummer_masked", "organisationsnummer", "email", "city"}
    register_service.match_rows(session, found, shown=dict.fromkeys(found, fields))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=500)
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(BENCH_SECRET))
    engine = cached_engine(args.customers)
    policy = load_bundled_policy()
    caller: AccessContext = staff_context(
        policy=policy, username="bench", role="customer_service", user_id=1
    )
    rng = random.Random(3)
    with Session(engine) as session:
        customers = sorted(
            session.scalars(text("SELECT subject_id FROM subject_role WHERE role = 'customer'"))
        )
        chosen = rng.sample(customers, min(args.reads, len(customers)))
        emails = list(
            session.scalars(
                text(
                    "SELECT value FROM contact_point WHERE kind = 'email' AND subject_id IN "
                    f"({','.join(map(str, chosen))})"
                )
            )
        )
        allowed = list(policy.purposes[PURPOSE].categories)

        def decide(subject_id: int) -> None:
            access_service.decide(
                session,
                policy,
                caller,
                action=Action.READ,
                purpose=PURPOSE,
                subject_id=subject_id,
                audit_action="subject.show",
            )

        def audit(subject_id: int) -> None:
            audit_service.record(
                session,
                actor=caller.actor,
                action="subject.show",
                subject_id=subject_id,
                purpose=PURPOSE,
                detail={"decision": "allow", "categories": allowed},
            )

        def show(subject_id: int) -> None:
            subject_view.show_subject(
                session, caller=caller, policy=policy, subject_id=subject_id, purpose=PURPOSE
            )

        def find(query: str) -> None:
            search.find_subjects(session, policy=policy, caller=caller, query=query)

        # Warm every page the timed calls read, so that neither side pays for cold pages.
        for subject_id in chosen:
            view_selects(session, policy, allowed, subject_id)
        for query in emails:
            bare_search(session, query)
        show_ms, raw_ms = paired(show, lambda s: view_selects(session, policy, allowed, s), chosen)
        find_ms, bare_ms = paired(find, lambda q: bare_search(session, q), emails)
        lines = [
            ("show_subject (decision + SELECTs)", show_ms),
            ("  the same SELECTs, no decision", raw_ms),
            ("decide() alone", timed(decide, chosen)),
            ("  load_state (3 queries)", timed(lambda s: load_state(session, s), chosen)),
            ("  audit row (lock, head, insert)", timed(audit, chosen)),
            ("find_subjects by e-mail", find_ms),
            ("  bare lookup + rows, no decision", bare_ms),
        ]
        subjects = session.scalar(text("SELECT count(*) FROM subject"))
        print(f"{subjects:,} subjects ({args.customers:,} customers), SQLite, in-process\n")
        print(f"{'':<38}{'n':>5}{'wall p50':>10}{'p99':>8}{'CPU p50':>10}{'p99':>8}   (ms)")
        results = {}
        for name, samples in lines:
            wall = p50_p99([w for w, _c in samples])
            cpu = p50_p99([c for _w, c in samples])
            results[name.strip()] = (wall, cpu)
            print(
                f"{name:<38}{len(samples):>5}{wall[0]:>10.2f}{wall[1]:>8.2f}"
                f"{cpu[0]:>10.2f}{cpu[1]:>8.2f}"
            )
        show = results["show_subject (decision + SELECTs)"]
        raw = results["the same SELECTs, no decision"]
        for label, index in (("wall", 0), ("CPU", 1)):
            (s50, s99), (r50, r99) = show[index], raw[index]
            print(
                f"\ndecision overhead per read ({label}): p50 +{s50 - r50:.2f} ms "
                f"({s50 / r50:.2f}× the bare read), p99 +{s99 - r99:.2f} ms",
                end="",
            )
        print()
        session.rollback()  # drop the audit entries the benchmark wrote
    engine.dispose()


if __name__ == "__main__":
    main()
