"""Staff accounts. Customers and other data subjects live in the register, not here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import EncryptedString, UtcDateTime


class StaffUser(IdMixin, Base):
    __tablename__ = "staff_user"

    # Stored lower-cased (service.normalise_username) so "Anna" and "anna" are one account.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # A key of the policy's `roles`; what it may do is the policy's, read at each request.
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Encrypted: a database copy alone must not let anyone mint second-factor codes.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString("staff_user.totp_secret"))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # An administrator issued the password (and has seen it): its holder must choose their own
    # before doing anything else (web/deps.py lets only My account through until then).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    def __repr__(self) -> str:
        return f"<StaffUser #{self.id} {self.role}>"


class StaffSession(Base):
    """A server-side web session. The cookie holds a random token; only its hash is stored,
    so a database copy cannot be used to hijack sessions."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    # Set after the password when the account has TOTP; until then the session is partial.
    second_factor_pending: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))


class ApiKey(Base):
    """An integration's key, limited to the purposes listed (JSON array of policy keys)."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the key, shown in lists and used to find the row.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    # SHA-256 of the whole key: the key is 256 random bits, so a slow hash adds nothing.
    key_hash: Mapped[str] = mapped_column(String(64))
    purposes: Mapped[str] = mapped_column(Text)
    can_write: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RateLimitWindow(Base):
    """Attempts of one client at one limited action in one fixed window (rate_limits.py).

    Shared by every process and instance on the database. The client address is personal data,
    so only its keyed hash is kept, and rows are deleted once their window can no longer count.
    """

    __tablename__ = "rate_limit_window"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
