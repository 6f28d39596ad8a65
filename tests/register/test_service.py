"""Creating, rectifying and finding subjects through the register service."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import operator_context
from dataskydd.datamap import search
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.register import service
from dataskydd.register.models import ContactPoint, PostalAddress, Rectification, Subject
from dataskydd.register.schemas import SubjectMatch

ACTOR = "cli:test"


def find(session: Session, query: str) -> list[SubjectMatch]:
    """The search staff and the CLI use (datamap.search), as the operator at the command line."""
    return search.find_subjects(
        session, policy=load_bundled_policy(), caller=operator_context(ACTOR), query=query
    )


def anna(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "person",
        "given_name": "Anna",
        "family_name": "Svensson",
        "personnummer": "811228-9874",
        "emails": ["Anna.Svensson@example.se"],
        "phones": ["070-123 45 67"],
        "addresses": [{"street": "Storgatan 1", "postal_code": "47321", "city": "Henån"}],
    }
    data.update(overrides)
    return data


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestCreateSubject:
    def test_stores_normalised_values(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        assert subject.personnummer == "198112289874"
        points = session.scalars(select(ContactPoint).where(ContactPoint.subject_id == subject.id))
        assert sorted(p.value for p in points) == ["+46701234567", "anna.svensson@example.se"]
        address = session.scalars(select(PostalAddress)).one()
        assert address.postal_code == "473 21"

    def test_personnummer_is_ciphertext_in_the_database(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        raw = session.execute(
            text("SELECT personnummer, personnummer_index FROM subject WHERE id = :id"),
            {"id": subject.id},
        ).one()
        assert raw.personnummer.startswith("v1:")
        assert "8112289874" not in raw.personnummer
        assert "8112289874" not in raw.personnummer_index

    def test_is_audited(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.action, entry.subject_id, entry.actor) == (
            "subject.create",
            subject.id,
            ACTOR,
        )

    @pytest.mark.parametrize(
        ("overrides", "field", "rule"),
        [
            ({"personnummer": "811228-9875"}, "personnummer", "wrong check digit"),
            ({"personnummer": "811330-9874"}, "personnummer", "impossible date"),
            ({"emails": ["ok@example.se", "nope@"]}, "emails.1", "e-mail"),
            ({"phones": ["12"]}, "phones.0", "phone"),
            (
                {"addresses": [{"street": "Storgatan 1", "postal_code": "4732", "city": "Henån"}]},
                "addresses.0.postal_code",
                "postal code",
            ),
            ({"given_name": None}, "input", "given_name and family_name"),
            ({"kind": "alien"}, "kind", "person"),
            ({"shoe_size": 42}, "shoe_size", "Extra inputs"),
            ({"roles": []}, "roles", "at least 1"),
        ],
    )
    def test_bad_input_names_the_field_and_saves_nothing(
        self, session: Session, overrides: dict[str, Any], field: str, rule: str
    ) -> None:
        before = (count(session, Subject), count(session, ContactPoint), count(session, AuditEntry))
        with pytest.raises(InvalidInput) as caught:
            service.create_subject(session, actor=ACTOR, data=anna(**overrides))
        assert field in caught.value.message
        assert rule in caught.value.message
        assert "811228" not in caught.value.message  # no personal data in the message
        after = (count(session, Subject), count(session, ContactPoint), count(session, AuditEntry))
        assert after == before

    def test_same_personnummer_twice_is_a_conflict(self, session: Session) -> None:
        service.create_subject(session, actor=ACTOR, data=anna())
        with pytest.raises(Conflict, match="personnummer"):
            service.create_subject(session, actor=ACTOR, data=anna(personnummer="19811228-9874"))

    def test_organisation_needs_a_name_and_no_personnummer(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="organisation_name"):
            service.create_subject(session, actor=ACTOR, data={"kind": "organisation"})
        org = service.create_subject(
            session,
            actor=ACTOR,
            data={
                "kind": "organisation",
                "organisation_name": "Henåns Bygg AB",
                "organisationsnummer": "5560360793",
            },
        )
        assert org.display_name == "Henåns Bygg AB"
        assert org.organisationsnummer == "556036-0793"


class TestUpdateSubject:
    def test_keeps_old_and_new_value_who_and_why(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        changed = service.update_subject(
            session,
            actor="staff:kalle",
            subject_id=subject.id,
            changes={"email": "anna@nyadress.se", "family_name": "Berg", "reason": "Gifte sig"},
        )
        assert sorted(changed) == ["contact_point.value", "subject.family_name"]
        history = {r.field: r for r in session.scalars(select(Rectification))}
        assert history["family_name"].old_value == "Svensson"
        assert history["family_name"].new_value == "Berg"
        assert history["value"].old_value == "anna.svensson@example.se"
        assert history["value"].changed_by == "staff:kalle"
        assert history["value"].reason == "Gifte sig"
        assert find(session, "anna@nyadress.se")[0].id == subject.id
        assert find(session, "anna.svensson@example.se") == []

    def test_history_values_are_encrypted_at_rest(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        service.update_subject(
            session,
            actor=ACTOR,
            subject_id=subject.id,
            changes={"personnummer": "701063-2391", "reason": "Fel nummer registrerat"},
        )
        raw = session.execute(text("SELECT old_value, new_value FROM rectification")).one()
        assert raw.old_value.startswith("v1:")
        assert raw.new_value.startswith("v1:")

    def test_address_change_records_each_field(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        changed = service.update_subject(
            session,
            actor=ACTOR,
            subject_id=subject.id,
            changes={
                "address": {"street": "Nygatan 5", "postal_code": "111 22", "city": "Stockholm"},
                "reason": "Flyttat",
            },
        )
        assert set(changed) == {
            "postal_address.street",
            "postal_address.postal_code",
            "postal_address.city",
        }

    def test_unchanged_values_leave_no_history(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        changed = service.update_subject(
            session,
            actor=ACTOR,
            subject_id=subject.id,
            changes={"given_name": "Anna", "reason": "Kontroll"},
        )
        assert changed == []
        assert count(session, Rectification) == 0

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"email": "bad@", "reason": "x" * 5}, "email"),
            ({"email": "ok@example.se"}, "reason"),
            ({"email": "ok@example.se", "reason": "  "}, "reason"),
            ({"phone": "000", "reason": "Nytt nummer"}, "phone"),
            ({"personnummer": "811228-9875", "reason": "Rättelse"}, "personnummer"),
        ],
    )
    def test_bad_input_changes_nothing(
        self, session: Session, changes: dict[str, Any], field: str
    ) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        with pytest.raises(InvalidInput) as caught:
            service.update_subject(session, actor=ACTOR, subject_id=subject.id, changes=changes)
        assert caught.value.field == field
        assert count(session, Rectification) == 0
        session.refresh(subject)
        assert subject.family_name == "Svensson"

    def test_organisation_fields_refused_on_a_person(self, session: Session) -> None:
        subject = service.create_subject(session, actor=ACTOR, data=anna())
        with pytest.raises(InvalidInput, match="organisation_name"):
            service.update_subject(
                session,
                actor=ACTOR,
                subject_id=subject.id,
                changes={"organisation_name": "AB", "reason": "Test av regel"},
            )

    def test_unknown_subject(self, session: Session) -> None:
        with pytest.raises(NotFound):
            service.update_subject(
                session, actor=ACTOR, subject_id=999_999, changes={"reason": "Saknas"}
            )


class TestFindSubjects:
    @pytest.fixture
    def people(self, session: Session) -> dict[str, int]:
        a = service.create_subject(session, actor=ACTOR, data=anna())
        b = service.create_subject(
            session,
            actor=ACTOR,
            data=anna(
                given_name="Erik",
                family_name="Annasson",
                personnummer=None,
                emails=["erik@example.se"],
                phones=["08-123 456 78"],
            ),
        )
        org = service.create_subject(
            session,
            actor=ACTOR,
            data={
                "kind": "organisation",
                "organisation_name": "Svenssons Rör AB",
                "organisationsnummer": "556036-0793",
            },
        )
        return {"anna": a.id, "erik": b.id, "org": org.id}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("19811228-9874", ["anna"]),
            ("8112289874", ["anna"]),
            ("ANNA.svensson@example.se", ["anna"]),
            ("+46 70 123 45 67", ["anna"]),
            ("08-12345678", ["erik"]),
            ("5560360793", ["org"]),
            ("anna", ["anna", "erik"]),
            ("anna svensson", ["anna"]),
            ("svensson", ["anna", "org"]),
            ("nobody", []),
        ],
    )
    def test_by_each_identifier(
        self, session: Session, people: dict[str, int], query: str, expected: list[str]
    ) -> None:
        found = find(session, query)
        assert [m.id for m in found] == [people[name] for name in expected]

    def test_match_shows_masked_personnummer(
        self, session: Session, people: dict[str, int]
    ) -> None:
        (match,) = find(session, "811228-9874")
        assert match.personnummer_masked == "19811228-XXXX"
        assert match.email == "anna.svensson@example.se"
        assert match.city == "Henån"

    def test_audit_keeps_the_kind_of_query_not_the_query(
        self, session: Session, people: dict[str, int]
    ) -> None:
        find(session, "811228-9874")
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert entry.action == "subject.find"
        assert (entry.detail["matches"], entry.detail["query_kind"]) == (1, "personnummer")
        assert "811228" not in entry.detail_json

    def test_empty_query_refused(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="query"):
            find(session, "   ")

    def test_like_wildcards_are_literal(self, session: Session, people: dict[str, int]) -> None:
        assert find(session, "%") == []
