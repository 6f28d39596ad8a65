from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.auth import passwords
from dataskydd.auth import service as auth_service
from dataskydd.auth.models import StaffUser
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, Forbidden, InvalidInput, NotFound
from dataskydd.policy.loader import load_bundled_policy

PASSWORD = "correct horse 42"
POLICY = load_bundled_policy()


def _anna(session: Session, *, display_name: str | None = None) -> StaffUser:
    user, _ = auth_service.create_staff_user(
        session,
        policy=POLICY,
        username="Anna",
        role="dpo",
        display_name=display_name,
        password=PASSWORD,
    )
    session.commit()
    return user


def _actions(session: Session) -> list[tuple[str, str]]:
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.actor, e.action) for e in entries]


class TestCreateStaffUser:
    def test_generates_a_password_when_none_is_given(self, session: Session) -> None:
        user, generated = auth_service.create_staff_user(
            session, policy=POLICY, username="admin", role="admin", actor="cli:root"
        )
        assert generated is not None
        assert passwords.verify_password(user.password_hash, generated)
        assert user.role == "admin"
        assert user.display_name == "admin"
        assert _actions(session) == [("cli:root", "auth.staff_created")]

    def test_lower_cases_the_username_and_keeps_a_given_password_secret(
        self, session: Session
    ) -> None:
        user, generated = auth_service.create_staff_user(
            session,
            policy=POLICY,
            username=" Anna.S ",
            role="dpo",
            display_name="Anna S",
            password=PASSWORD,
        )
        assert (user.username, user.display_name, generated) == ("anna.s", "Anna S", None)
        assert PASSWORD not in user.password_hash
        assert auth_service.get_staff_user_by_username(session, "ANNA.S") is user

    def test_audit_detail_names_no_personal_data(self, session: Session) -> None:
        user = _anna(session, display_name="Anna Svensson")
        (entry,) = audit_service.list_entries(session)
        assert entry.detail == {"staff_user_id": user.id, "role": "dpo"}

    @pytest.mark.parametrize(
        "username", ["a", "anna svensson", "anna@example.se", "x" * 65, "", "åsa"]
    )
    def test_rejects_bad_usernames_and_saves_nothing(self, session: Session, username: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            auth_service.create_staff_user(session, policy=POLICY, username=username, role="dpo")
        assert caught.value.field == "username"
        assert auth_service.count_staff_users(session) == 0
        assert _actions(session) == []

    def test_rejects_weak_passwords_and_saves_nothing(self, session: Session) -> None:
        with pytest.raises(InvalidInput) as caught:
            auth_service.create_staff_user(
                session, policy=POLICY, username="anna", role="dpo", password="password"
            )
        assert caught.value.field == "password"
        assert auth_service.count_staff_users(session) == 0
        assert _actions(session) == []

    def test_rejects_unknown_roles(self, session: Session) -> None:
        with pytest.raises(InvalidInput) as caught:
            auth_service.create_staff_user(
                session, policy=POLICY, username="anna", role="superuser"
            )
        assert caught.value.field == "role"

    def test_username_taken_in_any_case_is_a_conflict(self, session: Session) -> None:
        _anna(session)
        with pytest.raises(Conflict, match="username: already taken"):
            auth_service.create_staff_user(session, policy=POLICY, username="ANNA", role="analyst")
        assert auth_service.count_staff_users(session) == 1

    def test_totp_secret_is_encrypted_at_rest(self, session: Session) -> None:
        user = _anna(session)
        user.totp_secret = "JBSWY3DPEHPK3PXP"
        session.commit()
        stored = session.execute(text("SELECT totp_secret FROM staff_user")).scalar_one()
        assert stored.startswith("v1:")
        assert "JBSWY3DPEHPK3PXP" not in stored
        session.expire_all()
        assert auth_service.get_staff_user_by_username(session, "anna").totp_secret == (
            "JBSWY3DPEHPK3PXP"
        )


class TestLookups:
    def test_count_and_find(self, session: Session) -> None:
        assert auth_service.count_staff_users(session) == 0
        assert auth_service.find_staff_user_by_username(session, "anna") is None
        with pytest.raises(NotFound):
            auth_service.get_staff_user_by_username(session, "anna")
        _anna(session)
        assert auth_service.count_staff_users(session) == 1


class TestAuthenticate:
    def test_right_password_logs_in_and_is_audited(self, session: Session) -> None:
        _anna(session)
        user = auth_service.authenticate(session, username="ANNA", password=PASSWORD)
        assert user.last_login_at is not None
        assert _actions(session)[-1] == ("staff:anna", "auth.login")

    @pytest.mark.parametrize(("username", "password"), [("anna", "wrong"), ("bertil", PASSWORD)])
    def test_unknown_user_and_wrong_password_get_the_same_error(
        self, session: Session, username: str, password: str
    ) -> None:
        _anna(session)
        with pytest.raises(Forbidden) as caught:
            auth_service.authenticate(session, username=username, password=password)
        assert caught.value.message == "wrong username or password"
        assert _actions(session)[-1][1] == "auth.login_failed"

    def test_unknown_user_is_logged_anonymously_after_a_real_verify(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls: list[str] = []
        real_verify = passwords.verify_password

        def counting_verify(password_hash: str, password: str) -> bool:
            calls.append(password_hash)
            return real_verify(password_hash, password)

        monkeypatch.setattr(passwords, "verify_password", counting_verify)
        assert auth_service.attempt_login(session, username="bertil", password="x") is None
        assert len(calls) == 1
        (entry,) = audit_service.list_entries(session)
        assert (entry.actor, entry.detail) == ("anonymous", {"reason": "unknown_user"})
        assert "bertil" not in entry.detail_json

    def test_five_failures_lock_the_account_for_fifteen_minutes(self, session: Session) -> None:
        _anna(session)
        now = utc_now()
        for _ in range(auth_service.MAX_FAILED_LOGINS):
            # Entry points commit failed attempts; attempt_login lets them do so before refusing.
            assert (
                auth_service.attempt_login(session, username="anna", password="no", now=now) is None
            )
            session.commit()

        for later in (now, now + timedelta(minutes=14)):
            with pytest.raises(Forbidden, match="wrong username or password"):
                auth_service.authenticate(session, username="anna", password=PASSWORD, now=later)
        failures = [
            e.detail for e in audit_service.list_entries(session, action="auth.login_failed")
        ]
        assert failures[0] == {"reason": "locked"}
        assert {"reason": "wrong_password", "locked_minutes": 15} in failures

        after_lock = now + timedelta(minutes=15, seconds=1)
        user = auth_service.authenticate(
            session, username="anna", password=PASSWORD, now=after_lock
        )
        assert (user.failed_logins, user.locked_until) == (0, None)

    def test_a_success_resets_the_failure_count(self, session: Session) -> None:
        _anna(session)
        for _ in range(auth_service.MAX_FAILED_LOGINS - 1):
            auth_service.attempt_login(session, username="anna", password="no")
        auth_service.authenticate(session, username="anna", password=PASSWORD)
        auth_service.attempt_login(session, username="anna", password="no")
        assert auth_service.get_staff_user_by_username(session, "anna").locked_until is None

    def test_inactive_accounts_are_refused(self, session: Session) -> None:
        _anna(session).is_active = False
        with pytest.raises(Forbidden, match="wrong username or password"):
            auth_service.authenticate(session, username="anna", password=PASSWORD)

    def test_outdated_hash_is_upgraded_at_log_in(self, session: Session) -> None:
        user = _anna(session)
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
        session.commit()
        auth_service.authenticate(session, username="anna", password=PASSWORD)
        assert not passwords.needs_rehash(user.password_hash)
        assert passwords.verify_password(user.password_hash, PASSWORD)
