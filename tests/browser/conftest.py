"""A real server and a headless Chromium, as an operator and a staff member would use them.

The server is `python -m dataskydd serve` in a subprocess, on a database made by
`dataskydd init` in a temporary directory; staff accounts and one customer with known data are
added through the services. Chromium is Debian's (/usr/bin/chromium) driven by Playwright;
`playwright install` is never run. Without Chromium or Playwright the tests are skipped
outside CI and fail in CI (CI=true), like the PostgreSQL tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from dataskydd import crypto
from dataskydd.auth import service as auth_service
from dataskydd.auth.models import StaffSession, StaffUser
from dataskydd.clock import utc_now
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.register import service as register_service
from tests import servers
from tests.conftest import company_env, configured_policy_file, load_test_policy, unavailable
from tests.policy_keys import analyst_role, customer_service_role, dpo_role

CHROMIUM = os.environ.get("DATASKYDD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "Rätt-Häst-Batteri-Häftklammer-7"
ADMIN_PASSWORD = "Korrekt-Häst-Batteri-9"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"


@dataclass(frozen=True)
class Customer:
    id: int
    given_name: str
    family_name: str
    email: str
    personnummer: str
    street: str
    postal_code: str
    city: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


CUSTOMER = Customer(
    id=0,
    given_name="Birgitta",
    family_name="Lindqvist",
    email="birgitta.lindqvist@example.se",
    personnummer="19121212-1212",  # Skatteverket's test identity (Tolvan)
    street="Sjövägen 12",
    postal_code="473 31",
    city="Henån",
)


@dataclass
class Server:
    base_url: str
    database_url: str
    log: Path
    process: subprocess.Popen[bytes]
    customer: Customer

    def engine(self) -> Engine:
        return make_engine(self.database_url)

    def age_sessions(self, username: str, minutes: int) -> int:
        """Move the live sessions of `username` back in time, as if idle for `minutes`."""
        engine = self.engine()
        try:
            with engine.begin() as connection:
                user_id = select(StaffUser.id).where(StaffUser.username == username)
                result = connection.execute(
                    update(StaffSession)
                    .where(StaffSession.user_id.in_(user_id), StaffSession.ended_at.is_(None))
                    .values(last_seen_at=utc_now() - timedelta(minutes=minutes))
                )
                return result.rowcount
        finally:
            engine.dispose()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def cli(self, *args: str) -> str:
        """`dataskydd <args>` on this server's database and key (the log sits in its workdir)."""
        done = subprocess.run(
            [sys.executable, "-m", "dataskydd", *args],
            cwd=self.log.parent,
            env=_environment(self.log.parent),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"dataskydd {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout


def _environment(workdir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATASKYDD_") or k == "DATASKYDD_CHROMIUM"
    }
    env["DATASKYDD_DATABASE_URL"] = f"sqlite:///{workdir / 'dataskydd.db'}"
    env["DATASKYDD_KEY_FILE"] = str(workdir / "dataskydd.key")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(company_env(configured_policy_file()))
    return env


def _seed(env: dict[str, str]) -> Customer:
    """Staff accounts and one customer, written with the services into the server's database."""
    crypto.install_keyring(crypto.Keyring(crypto.read_key_file(Path(env["DATASKYDD_KEY_FILE"]))))
    engine = make_engine(env["DATASKYDD_DATABASE_URL"])
    policy = load_test_policy(configured_policy_file())
    try:
        with transaction(make_session_factory(engine)) as session:
            # The roles by what they may do, so the accounts suit any company's policy.
            for username, role, name in (
                ("kundtjanst", customer_service_role(policy), "Kim Kundtjänst"),
                ("dataskyddsombud", dpo_role(policy), "Dana Dataskydd"),
                ("analytiker", analyst_role(policy), "Alex Analytiker"),
            ):
                auth_service.create_staff_user(
                    session,
                    policy=policy,
                    username=username,
                    role=role,
                    display_name=name,
                    password=PASSWORD,
                )
            subject = register_service.create_subject(
                session,
                actor="test:browser",
                data={
                    "kind": "person",
                    "given_name": CUSTOMER.given_name,
                    "family_name": CUSTOMER.family_name,
                    "personnummer": CUSTOMER.personnummer,
                    "emails": [CUSTOMER.email],
                    "phones": ["070-765 43 21"],
                    "addresses": [
                        {
                            "street": CUSTOMER.street,
                            "postal_code": CUSTOMER.postal_code,
                            "city": CUSTOMER.city,
                        }
                    ],
                },
            )
            subject_id = subject.id
    finally:
        engine.dispose()
        crypto.install_keyring(None)
    return Customer(**{**CUSTOMER.__dict__, "id": subject_id})


@contextmanager
def running_server(tmp_path_factory: pytest.TempPathFactory, **settings: str) -> Iterator[Server]:
    """`dataskydd init`, the seed, then `dataskydd serve` on a free loopback port."""
    workdir = tmp_path_factory.mktemp("browser")
    env = _environment(workdir)
    env.update({f"DATASKYDD_{name.upper()}": value for name, value in settings.items()})
    subprocess.run(
        [sys.executable, "-m", "dataskydd", "init", "--admin-password", ADMIN_PASSWORD],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )
    customer = _seed(env)
    with servers.serving(workdir, env) as (process, base_url, log):
        yield Server(base_url, env["DATASKYDD_DATABASE_URL"], log, process, customer)


@pytest.fixture(scope="session")
def server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="session")
def idle_server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Sessions end after 3 s without a request, so the browser's own timer can be seen."""
    with running_server(tmp_path_factory, session_inactivity_seconds="3") as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        unavailable("Playwright (pip install -e '.[test]')", error)
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)", FileNotFoundError())
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as error:
            unavailable(f"Chromium at {CHROMIUM}", error)
        yield chromium
        chromium.close()


@contextmanager
def new_page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh browser profile (no cookies carried over), in Swedish."""
    context = browser.new_context(
        base_url=server.base_url, locale="sv-SE", viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    with new_page(browser, server) as tab:
        yield tab


def screenshots_wanted() -> bool:
    return os.environ.get("DATASKYDD_SCREENSHOTS") == "1"
