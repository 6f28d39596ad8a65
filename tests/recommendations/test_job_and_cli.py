"""Training as a job of the job runner (nightly), and `dataskydd recommendations train|show`."""

from __future__ import annotations

import json

from sqlalchemy import select

from dataskydd.jobs import tasks
from dataskydd.jobs.definitions import JobContext
from dataskydd.jobs.schedule import DailyAt
from dataskydd.policy.schema import Policy
from dataskydd.recommendations import training
from dataskydd.recommendations.models import RecommendationTraining
from dataskydd.register.enums import UsageKind
from dataskydd.register.models import Subject, UsageEvent
from tests.cli.conftest import Run, initialised, run, workdir  # noqa: F401  (fixtures)
from tests.jobs.conftest import Database, context, database, settings_for  # noqa: F401
from tests.recommendations.conftest import CRIME, START


def test_the_job_is_nightly_and_trains(
    database: Database,  # noqa: F811
    context: JobContext,  # noqa: F811
    policy: Policy,
    purpose: str,
) -> None:
    jobs = {job.name: job for job in tasks.default_jobs(settings_for(database))}
    assert jobs["recommendations_training"].schedule == DailyAt(4, 30)
    with database.session() as session:
        for _ in range(3):
            subject = Subject(kind="person", given_name="A", family_name="B", search_name="a b")
            session.add(subject)
            session.flush()
            session.add_all(
                UsageEvent(subject_id=subject.id, occurred_at=START, kind=UsageKind.VIEW, item=t)
                for t in CRIME
            )
        session.commit()
    training_id = tasks.recommendations_training(context)
    with database.session() as session:
        done = session.scalars(
            select(RecommendationTraining).where(RecommendationTraining.id == training_id)
        ).one()
        assert done.finished_at is not None
        assert (done.subjects_used, done.events_used, done.items) == (3, 9, 3)
        assert training.latest(session) == done
        assert done.trained_by == "job:recommendations_training"


def test_train_and_show_on_the_command_line(
    run: Run,  # noqa: F811
    initialised: object,  # noqa: F811
    purpose: str,
) -> None:
    demo = run("demo", "--customers", "40", "--no-other-systems", "--reference-date", "2026-11-30")
    assert demo.exit_code == 0, demo.output
    trained = run("recommendations", "train", "--json")
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.output)
    assert summary["events_used"] > 0
    assert summary["items"] > 0
    # A subject with viewing: the first subject listed by the training's decision is fine,
    # but the CLI is the surface here, so try the demo's customers in order.
    for subject_id in range(1, 80):
        shown = run("recommendations", "show", str(subject_id), "--purpose", purpose, "--json")
        if shown.exit_code == 0 and json.loads(shown.output)["items"]:
            break
    else:
        raise AssertionError("no demo customer got recommendations")
    item = json.loads(shown.output)["items"][0]
    assert item["reason"] == f"Eftersom du tittade på {item['because']}"
    text = run("recommendations", "show", str(subject_id), "--purpose", purpose, "--lang", "en")
    assert text.exit_code == 0
    assert "Because you watched" in text.output
    wrong = run("recommendations", "show", str(subject_id), "--purpose", "no_such_purpose")
    assert wrong.exit_code == 3
    assert "unknown purpose" in wrong.output
