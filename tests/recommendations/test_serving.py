"""Serving: through the access decision per request, refused at once after an objection,
with a reason per item; the service and GET /api/v1/subjects/{id}/recommendations."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.audit.models import AuditEntry
from dataskydd.auth import api_keys
from dataskydd.auth.access import operator_context
from dataskydd.errors import AccessRefused, InvalidInput, NotFound
from dataskydd.policy.schema import Policy
from dataskydd.recommendations import serving, training
from dataskydd.subject_requests.objections import record_objections
from tests.recommendations.conftest import CRIME, NATURE
from tests.web.conftest import BASE_URL, app  # noqa: F401  (the app fixture)

CALLER = operator_context("test")


def _other_purpose(policy: Policy, purpose: str) -> str:
    return next(key for key in policy.api_access.read_purposes if key != purpose)


def test_recommendations_follow_the_history_with_a_reason(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    training.train(session, policy, actor="test")
    found = serving.recommend(
        session, policy, CALLER, subject_id=viewers["newcomer"], purpose=purpose, lang="en"
    )
    titles = [item.title for item in found.items]
    assert set(titles[:2]) == {CRIME[1], CRIME[2]}
    assert not set(titles) & set(NATURE)
    assert CRIME[0] not in titles  # already watched
    first = found.items[0]
    assert first.because == CRIME[0]
    assert first.reason == f"Because you watched {CRIME[0]}"
    swedish = serving.recommend(
        session, policy, CALLER, subject_id=viewers["newcomer"], purpose=purpose, lang="sv"
    )
    assert swedish.items[0].reason == f"Eftersom du tittade på {CRIME[0]}"


def test_refused_at_once_after_an_objection_and_audited(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    training.train(session, policy, actor="test")
    subject = viewers["crime1"]
    assert serving.recommend(session, policy, CALLER, subject_id=subject, purpose=purpose).items
    record_objections(session, policy=policy, actor="test", subject_id=subject, purposes=[purpose])
    # The same model, no new training: the decision refuses the very next request.
    with pytest.raises(AccessRefused, match="objected"):
        serving.recommend(session, policy, CALLER, subject_id=subject, purpose=purpose)
    refused = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == f"{serving.AUDIT_ACTION}.refused",
            AuditEntry.subject_id == subject,
        )
    ).all()
    assert len(refused) == 1


def test_only_under_the_recommendations_purpose(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    with pytest.raises(InvalidInput, match=f"only under purpose {purpose}"):
        serving.recommend(
            session,
            policy,
            CALLER,
            subject_id=viewers["crime0"],
            purpose=_other_purpose(policy, purpose),
        )
    with pytest.raises(NotFound):
        serving.recommend(session, policy, CALLER, subject_id=2**31 - 1, purpose=purpose)


def test_no_model_yet_is_an_empty_answer(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    found = serving.recommend(
        session, policy, CALLER, subject_id=viewers["crime0"], purpose=purpose
    )
    assert found.training_id is None
    assert found.items == []


def test_every_read_is_granted_by_a_decision(
    session: Session,
    policy: Policy,
    purpose: str,
    viewers: dict[str, int],
    sql_guard: object,
) -> None:
    training.train(session, policy, actor="test")
    guard.reset()
    with sql_guard.watching():  # type: ignore[attr-defined]
        serving.recommend(session, policy, CALLER, subject_id=viewers["crime0"], purpose=purpose)
    sql_guard.assert_clean()  # type: ignore[attr-defined]


class TestHttp:
    @pytest.fixture
    def client(self, app: object) -> TestClient:  # noqa: F811
        return TestClient(app, base_url=BASE_URL)  # type: ignore[arg-type]

    def _key(self, session: Session, policy: Policy, *purposes: str) -> dict[str, str]:
        _row, key = api_keys.create_api_key(
            session,
            actor="test",
            policy=policy,
            name="viewing service",
            purposes=list(purposes),
            can_write=False,
        )
        session.commit()
        return {"Authorization": f"Bearer {key}"}

    def test_served_then_refused_after_an_objection(
        self,
        session: Session,
        policy: Policy,
        purpose: str,
        viewers: dict[str, int],
        client: TestClient,
    ) -> None:
        training.train(session, policy, actor="test")
        session.commit()
        headers = self._key(session, policy, purpose)
        subject = viewers["newcomer"]
        url = f"/api/v1/subjects/{subject}/recommendations"
        served = client.get(url, params={"purpose": purpose, "lang": "en"}, headers=headers)
        assert served.status_code == 200, served.text
        body = served.json()
        assert body["model"]["training_id"] > 0
        assert body["items"][0]["reason"].startswith("Because you watched ")
        record_objections(
            session, policy=policy, actor="test", subject_id=subject, purposes=[purpose]
        )
        session.commit()
        refused = client.get(url, params={"purpose": purpose}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"] == "AccessRefused"
        assert "objected" in refused.json()["detail"]

    def test_404_and_403_problems(
        self,
        session: Session,
        policy: Policy,
        purpose: str,
        viewers: dict[str, int],
        client: TestClient,
    ) -> None:
        other = _other_purpose(policy, purpose)
        headers = self._key(session, policy, other)
        url = f"/api/v1/subjects/{viewers['crime0']}/recommendations"
        # A key not scoped to the purpose.
        response = client.get(url, params={"purpose": purpose}, headers=headers)
        assert response.status_code == 403
        assert f"this key may not use purpose {purpose}" in response.json()["detail"]
        # Another purpose than the recommendations purpose: which one it must be.
        response = client.get(url, params={"purpose": other}, headers=headers)
        assert response.status_code == 422
        assert f"only under purpose {purpose}" in response.json()["detail"]
        missing = client.get(
            "/api/v1/subjects/2147483647/recommendations",
            params={"purpose": purpose},
            headers=self._key(session, policy, purpose),
        )
        assert missing.status_code == 404
        assert missing.json()["error"] == "NotFound"
        no_key = client.get(url, params={"purpose": purpose})
        assert no_key.status_code == 401
