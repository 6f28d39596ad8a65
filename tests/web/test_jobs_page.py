"""The DPO's page of jobs (/jobs) and its tile on the start page: each job's last run and next
run, failed and stuck runs first; Swedish and English; refused to roles without audit.read."""

from __future__ import annotations

import io
from datetime import timedelta
from importlib import resources

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract
from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.config import Settings
from dataskydd.jobs import tasks
from dataskydd.jobs.models import JobRun, RunState
from tests.policy_keys import ANALYST, CUSTOMER_SERVICE, DPO
from tests.web.conftest import ClientFor

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def _run(session: Session, **values: object) -> JobRun:
    now = utc_now()
    defaults: dict[str, object] = {
        "job": "retention_run",
        "task_id": f"task-{now.timestamp()}-{values.get('state')}",
        "state": RunState.SUCCEEDED,
        "requested_by": "schedule",
        "attempt": 1,
        "time_limit_seconds": 6 * 3600,
        "queued_at": now - timedelta(hours=1),
        "started_at": now - timedelta(minutes=59),
        "finished_at": now - timedelta(minutes=30),
    }
    defaults.update(values)
    run = JobRun(**defaults)
    session.add(run)
    session.commit()
    return run


def test_the_dpo_sees_a_failed_job(client_for: ClientFor, session: Session) -> None:
    _run(session, state=RunState.SUCCEEDED, finished_at=utc_now() - timedelta(days=1))
    failed = _run(
        session, state=RunState.FAILED, attempt=4, error="OperationalError", finished_at=utc_now()
    ).id
    page = client_for(DPO).get("/jobs")
    assert page.status_code == 200
    body = page.text
    assert "<h1>Jobb</h1>" in body
    problems = body[body.index('id="problems"') : body.index("</table>")]
    assert "Gallringskörning" in problems
    assert "Misslyckades vid varje försök (1 misslyckad körning sedan det senast lyckades)" in (
        problems
    )
    assert f"<td>{failed}</td>" in problems
    assert "<code>OperationalError</code>" in problems
    row = body[body.index('id="job-retention_run"') :]
    row = row[: row.index("</tr>")]
    assert "Dagligen kl. 03:00" in row
    assert "<strong>Misslyckades</strong>" in row
    assert f'id="run-{failed}"' in body
    assert "Schemat" in body  # asked for by the schedule


def test_nothing_to_attend_to(client_for: ClientFor) -> None:
    body = client_for(DPO).get("/jobs").text
    assert "Inget: varje jobb gjorde sitt senaste arbete." in body
    assert "Inget jobb har körts än." in body
    assert "Inte schemalagt: DATASKYDD_SMTP_URL är inte satt: e-posten stannar i utkorgen" in body


def test_a_stuck_run_is_listed(client_for: ClientFor, session: Session) -> None:
    _run(
        session,
        job="check_jobs",
        state=RunState.RUNNING,
        finished_at=None,
        started_at=utc_now() - timedelta(minutes=30),
        heartbeat_at=utc_now() - timedelta(minutes=20),
        time_limit_seconds=120,
    )
    body = client_for(DPO).get("/jobs").text
    assert "Igång, men dess arbetare har stannat" in body
    assert "Bevakning av jobben" in body


def test_in_english(client_for: ClientFor, session: Session) -> None:
    _run(session, state=RunState.FAILED, error="OperationalError", finished_at=utc_now())
    body = client_for(DPO).get("/jobs", params={"lang": "en"}).text
    assert "<h1>Jobs</h1>" in body
    assert "Failed at every attempt (1 failed run since it last succeeded)" in body
    assert "Retention run" in body
    assert "Daily at 03:00" in body
    assert "Every 5 minutes" in body


def test_roles_without_audit_read_may_not(client_for: ClientFor) -> None:
    for role in (CUSTOMER_SERVICE, ANALYST):
        client = client_for(role)
        assert client.get("/jobs").status_code == 403
        assert 'href="/jobs"' not in client.get("/start").text


def test_the_start_page_has_the_tile(client_for: ClientFor) -> None:
    assert '<li><a href="/jobs">Jobb</a></li>' in client_for(DPO).get("/start").text


def _catalogue_ids() -> set[str]:
    folder = resources.files("dataskydd.web").joinpath("locales/sv/LC_MESSAGES")
    ids: set[str] = set()
    for source in folder.iterdir():
        if source.name.endswith(".po"):
            with source.open("rb") as handle:
                for message in read_po(handle, locale="sv"):
                    if message.id and message.string:
                        ids.add(message.id if isinstance(message.id, str) else message.id[0])
    return ids


def test_every_text_has_its_swedish() -> None:
    texts = set()
    for name in ("templates/jobs.html", "templates/partials/jobs_tile.html"):
        template = resources.files("dataskydd.web").joinpath(name).read_bytes()
        found = babel_extract(io.BytesIO(template), ("_", "ngettext"), [], {"trimmed": "false"})
        for _line, _function, message, _comments in found:
            text = message if isinstance(message, str | None) else message[0]
            if text is not None:  # `_(row.job.title)`: the titles are checked below
                texts.add(text)
    assert "Jobs" in texts
    jobs = tasks.default_jobs(Settings())
    texts |= {job.title for job in jobs} | {tasks.NO_SMTP}
    assert texts - _catalogue_ids() == set()
