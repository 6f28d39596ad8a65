"""One-time codes: hashed, expiring, single use, five tries, decoys for unknown subjects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.subject_requests import verification
from dataskydd.subject_requests.models import CodePurpose

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

PURPOSE = CodePurpose.REQUEST


class TestIssue:
    def test_code_is_eight_digits_and_stored_only_as_a_keyed_hash(self, session: Session) -> None:
        issued = verification.issue_code(session, purpose=PURPOSE, subject_id=7)
        assert issued.code is not None
        assert len(issued.code) == verification.CODE_DIGITS
        assert issued.code.isdigit()
        assert issued.code not in issued.record.code_hash
        assert len(issued.record.code_hash) == 64

    def test_unknown_subject_gets_a_decoy_that_looks_the_same(self, session: Session) -> None:
        real = verification.issue_code(session, purpose=PURPOSE, subject_id=7)
        decoy = verification.issue_code(session, purpose=PURPOSE, subject_id=None)
        assert decoy.code is None
        assert decoy.record.subject_id == verification.DECOY_SUBJECT
        assert len(decoy.ticket) == len(real.ticket) or decoy.ticket.count(".") == 1

    def test_too_many_codes_for_one_subject_become_decoys(self, session: Session) -> None:
        codes = [
            verification.issue_code(session, purpose=PURPOSE, subject_id=7).code
            for _ in range(verification.MAX_CODES_PER_SUBJECT + 1)
        ]
        assert all(codes[:-1])
        assert codes[-1] is None


class TestVerify:
    def test_right_code_once(self, session: Session) -> None:
        issued = verification.issue_code(session, purpose=PURPOSE, subject_id=7)
        assert issued.code is not None
        record = verification.verify_code(
            session, ticket=issued.ticket, code=issued.code, purpose=PURPOSE
        )
        assert record.subject_id == 7
        with pytest.raises(verification.CodeRejected):
            verification.verify_code(
                session, ticket=issued.ticket, code=issued.code, purpose=PURPOSE
            )

    def test_spaces_and_hyphens_are_ignored(self, session: Session) -> None:
        issued = verification.issue_code(session, purpose=PURPOSE, subject_id=7)
        assert issued.code is not None
        typed = f"{issued.code[:4]}-{issued.code[4:]} "
        verification.verify_code(session, ticket=issued.ticket, code=typed, purpose=PURPOSE)

    def test_five_wrong_tries_kill_the_code(self, session: Session) -> None:
        issued = verification.issue_code(session, purpose=PURPOSE, subject_id=7)
        assert issued.code is not None
        wrong = f"{(int(issued.code) + 1) % 10**8:08d}"
        for _ in range(verification.MAX_ATTEMPTS):
            with pytest.raises(verification.CodeRejected):
                verification.verify_code(session, ticket=issued.ticket, code=wrong, purpose=PURPOSE)
        with pytest.raises(verification.CodeRejected):
            verification.verify_code(
                session, ticket=issued.ticket, code=issued.code, purpose=PURPOSE
            )

    def test_expired_code(self, session: Session) -> None:
        issued = verification.issue_code(session, purpose=PURPOSE, subject_id=7)
        assert issued.code is not None
        later = utc_now() + verification.CODE_LIFETIME + timedelta(seconds=1)
        with pytest.raises(verification.CodeRejected):
            verification.verify_code(
                session, ticket=issued.ticket, code=issued.code, purpose=PURPOSE, now=later
            )

    def test_other_purpose_forged_ticket_and_decoy(self, session: Session) -> None:
        issued = verification.issue_code(session, purpose=PURPOSE, subject_id=7)
        assert issued.code is not None
        for ticket, purpose in (
            (issued.ticket, CodePurpose.DOWNLOAD),
            (f"{issued.record.id}.{'0' * 32}", PURPOSE),
            ("nonsense", PURPOSE),
            ("", PURPOSE),
        ):
            with pytest.raises(verification.CodeRejected):
                verification.verify_code(session, ticket=ticket, code=issued.code, purpose=purpose)

    def test_message_reveals_nothing(self) -> None:
        assert "code" in verification.CodeRejected().message
        assert verification.CodeRejected.keeps_work is True
