"""Who may do what: the role table (least privilege, SPEC 6) and the access context that
every web route and API call carries. One mechanism for every route, not per-page ifs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dataskydd.auth.models import Role
from dataskydd.errors import Forbidden


class Permission(StrEnum):
    SUBJECT_SEARCH = "subject.search"
    SUBJECT_READ = "subject.read"  # one subject's data, for a stated purpose
    SUBJECT_WRITE = "subject.write"  # create, rectify
    AUDIT_READ = "audit.read"
    POLICY_READ = "policy.read"
    STATISTICS_READ = "statistics.read"  # aggregates only
    REQUESTS_HANDLE = "requests.handle"  # the queue of subjects' requests (DPO)
    ACCOUNTS_ADMIN = "accounts.admin"
    API_KEYS_ADMIN = "api_keys.admin"
    OWN_ACCOUNT = "own_account"


_STAFF = frozenset({Permission.OWN_ACCOUNT, Permission.POLICY_READ})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CUSTOMER_SERVICE: _STAFF
    | {Permission.SUBJECT_SEARCH, Permission.SUBJECT_READ, Permission.SUBJECT_WRITE},
    Role.DPO: _STAFF
    | {
        Permission.SUBJECT_SEARCH,
        Permission.SUBJECT_READ,
        Permission.SUBJECT_WRITE,
        Permission.AUDIT_READ,
        Permission.STATISTICS_READ,
        Permission.REQUESTS_HANDLE,
    },
    # Analysts see aggregates, never a subject page.
    Role.ANALYST: _STAFF | {Permission.STATISTICS_READ},
    # Admins manage accounts and keys; they do not need to read customers' data to do so.
    Role.ADMIN: _STAFF
    | {Permission.ACCOUNTS_ADMIN, Permission.API_KEYS_ADMIN, Permission.AUDIT_READ},
}

API_KEY_READ = frozenset({Permission.SUBJECT_SEARCH, Permission.SUBJECT_READ})
API_KEY_WRITE = API_KEY_READ | {Permission.SUBJECT_WRITE}


@dataclass(frozen=True)
class AccessContext:
    """The caller: its audit name, its permissions and, for API keys, the purposes allowed."""

    actor: str
    permissions: frozenset[Permission]
    role: Role | None = None
    user_id: int | None = None
    api_key_id: int | None = None
    # None: any purpose of the policy (staff state one per read); a set: only these.
    purposes: frozenset[str] | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"not allowed: {permission.value}")

    def require_purpose(self, purpose: str) -> None:
        if self.purposes is not None and purpose not in self.purposes:
            allowed = ", ".join(sorted(self.purposes)) or "none"
            raise Forbidden(f"this key may not read for purpose {purpose} (it may: {allowed})")


def staff_context(*, username: str, role: Role, user_id: int) -> AccessContext:
    return AccessContext(
        actor=f"staff:{username}", permissions=ROLE_PERMISSIONS[role], role=role, user_id=user_id
    )
