"""One demo staff account per role of the policy (but the admin's, which `init` creates), so a
newcomer can sign in and try each view. The username is the role's Swedish title in ASCII."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dataskydd.auth import service as auth_service
from dataskydd.policy.schema import Permission, Policy


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


def demo_username(title: str) -> str:
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:64]


def create_demo_staff(session: Session, *, policy: Policy, actor: str) -> list[DemoLogin]:
    """Creates the accounts that do not exist yet; their passwords are returned once."""
    created = []
    admin_roles = set(policy.roles_with(Permission.ACCOUNTS_ADMIN))
    for key, role in policy.roles.items():
        if key in admin_roles:
            continue
        username = demo_username(role.title.sv)
        if auth_service.find_staff_user_by_username(session, username) is not None:
            continue
        user, password = auth_service.create_staff_user(
            session,
            policy=policy,
            username=username,
            role=key,
            display_name=f"Demo {role.title.sv}",
            actor=actor,
        )
        assert password is not None  # generated, since none was given
        created.append(DemoLogin(user.username, key, password))
    return created
