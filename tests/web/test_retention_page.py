"""The DPO's retention page (/retention) and the summary on their start page: the latest and
next run, what is overdue, a run's report, and legal holds placed and lifted through forms
(CSRF-checked, refused with the field when wrong); other roles are refused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dataskydd.auth.access import Permission
from dataskydd.clock import utc_now
from dataskydd.datamap.entries import category_of
from dataskydd.policy.schema import Policy
from dataskydd.register.enums import UsageKind
from dataskydd.register.models import LegalHold, UsageEvent
from dataskydd.retention.models import RetentionLine, RetentionRun, RunStatus
from tests import factories as f
from tests.web.conftest import ClientFor, csrf_of


def _role(policy: Policy, *, handles_requests: bool) -> str:
    return next(
        key
        for key, role in policy.roles.items()
        if (Permission.REQUESTS_HANDLE in role.permissions) is handles_requests
        and Permission.OWN_ACCOUNT in role.permissions
    )


def test_the_dpo_sees_runs_and_overdue_rows(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject = f.SubjectFactory()
    session.add(
        UsageEvent(
            subject_id=subject.id,
            occurred_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            kind=UsageKind.VIEW,
        )
    )
    run = RetentionRun(
        status=RunStatus.FINISHED,
        today=dt.date(2026, 11, 29),
        by="job:retention",
        rows_erased=7,
        finished_at=utc_now(),
    )
    session.add(run)
    session.flush()
    usage = category_of("usage_event", "occurred_at")
    session.add(
        RetentionLine(
            run_id=run.id,
            system="register",
            table_name="usage_event",
            category=usage,
            rule="13 months after creation: dated on or before 2025-10-29",
            action="delete",
            rows_due=7,
            rows_erased=7,
            subjects=2,
            rows_held=0,
            rows_restricted=0,
        )
    )
    run_id = run.id
    session.commit()
    dpo = client_for(_role(policy, handles_requests=True))
    start = dpo.get("/start")
    assert start.status_code == 200
    assert "Gallring" in start.text
    assert "1 rad försenad" in start.text
    assert "Rader kvar efter sin gallringsregel" in start.text
    assert policy.categories[usage].title.sv in start.text
    page = dpo.get("/retention")
    assert page.status_code == 200
    assert f'href="/retention/runs/{run_id}"' in page.text
    report = dpo.get(f"/retention/runs/{run_id}")
    assert report.status_code == 200
    # The report keeps the rule's English text; each reader sees it in their language.
    assert "13 månader från tillkomst: daterat senast 2025-10-29" in report.text
    assert "months after creation" not in report.text
    english = dpo.get("/retention", params={"lang": "en"})
    assert "Rows kept past their rule" in english.text
    english_report = dpo.get(f"/retention/runs/{run_id}", params={"lang": "en"})
    assert "13 months after creation: dated on or before 2025-10-29" in english_report.text
    assert dpo.get("/retention/runs/99999").status_code == 404


def test_a_hold_is_placed_and_lifted_through_the_forms(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject_id = f.SubjectFactory().id
    session.commit()
    dpo = client_for(_role(policy, handles_requests=True))
    page = dpo.get("/retention")
    token = csrf_of(page.text)
    placed = dpo.post(
        "/retention/holds",
        data={
            "csrf_token": token,
            "subject_id": str(subject_id),
            "category": "",
            "reason": "Begäran från Polismyndigheten",
            "reference": "Dnr 5000-K123-26",
        },
        follow_redirects=False,
    )
    assert placed.status_code == 303
    listed = dpo.get("/retention")
    assert "Dnr 5000-K123-26" in listed.text
    hold_id = session.query(LegalHold).filter_by(subject_id=subject_id).one().id
    lifted = dpo.post(
        f"/retention/holds/{hold_id}/lift",
        data={"csrf_token": token, "reason": "Ärendet avslutat"},
        follow_redirects=False,
    )
    assert lifted.status_code == 303
    assert "Dnr 5000-K123-26" not in dpo.get("/retention").text
    again = dpo.post(
        f"/retention/holds/{hold_id}/lift",
        data={"csrf_token": token, "reason": "Ärendet avslutat"},
    )
    assert again.status_code == 409


def test_bad_holds_are_refused_and_need_the_csrf_token(
    client_for: ClientFor, policy: Policy, session: Session, factories: None
) -> None:
    subject_id = f.SubjectFactory().id
    session.commit()
    dpo = client_for(_role(policy, handles_requests=True))
    token = csrf_of(dpo.get("/retention").text)
    form = {
        "csrf_token": token,
        "subject_id": str(subject_id),
        "category": "no_such_category",
        "reason": "Tvist",
        "reference": "T 1-26",
    }
    wrong = dpo.post("/retention/holds", data=form)
    assert wrong.status_code == 422
    assert "category" in wrong.text
    missing = dpo.post("/retention/holds", data=form | {"category": "", "subject_id": "2147483647"})
    assert missing.status_code == 404
    forged = dpo.post("/retention/holds", data=form | {"csrf_token": "x", "category": ""})
    assert forged.status_code == 403
    assert session.query(LegalHold).count() == 0


def test_other_roles_are_refused(client_for: ClientFor, policy: Policy) -> None:
    other = client_for(_role(policy, handles_requests=False))
    assert other.get("/retention").status_code == 403
    assert "Rader kvar efter sin gallringsregel" not in other.get("/start").text
