"""One demo staff account per role, so a newcomer can sign in and try each view."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dataskydd.auth import service as auth_service
from dataskydd.auth.models import Role

DEMO_STAFF: tuple[tuple[str, str, Role], ...] = (
    ("kundtjanst", "Kim Kundtjänst", Role.CUSTOMER_SERVICE),
    ("dso", "Dana Dataskyddsombud", Role.DPO),
    ("analytiker", "Alex Analytiker", Role.ANALYST),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    password: str


def create_demo_staff(session: Session, *, actor: str) -> list[DemoLogin]:
    """Creates the accounts that do not exist yet; their passwords are returned once."""
    created = []
    for username, display_name, role in DEMO_STAFF:
        if auth_service.find_staff_user_by_username(session, username) is not None:
            continue
        user, password = auth_service.create_staff_user(
            session, username=username, role=role, display_name=display_name, actor=actor
        )
        assert password is not None  # generated, since none was given
        created.append(DemoLogin(user.username, role, password))
    return created
