"""Own password and TOTP; admin changes of role, active flag and password (SPEC 6)."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth import passwords, sessions
from dataskydd.auth import service as auth_service
from dataskydd.auth.access import AccessContext, staff_context
from dataskydd.auth.models import StaffSession, StaffUser
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, Forbidden, InvalidInput, NotFound
from dataskydd.policy.loader import load_bundled_policy

PASSWORD = "Gammalt-Lösen-42"
NEW = "Nytt-Längre-Lösen-43"
POLICY = load_bundled_policy()


def _user(session: Session, username: str, role: str = "dpo") -> StaffUser:
    user, _ = auth_service.create_staff_user(
        session, policy=POLICY, username=username, role=role, password=PASSWORD
    )
    return user


def _live(session: Session, user: StaffUser) -> int:
    statement = select(func.count()).where(
        StaffSession.user_id == user.id, StaffSession.ended_at.is_(None)
    )
    return session.scalar(statement) or 0


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


class TestChangePassword:
    def test_ends_all_sessions_and_starts_a_fresh_one(self, session: Session) -> None:
        user = _user(session, "anna")
        sessions.start_session(session, user)
        sessions.start_session(session, user)
        token = auth_service.change_password(
            session, user=user, current_password=PASSWORD, new_password=NEW, new_password_again=NEW
        )
        assert token
        assert passwords.verify_password(user.password_hash, NEW)
        assert _live(session, user) == 1
        assert "auth.password_changed" in _actions(session)

    @pytest.mark.parametrize(
        ("current", "new", "again", "field"),
        [
            ("wrong-password-1", NEW, NEW, "current_password"),
            (PASSWORD, NEW, NEW + "x", "new_password_again"),
            (PASSWORD, PASSWORD, PASSWORD, "new_password"),
            (PASSWORD, "short", "short", "new_password"),
            (PASSWORD, "anna-Lösenord-9", "anna-Lösenord-9", "new_password"),
        ],
    )
    def test_refusals_name_the_field_and_change_nothing(
        self, session: Session, current: str, new: str, again: str, field: str
    ) -> None:
        user = _user(session, "anna")
        before = user.password_hash
        with pytest.raises(InvalidInput) as error:
            auth_service.change_password(
                session,
                user=user,
                current_password=current,
                new_password=new,
                new_password_again=again,
            )
        assert error.value.field == field
        assert user.password_hash == before


class TestTotp:
    def test_setup_is_stored_only_after_a_right_code(self, session: Session) -> None:
        user = _user(session, "anna")
        setup = auth_service.start_totp_setup(session, user=user)
        assert user.totp_secret is None
        assert setup.secret not in setup.sealed
        with pytest.raises(InvalidInput) as error:
            auth_service.confirm_totp(session, user=user, sealed=setup.sealed, code="12345")
        assert error.value.field == "code"
        auth_service.confirm_totp(
            session, user=user, sealed=setup.sealed, code=pyotp.TOTP(setup.secret).now()
        )
        assert user.totp_secret == setup.secret
        with pytest.raises(Conflict):
            auth_service.start_totp_setup(session, user=user)
        assert "auth.totp_enabled" in _actions(session)

    def test_setup_expires_and_is_bound_to_the_account(self, session: Session) -> None:
        anna, berit = _user(session, "anna"), _user(session, "berit")
        setup = auth_service.start_totp_setup(session, user=anna)
        code = pyotp.TOTP(setup.secret).now()
        with pytest.raises(InvalidInput):
            auth_service.confirm_totp(session, user=berit, sealed=setup.sealed, code=code)
        later = utc_now() + timedelta(minutes=16)
        with pytest.raises(InvalidInput) as error:
            auth_service.open_totp_setup(anna, setup.sealed, now=later)
        assert "expired" in error.value.reason

    def test_disable_needs_the_password(self, session: Session) -> None:
        user = _user(session, "anna")
        user.totp_secret = pyotp.random_base32()
        with pytest.raises(InvalidInput):
            auth_service.disable_totp(session, user=user, password="nope")
        auth_service.disable_totp(session, user=user, password=PASSWORD)
        assert user.totp_secret is None
        with pytest.raises(Conflict):
            auth_service.disable_totp(session, user=user, password=PASSWORD)


class TestAdministration:
    def _admin(self, session: Session) -> tuple[StaffUser, AccessContext]:
        admin = _user(session, "root", "admin")
        return admin, staff_context(policy=POLICY, username="root", role="admin", user_id=admin.id)

    def test_role_change_ends_sessions_and_is_audited(self, session: Session) -> None:
        _admin, ctx = self._admin(session)
        user = _user(session, "kim", "customer_service")
        sessions.start_session(session, user)
        auth_service.change_role(session, ctx, policy=POLICY, user_id=user.id, role="analyst")
        assert user.role == "analyst"
        assert _live(session, user) == 0
        assert "auth.role_changed" in _actions(session)

    def test_admin_cannot_demote_or_deactivate_themselves(self, session: Session) -> None:
        admin, ctx = self._admin(session)
        with pytest.raises(Forbidden):
            auth_service.change_role(session, ctx, policy=POLICY, user_id=admin.id, role="dpo")
        with pytest.raises(Forbidden):
            auth_service.set_active(session, ctx, policy=POLICY, user_id=admin.id, active=False)
        assert (admin.role, admin.is_active) == ("admin", True)

    def test_the_last_active_admin_remains(self, session: Session) -> None:
        _root, ctx = self._admin(session)
        other = _user(session, "second", "admin")
        auth_service.set_active(session, ctx, policy=POLICY, user_id=other.id, active=False)
        # A context of an admin that is not in the table: only `other` could lose admin rights.
        outsider = staff_context(policy=POLICY, username="ghost", role="admin", user_id=-1)
        auth_service.set_active(session, outsider, policy=POLICY, user_id=other.id, active=True)
        root = auth_service.get_staff_user_by_username(session, "root")
        auth_service.set_active(session, outsider, policy=POLICY, user_id=root.id, active=False)
        with pytest.raises(Forbidden):
            auth_service.set_active(
                session, outsider, policy=POLICY, user_id=other.id, active=False
            )
        with pytest.raises(Forbidden):
            auth_service.change_role(session, outsider, policy=POLICY, user_id=other.id, role="dpo")

    def test_reset_password_returns_a_working_one_and_unlocks(self, session: Session) -> None:
        _admin, ctx = self._admin(session)
        user = _user(session, "kim")
        user.locked_until = utc_now() + timedelta(minutes=5)
        sessions.start_session(session, user)
        _same, generated = auth_service.reset_password(session, ctx, user_id=user.id)
        assert passwords.verify_password(user.password_hash, generated)
        assert user.locked_until is None
        assert _live(session, user) == 0

    def test_validation_and_permission(self, session: Session) -> None:
        _admin, ctx = self._admin(session)
        user = _user(session, "kim")
        with pytest.raises(InvalidInput):
            auth_service.change_role(session, ctx, policy=POLICY, user_id=user.id, role="king")
        with pytest.raises(NotFound):
            auth_service.reset_password(session, ctx, user_id=424242)
        with pytest.raises(InvalidInput):
            auth_service.create_staff_account(
                session, ctx, policy=POLICY, username="ny", display_name="  ", role="dpo"
            )
        analyst = staff_context(policy=POLICY, username="kim", role="analyst", user_id=user.id)
        with pytest.raises(Forbidden):
            auth_service.list_staff_users(session, analyst)
        names = [u.username for u in auth_service.list_staff_users(session, ctx)]
        assert names == ["kim", "root"]
