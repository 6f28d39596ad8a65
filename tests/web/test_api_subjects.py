"""/api/v1/subjects: search, purpose-stated read, create, rectify — and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.audit.models import AuditEntry
from dataskydd.auth import api_keys
from dataskydd.auth.access import CallerKind
from dataskydd.errors import InvalidInput
from dataskydd.register.models import ContactPoint, Subject
from dataskydd.subject_requests.objections import record_objections
from tests.policy_keys import (
    BOOKKEEPING,
    COMPANY,
    CONTACT,
    CONTRACT_PURPOSE,
    NAME,
    NEWSLETTERS,
    STATISTICS,
    USAGE,
)

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

KeyFor = Callable[..., dict[str, str]]

ANNA: dict[str, Any] = {
    "given_name": "Anna",
    "family_name": "Svensson",
    "personnummer": "811218-9876",
    "emails": ["anna.svensson@example.se"],
    "phones": ["070-123 45 67"],
    "addresses": [{"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm"}],
}


@pytest.fixture
def key_for(session: Session) -> KeyFor:
    """Authorization headers for a new key with these purposes (and write access or not)."""

    def make(*purposes: str, can_write: bool = True) -> dict[str, str]:
        _row, key = api_keys.create_api_key(
            session,
            actor="test",
            policy=COMPANY,
            name="integration",
            purposes=list(purposes) or [CONTRACT_PURPOSE],
            can_write=can_write,
        )
        session.commit()
        return {"Authorization": f"Bearer {key}"}

    return make


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _create(client: TestClient, headers: dict[str, str], body: dict[str, Any] = ANNA) -> int:
    response = client.post("/api/v1/subjects", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


class TestCreate:
    def test_created_with_location_and_audited(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        headers = key_for()
        response = anonymous.post("/api/v1/subjects", json=ANNA, headers=headers)
        assert response.status_code == 201
        subject_id = response.json()["id"]
        assert response.headers["location"] == f"/api/v1/subjects/{subject_id}"
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "subject.create")
        ).one()
        assert entry.actor.startswith("api:")
        assert entry.subject_id == subject_id

    def test_duplicate_personnummer_is_409(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        headers = key_for()
        _create(anonymous, headers)
        again = anonymous.post("/api/v1/subjects", json=ANNA, headers=headers)
        assert again.status_code == 409
        assert again.json()["error"] == "Conflict"
        assert _count(session, Subject) == 1

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"personnummer": "811218-9875"}, "personnummer"),
            ({"personnummer": "811318-9876"}, "personnummer"),
            ({"phones": ["12"]}, "phones.0"),
            ({"emails": ["not-an-address"]}, "emails.0"),
            ({"addresses": [{"street": "Gatan 1", "postal_code": "1234", "city": "X"}]}, ""),
            ({"given_name": "x" * 10_000}, "given_name"),
            ({"given_name": 42}, "given_name"),
            ({"unknown_field": "x"}, "unknown_field"),
            ({"kind": "robot"}, "kind"),
        ],
    )
    def test_bad_input_is_422_naming_the_field_and_saves_nothing(
        self,
        anonymous: TestClient,
        key_for: KeyFor,
        session: Session,
        change: dict[str, Any],
        field: str,
    ) -> None:
        response = anonymous.post("/api/v1/subjects", json={**ANNA, **change}, headers=key_for())
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "InvalidInput"
        assert any(field in problem["field"] for problem in body["problems"])
        assert _count(session, Subject) == 0
        assert _count(session, ContactPoint) == 0

    def test_malformed_json_is_422(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        response = anonymous.post(
            "/api/v1/subjects",
            content=b'{"given_name": "Anna",',
            headers={**key_for(), "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["error"] == "InvalidInput"
        assert _count(session, Subject) == 0

    def test_a_list_instead_of_an_object_is_422(
        self, anonymous: TestClient, key_for: KeyFor
    ) -> None:
        response = anonymous.post("/api/v1/subjects", json=[1, 2], headers=key_for())
        assert response.status_code == 422

    def test_read_only_key_may_not_write(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        response = anonymous.post("/api/v1/subjects", json=ANNA, headers=key_for(can_write=False))
        assert response.status_code == 403
        assert _count(session, Subject) == 0


class TestAuthentication:
    @pytest.mark.parametrize("can_write", [True, False])
    def test_a_key_is_an_api_caller_writing_only_under_its_purposes_when_it_may(
        self, session: Session, can_write: bool
    ) -> None:
        _row, key = api_keys.create_api_key(
            session,
            actor="test",
            policy=COMPANY,
            name="crm",
            purposes=[CONTRACT_PURPOSE, NEWSLETTERS],
            can_write=can_write,
        )
        caller = api_keys.authenticate_api_key(session, key)
        assert caller.kind is CallerKind.API_KEY
        assert caller.purposes == {CONTRACT_PURPOSE, NEWSLETTERS}
        assert caller.write_purposes == (caller.purposes if can_write else frozenset())

    def test_missing_key_is_401(self, anonymous: TestClient) -> None:
        response = anonymous.get("/api/v1/subjects", params={"q": "anna"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert anonymous.post("/api/v1/subjects", json=ANNA).status_code == 401

    def test_wrong_scheme_and_unknown_key_are_401(self, anonymous: TestClient) -> None:
        for header in ("Basic abc", "Bearer dsk_nonsense", "Bearer "):
            response = anonymous.get(
                "/api/v1/subjects", params={"q": "anna"}, headers={"Authorization": header}
            )
            assert response.status_code == 401

    def test_revoked_key_is_401(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        headers = key_for()
        assert anonymous.get("/api/v1/subjects", params={"q": "x"}, headers=headers).is_success
        key = headers["Authorization"].removeprefix("Bearer ")
        row = api_keys.authenticate_api_key(session, key)
        assert row.api_key_id is not None
        api_keys.revoke_api_key(session, actor="test", api_key_id=row.api_key_id)
        session.commit()
        response = anonymous.get("/api/v1/subjects", params={"q": "x"}, headers=headers)
        assert response.status_code == 401


class TestSearch:
    def test_finds_by_name_and_by_personnummer_masked(
        self, anonymous: TestClient, key_for: KeyFor
    ) -> None:
        headers = key_for()
        subject_id = _create(anonymous, headers)
        found = anonymous.get("/api/v1/subjects", params={"q": "svensson"}, headers=headers)
        assert found.status_code == 200
        assert [m["id"] for m in found.json()] == [subject_id]
        by_pnr = anonymous.get(
            "/api/v1/subjects", params={"q": "19811218-9876"}, headers=headers
        ).json()
        assert by_pnr[0]["personnummer_masked"] == "19811218-XXXX"
        assert "9876" not in str(by_pnr)

    def test_a_key_for_an_aggregate_only_purpose_cannot_search(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        _create(anonymous, key_for())
        response = anonymous.get(
            "/api/v1/subjects", params={"q": "svensson"}, headers=key_for(STATISTICS)
        )
        assert response.status_code == 403, response.text
        assert "Anna" not in response.text
        refused = select(AuditEntry).where(AuditEntry.action == "subject.find.refused")
        assert session.scalars(refused).one().actor.startswith("api:")

    def test_a_marketing_key_sees_no_personnummer(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        subject_id = _create(anonymous, key_for())
        headers = key_for(NEWSLETTERS, can_write=False)
        # Marketing rests on consent: without it the subject is not found at all.
        without = anonymous.get("/api/v1/subjects", params={"q": "svensson"}, headers=headers)
        assert without.status_code == 200
        assert without.json() == []
        give_consent(session, subject_id=subject_id, purpose=NEWSLETTERS, channel="mina_sidor")
        session.commit()
        (match,) = anonymous.get(
            "/api/v1/subjects", params={"q": "svensson"}, headers=headers
        ).json()
        assert (match["id"], match["name"]) == (subject_id, "Anna Svensson")
        assert match["email"] == "anna.svensson@example.se"
        assert match["personnummer_masked"] is None
        assert "19811218" not in str(match)
        # Nor may it look a subject up by personnummer: marketing does not use the category.
        by_pnr = anonymous.get("/api/v1/subjects", params={"q": "19811218-9876"}, headers=headers)
        assert by_pnr.status_code == 403

    @pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "a", "limit": 0}])
    def test_bad_query_is_422(
        self, anonymous: TestClient, key_for: KeyFor, params: dict[str, Any]
    ) -> None:
        response = anonymous.get("/api/v1/subjects", params=params, headers=key_for())
        assert response.status_code == 422


class TestRead:
    def test_read_for_a_scoped_purpose_is_json_and_audited(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        headers = key_for(CONTRACT_PURPOSE)
        subject_id = _create(anonymous, headers)
        response = anonymous.get(
            f"/api/v1/subjects/{subject_id}",
            params={"purpose": CONTRACT_PURPOSE},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["subject_id"] == subject_id
        assert body["purpose"] == CONTRACT_PURPOSE
        categories = {c["category"] for c in body["categories"]}
        assert CONTACT in categories
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "subject.show")).one()
        assert entry.purpose == CONTRACT_PURPOSE
        assert entry.actor.startswith("api:")

    def test_category_filter(self, anonymous: TestClient, key_for: KeyFor) -> None:
        headers = key_for(CONTRACT_PURPOSE)
        subject_id = _create(anonymous, headers)
        response = anonymous.get(
            f"/api/v1/subjects/{subject_id}",
            params={"purpose": CONTRACT_PURPOSE, "category": [CONTACT]},
            headers=headers,
        )
        assert [c["category"] for c in response.json()["categories"]] == [CONTACT]

    def test_key_not_scoped_to_the_purpose_is_403(
        self, anonymous: TestClient, key_for: KeyFor
    ) -> None:
        subject_id = _create(anonymous, key_for())
        response = anonymous.get(
            f"/api/v1/subjects/{subject_id}",
            params={"purpose": NEWSLETTERS},
            headers=key_for(CONTRACT_PURPOSE),
        )
        assert response.status_code == 403
        assert f"this key may not use purpose {NEWSLETTERS}" in response.json()["detail"]

    def test_a_key_for_a_purpose_the_policy_keeps_from_keys_cannot_be_made(
        self, key_for: KeyFor
    ) -> None:
        with pytest.raises(InvalidInput, match=f"lets no API key use '{BOOKKEEPING}'"):
            key_for(BOOKKEEPING)

    def test_marketing_read_needs_consent_and_stops_at_an_objection(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        subject_id = _create(anonymous, key_for())
        headers = key_for(NEWSLETTERS, can_write=False)
        url = f"/api/v1/subjects/{subject_id}"

        def read() -> Any:
            return anonymous.get(url, params={"purpose": NEWSLETTERS}, headers=headers)

        assert read().status_code == 403
        give_consent(session, subject_id=subject_id, purpose=NEWSLETTERS, channel="mina_sidor")
        session.commit()
        allowed = read()
        assert allowed.status_code == 200, allowed.text
        assert {c["category"] for c in allowed.json()["categories"]} >= {NAME, CONTACT}
        record_objections(
            session,
            policy=COMPANY,
            actor=f"subject:{subject_id}",
            subject_id=subject_id,
            purposes=[NEWSLETTERS],
        )
        session.commit()
        refused = read()
        assert refused.status_code == 403
        assert f"objected to purpose {NEWSLETTERS}" in refused.json()["detail"]
        assert "Anna" not in refused.text

    def test_unknown_purpose_subject_and_category_are_404(
        self, anonymous: TestClient, key_for: KeyFor
    ) -> None:
        headers = key_for(CONTRACT_PURPOSE)
        subject_id = _create(anonymous, headers)
        assert (
            anonymous.get(
                f"/api/v1/subjects/{subject_id}", params={"purpose": "nope"}, headers=headers
            ).status_code
            == 404
        )
        assert (
            anonymous.get(
                "/api/v1/subjects/999999",
                params={"purpose": CONTRACT_PURPOSE},
                headers=headers,
            ).status_code
            == 404
        )
        assert (
            anonymous.get(
                f"/api/v1/subjects/{subject_id}",
                params={"purpose": CONTRACT_PURPOSE, "category": "nope"},
                headers=headers,
            ).status_code
            == 404
        )

    def test_category_the_purpose_may_not_use_is_403_and_the_refusal_kept(
        self, anonymous: TestClient, key_for: KeyFor, session: Session
    ) -> None:
        headers = key_for(CONTRACT_PURPOSE)
        subject_id = _create(anonymous, key_for())
        response = anonymous.get(
            f"/api/v1/subjects/{subject_id}",
            params={"purpose": CONTRACT_PURPOSE, "category": USAGE},
            headers=headers,
        )
        assert response.status_code == 403
        assert f"may not use category {USAGE}" in response.json()["detail"]
        refused = select(AuditEntry).where(AuditEntry.action == "subject.show.refused")
        assert session.scalars(refused).one().purpose == CONTRACT_PURPOSE

    def test_missing_purpose_and_non_numeric_id_are_422(
        self, anonymous: TestClient, key_for: KeyFor
    ) -> None:
        headers = key_for()
        assert anonymous.get("/api/v1/subjects/1", headers=headers).status_code == 422
        response = anonymous.get(
            "/api/v1/subjects/abc", params={"purpose": BOOKKEEPING}, headers=headers
        )
        assert response.status_code == 422


class TestUpdate:
    def test_changes_fields_with_a_reason(self, anonymous: TestClient, key_for: KeyFor) -> None:
        headers = key_for()
        subject_id = _create(anonymous, headers)
        response = anonymous.patch(
            f"/api/v1/subjects/{subject_id}",
            json={"family_name": "Berg", "reason": "married, customer called"},
            headers=headers,
        )
        assert response.status_code == 200
        assert response.json() == {"id": subject_id, "changed": ["subject.family_name"]}

    @pytest.mark.parametrize(
        "body",
        [
            {"family_name": "Berg"},
            {"family_name": "Berg", "reason": "x"},
            {"email": "broken", "reason": "customer asked"},
            {"phone": "0", "reason": "customer asked"},
            {"organisation_name": "AB", "reason": "customer asked"},
            {"whatever": 1, "reason": "customer asked"},
        ],
    )
    def test_bad_changes_are_4xx_and_nothing_changes(
        self,
        anonymous: TestClient,
        key_for: KeyFor,
        session: Session,
        body: dict[str, Any],
    ) -> None:
        headers = key_for()
        subject_id = _create(anonymous, headers)
        response = anonymous.patch(f"/api/v1/subjects/{subject_id}", json=body, headers=headers)
        assert response.status_code == 422, response.text
        session.expire_all()
        subject = session.get(Subject, subject_id)
        assert subject is not None
        assert subject.family_name == "Svensson"

    def test_unknown_subject_is_404(self, anonymous: TestClient, key_for: KeyFor) -> None:
        response = anonymous.patch(
            "/api/v1/subjects/999999",
            json={"family_name": "B", "reason": "why not"},
            headers=key_for(),
        )
        assert response.status_code == 404

    def test_openapi_documents_the_routes(self, anonymous: TestClient) -> None:
        paths = anonymous.get("/openapi.json").json()["paths"]
        assert "/api/v1/subjects" in paths
        assert "/api/v1/subjects/{subject_id}/invoices/{invoice_id}/payments" in paths
