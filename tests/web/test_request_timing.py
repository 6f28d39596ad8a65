"""The public code-sending forms take as long for an address on file as for one that is not
(no enumeration by timing): the same reads, the same code row, the same mail written — a
decoy's mail is taken back (subject_requests/intake.py).

Measured as in production: each request commits on a database of its own. Inside the suite's
usual outer transaction every request is a savepoint of one long transaction, and on
PostgreSQL the hundreds of subtransactions made one side up to 4 ms slower in every round,
the known side or the unknown one depending on what came before: a property of the harness,
not of the server."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.config import Settings
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service
from dataskydd.web.app import create_app
from dataskydd.web.pages.access_requests import PUBLIC_CSRF_COOKIE
from tests.conftest import TEST_SECRET, _sqlite_engine, postgres_schema
from tests.web.conftest import BASE_URL

# Medians of 100 interleaved pairs, best of 5 rounds: on a shared 2-core machine a round of
# 40 pairs swung by ±1 ms either way, while the leak this guards against was 1-2 ms in every
# round.
PAIRS = 100
ROUNDS = 5
# The known address used to answer about 1–2 ms later than an unknown one.
BOUND_SECONDS = 0.0004
# Or a tenth of the round's median request time, whichever is more: on a quiet machine a
# request takes 2-5 ms, so the bound is 0.4 ms; beside three other test processes the same
# request takes several times longer, and so does any difference of work (with real commits
# on PostgreSQL the decoy's rolled-back savepoint makes the unknown address 0.1-0.3 ms slower).
RELATIVE_BOUND = 0.1
CSRF = "c" * 43
FORMS = ["/registerutdrag", "/mina-sidor/logga-in"]


def _person(session: Session, number: int) -> str:
    email = f"person{number}@example.se"
    register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Test", "family_name": f"Person{number}", "emails": [email]},
    )
    return email


def _timer(app: FastAPI, path: str) -> Callable[[int, str], float]:
    def post(number: int, contact: str) -> float:
        # A client address of its own per request: the per-client send limit is not measured.
        address = f"10.{number // 62500}.{number // 250 % 250}.{number % 250}"
        client = TestClient(app, base_url=BASE_URL, client=(address, 1))
        client.cookies.set(PUBLIC_CSRF_COOKIE, CSRF)
        start = time.perf_counter()
        response = client.post(
            path, data={"contact": contact, "csrf_token": CSRF}, follow_redirects=False
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 303, response.text
        return elapsed

    return post


def _both_ways(differences: list[float], bounds: list[float]) -> bool:
    """Rounds beyond the bound on both sides: noise, not a leak (which has one sign)."""
    pairs = list(zip(differences, bounds, strict=True))
    return any(d < -b for d, b in pairs) and any(d > b for d, b in pairs)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of this test's own, committed to as the server does."""
    crypto.install_keyring(crypto.Keyring(TEST_SECRET))
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path / "timing.db")
        try:
            upgrade_to_head(engine)
            yield engine
        finally:
            engine.dispose()
        return
    with postgres_schema("timing") as engine:
        upgrade_to_head(engine)
        yield engine


@pytest.mark.parametrize("path", FORMS)
def test_known_and_unknown_addresses_take_the_same_time(
    own_database: Engine, policy: Policy, path: str
) -> None:
    session = Session(own_database)
    # A subject gets at most 5 real codes an hour, so each known try has a subject of its own.
    known = [_person(session, n) for n in range(PAIRS * ROUNDS)]
    session.commit()
    settings = Settings(
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        database_url="sqlite://",
        public_base_url=BASE_URL,
    )
    app = create_app(settings, policy=policy, engine=own_database)
    post = _timer(app, path)
    for n in range(5):
        post(100_000 + n, f"warm-up{n}@example.se")
    differences: list[float] = []
    bounds: list[float] = []
    for attempt in range(ROUNDS):
        paired, unknowns = [], []
        for n in range(PAIRS):
            number = attempt * PAIRS + n
            # Interleaved, so a slower moment of the machine weighs on both alike.
            on_file = post(2 * number, known[number])
            unknown = post(2 * number + 1, f"nobody{number}@example.se")
            paired.append(on_file - unknown)
            unknowns.append(unknown)
        differences.append(statistics.median(paired))
        # Beside other test processes every request is slower, and so is any difference of
        # work: the bound grows with the round's request time (the leak was 40 % of it).
        bounds.append(max(BOUND_SECONDS, RELATIVE_BOUND * statistics.median(unknowns)))
        if abs(differences[-1]) < bounds[-1] or _both_ways(differences, bounds):
            break
    # A leak shows as one side slower in every round; the machine's noise swings both ways.
    rounds = list(zip(differences, bounds, strict=True))
    assert any(difference < bound for difference, bound in rounds), rounds  # known not slower
    assert any(difference > -bound for difference, bound in rounds), rounds  # nor unknown
    # The known addresses did get their codes: the work measured is the real work.
    session.expire_all()
    assert session.query(OutboxMail).count() >= PAIRS
    session.close()


def _statements(engine: Engine) -> tuple[list[str], Callable[[], None]]:
    """The statements the engine runs, as their text without savepoint names; releasing a
    savepoint and rolling back to one count as one kind of step (one round trip each)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        text = re.sub(r"sa_savepoint_\d+", "sp", " ".join(statement.split()))
        ended = re.sub(r"^(RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) sp$", "END SAVEPOINT", text)
        seen.append(ended)

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("path", FORMS)
def test_known_and_unknown_addresses_run_the_same_statements(
    own_database: Engine, policy: Policy, path: str
) -> None:
    """The reason the timing test holds, checked without a clock: the same SQL, in the same
    order, whether or not someone holds the address."""
    with Session(own_database) as session:
        known = _person(session, 1)
        session.commit()
    settings = Settings(
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        database_url="sqlite://",
        public_base_url=BASE_URL,
    )
    post = _timer(create_app(settings, policy=policy, engine=own_database), path)
    post(100_000, "warm-up@example.se")
    seen, stop = _statements(own_database)
    try:
        post(1, known)
        on_file = list(seen)
        seen.clear()
        post(2, "nobody@example.se")
        unknown = list(seen)
    finally:
        stop()
    assert len(on_file) > 5
    assert on_file == unknown
