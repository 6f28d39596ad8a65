"""The import service on SQLite and PostgreSQL: new subjects written as the register's create
writes them, duplicates within the file and against the register merged (never a second
subject), conflicts reported and never written over, a rerun changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.imports.service import Mode
from dataskydd.policy.schema import Policy
from dataskydd.register import lookup, repository
from dataskydd.register import service as register_service
from dataskydd.register.enums import ContactKind
from dataskydd.register.models import ContactPoint, PostalAddress, Subject, SubjectRole
from tests.imports.conftest import import_file, register_counts
from tests.imports.files import customer, customers, personnummer, write_csv

pytestmark = pytest.mark.every_company


def _subject_by_personnummer(session: Session, number: str) -> Subject:
    from dataskydd.register.identifiers import normalise_personnummer

    subject_id = repository.id_by_personnummer_index(
        session, lookup.personnummer_index(normalise_personnummer(number))
    )
    assert subject_id is not None
    subject = session.get(Subject, subject_id)
    assert subject is not None
    return subject


def test_new_subjects_hold_what_the_create_service_would(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    before = register_counts(session)
    path = write_csv(tmp_path / "kunder.csv", customers(25))
    outcome = import_file(session, policy, path, mapping_file, batch_size=10)
    assert (outcome.rows, outcome.imported, outcome.merged, outcome.rejected) == (25, 25, 0, 0)
    after = register_counts(session)
    assert {table: after[table] - before[table] for table in after} == {
        "subject": 25,
        "contact_point": 50,
        "postal_address": 25,
        "subject_role": 25,
    }
    row = customer(7)
    subject = _subject_by_personnummer(session, row[3])
    session.refresh(subject)
    assert (subject.given_name, subject.family_name) == (row[1], row[2])
    assert subject.personnummer == row[3].replace("-", "")  # decrypted: stored encrypted
    assert subject.search_name == f"{row[1]} {row[2]}".casefold()
    email = session.scalar(
        select(ContactPoint).where(
            ContactPoint.subject_id == subject.id, ContactPoint.kind == ContactKind.EMAIL
        )
    )
    assert email is not None
    assert email.lookup_index == lookup.contact_index(ContactKind.EMAIL, row[4])
    role = session.scalar(select(SubjectRole).where(SubjectRole.subject_id == subject.id))
    assert role is not None
    assert role.started_on.isoformat() == row[9]
    address = session.scalar(select(PostalAddress).where(PostalAddress.subject_id == subject.id))
    assert address is not None
    assert (address.street, address.postal_code, address.city) == (row[6], row[7], row[8])
    # The register's own services find the imported subject and refuse a second one.
    found = register_service.lookup_subject_ids(session, "email", row[4])
    assert found == [subject.id]


def test_a_rerun_changes_nothing(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    path = write_csv(tmp_path / "kunder.csv", customers(30))
    import_file(session, policy, path, mapping_file, batch_size=7)
    once = register_counts(session)
    again = import_file(session, policy, path, mapping_file, batch_size=7)
    assert (again.imported, again.merged, again.skipped, again.conflicts) == (0, 0, 30, 0)
    assert register_counts(session) == once


def test_duplicates_within_the_file_become_one_subject(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    first = customer(1)
    same_person_new_mail = [*first[:4], "annat@example.se", "", "", "", "", first[9]]
    same_mail_no_pnr = ["", first[1], first[2], "", first[4], "073-111 22 33", "", "", "", ""]
    rows = [first, customer(2), same_person_new_mail, same_mail_no_pnr]
    before = register_counts(session)
    # Batch size 2: the duplicates meet both in their batch and across batches.
    for batch_size in (2, 10):
        path = write_csv(tmp_path / f"dubbel{batch_size}.csv", rows)
        outcome = import_file(session, policy, path, mapping_file, batch_size=batch_size)
        if batch_size == 2:
            assert (outcome.imported, outcome.merged, outcome.skipped) == (2, 2, 0)
        else:
            assert (outcome.imported, outcome.merged, outcome.skipped) == (0, 0, 4)
    after = register_counts(session)
    assert after["subject"] - before["subject"] == 2
    subject = _subject_by_personnummer(session, first[3])
    kinds = session.execute(
        select(ContactPoint.kind, ContactPoint.is_primary).where(
            ContactPoint.subject_id == subject.id
        )
    ).all()
    assert sorted((k.value, p) for k, p in kinds) == [
        ("email", False),
        ("email", True),
        ("phone", False),
        ("phone", True),
    ]


def test_duplicates_of_the_register_are_merged_and_conflicts_kept_as_held(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    held = register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Anna", "family_name": "Lind", "emails": ["anna@example.se"]},
    )
    number = personnummer(424_242)
    rows = [
        # Found by e-mail: the personnummer and phone are filled in, the family name differs.
        ["1", "Anna", "Lindqvist", number, "anna@example.se", "070-999 88 77", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "kunder.csv", rows)
    outcome = import_file(session, policy, path, mapping_file)
    assert (outcome.imported, outcome.merged, outcome.conflicts) == (0, 1, 1)
    assert [(p.row, p.column) for p in outcome.conflict_list] == [(2, "family_name")]
    session.expire_all()
    subject = session.get(Subject, held.id)
    assert subject is not None
    assert subject.family_name == "Lind"  # never written over
    assert subject.personnummer == number.replace("-", "")
    assert subject.personnummer_index == lookup.personnummer_index(number.replace("-", ""))
    # A second import finds the same subject by the personnummer it now holds.
    again = import_file(session, policy, path, mapping_file)
    assert (again.imported, again.merged, again.skipped, again.conflicts) == (0, 0, 1, 1)


def test_a_row_finding_two_subjects_is_rejected(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Anna", "family_name": "Lind", "emails": ["a@example.se"]},
    )
    register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Bo", "family_name": "Ek", "emails": ["b@example.se"]},
    )
    header = ["Förnamn", "Efternamn", "E-post", "E-post 2"]
    mapping = tmp_path / "two.yaml"
    mapping.write_text(
        "columns:\n  Förnamn: given_name\n  Efternamn: family_name\n"
        "  E-post: email\n  E-post 2: email\n",
        encoding="utf-8",
    )
    path = write_csv(
        tmp_path / "two.csv", [["Anna", "Lind", "a@example.se", "b@example.se"]], header=header
    )
    outcome = import_file(session, policy, path, mapping)
    assert outcome.rejected == 1
    assert outcome.problems[0].reason == "its identifiers find two different subjects"


def test_invalid_values_are_reported_by_row_and_column_without_the_value(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    good = customer(3)
    bad_pnr = [*good[:3], "19811218-9875", *good[4:]]
    bad_mail = [*customer(4)[:4], "inte-en-adress", *customer(4)[5:]]
    bad_postal = [*customer(5)[:7], "01234", *customer(5)[8:]]
    no_name = ["9", "", "", *customer(6)[3:]]
    path = write_csv(tmp_path / "fel.csv", [good, bad_pnr, bad_mail, bad_postal, no_name])
    outcome = import_file(session, policy, path, mapping_file, mode=Mode.DRY_RUN)
    assert (outcome.rows, outcome.rejected) == (5, 4)
    found = {(p.row, p.column) for p in outcome.problems}
    assert found == {(3, "Personnummer"), (4, "E-post"), (5, "Postnr"), (6, "row")}
    text = " ".join(p.reason for p in outcome.problems)
    assert "wrong check digit" in text
    for value in ("19811218-9875", "inte-en-adress", "01234"):
        assert value not in text


def test_a_restricted_subject_is_not_written_to_and_the_refusal_is_audited(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    from dataskydd.audit.models import AuditEntry
    from dataskydd.datamap.writes import categories_of
    from dataskydd.imports.decisions import SUBJECT_TABLES
    from dataskydd.register.models import Restriction

    purpose = policy.purposes[policy.system_purpose("rectification")]
    if purpose.allowed_on_restricted:
        pytest.skip("this policy's rectification purpose may write restricted data")
    held = register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Anna", "family_name": "Lind", "emails": ["anna@example.se"]},
    )
    session.add_all(
        Restriction(subject_id=held.id, category=category, reason="art. 18 request")
        for category in categories_of(SUBJECT_TABLES)
    )
    session.flush()
    row = ["1", "Anna", "Lind", "", "anna@example.se", "070-999 88 77", "", "", "", ""]
    path = write_csv(tmp_path / "kunder.csv", [row])
    outcome = import_file(session, policy, path, mapping_file)
    assert (outcome.rejected, outcome.merged) == (1, 0)
    assert outcome.problems[0].reason.startswith("access refused: ")
    assert (
        session.scalar(
            select(ContactPoint.id).where(
                ContactPoint.subject_id == held.id, ContactPoint.kind == ContactKind.PHONE
            )
        )
        is None
    )
    refused = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "subject.import.write.decision.refused")
    ).all()
    assert [held.id] in [entry.detail["subjects"] for entry in refused]


def test_a_row_nothing_could_find_again_is_rejected(
    session: Session, policy: Policy, tmp_path: Path, mapping_file: Path
) -> None:
    row = ["1", "Anna", "Lind", "", "", "070-999 88 77", "", "", "", ""]
    path = write_csv(tmp_path / "kunder.csv", [row])
    outcome = import_file(session, policy, path, mapping_file, mode=Mode.DRY_RUN)
    assert outcome.rejected == 1
    assert outcome.problems[0].column == "row"
    assert "to recognise the subject by" in outcome.problems[0].reason
