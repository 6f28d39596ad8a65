"""Who is calling: the access context every web route, API call and CLI command carries.

What a staff role may do, and for which purposes, is the policy's `roles` table (least
privilege, SPEC 6); the code knows only the vocabulary of permissions. Whether a given read of
a given subject is allowed is `dataskydd.access`'s decision, which starts from this context.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dataskydd.errors import Forbidden
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Permission, Policy

__all__ = ["AccessContext", "CallerKind", "Permission", "staff_context"]

# STATISTICS_READ: k-anonymous aggregates (/api/v1/analytics), still only under a purpose the
# key is scoped to and the policy lets keys read (access.rules.caller_refusal).
API_KEY_READ = frozenset(
    {Permission.SUBJECT_SEARCH, Permission.SUBJECT_READ, Permission.STATISTICS_READ}
)
API_KEY_WRITE = API_KEY_READ | {Permission.SUBJECT_WRITE}


class CallerKind(StrEnum):
    STAFF = "staff"
    API_KEY = "api"
    # The signed-in subject on Mina sidor, or a verified requester: only their own data.
    SUBJECT = "subject"
    # An operator at the command line or a scheduled job on the server itself.
    OPERATOR = "operator"


@dataclass(frozen=True)
class AccessContext:
    """The caller: its audit name, its permissions and the purposes it may use."""

    actor: str
    permissions: frozenset[Permission]
    kind: CallerKind = CallerKind.STAFF
    role: str | None = None
    user_id: int | None = None
    api_key_id: int | None = None
    # The purposes this caller may use; None only for the operator (any purpose of the policy).
    purposes: frozenset[str] | None = frozenset()
    # For API keys: the purposes under which the key may write.
    write_purposes: frozenset[str] = frozenset()
    # For a subject: their own id, the only subject they may read.
    subject_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden(Msg("not allowed: {value}", value=permission.value))

    def may_use(self, purpose: str) -> bool:
        return self.purposes is None or purpose in self.purposes

    def require_purpose(self, purpose: str) -> None:
        if not self.may_use(purpose):
            allowed = ", ".join(sorted(self.purposes or ())) or Msg("none")
            who = "this key" if self.kind is CallerKind.API_KEY else "your role"
            raise Forbidden(
                Msg(
                    "{who} may not use purpose {purpose} (it may: {allowed})",
                    who=who,
                    purpose=purpose,
                    allowed=allowed,
                )
            )


def staff_context(*, policy: Policy, username: str, role: str, user_id: int) -> AccessContext:
    """A role the policy no longer declares gets nothing, rather than a guessed set."""
    declared = policy.roles.get(role)
    return AccessContext(
        actor=f"staff:{username}",
        permissions=frozenset(declared.permissions) if declared else frozenset(),
        kind=CallerKind.STAFF,
        role=role,
        user_id=user_id,
        purposes=frozenset(declared.purposes) if declared else frozenset(),
    )


def operator_context(actor: str) -> AccessContext:
    """The command line: whoever runs it holds the key file and the database, so every
    permission and purpose; the subject's state (consent, objection, restriction) still rules."""
    return AccessContext(
        actor=actor, permissions=frozenset(Permission), kind=CallerKind.OPERATOR, purposes=None
    )


def subject_context(subject_id: int) -> AccessContext:
    return AccessContext(
        actor=f"subject:{subject_id}",
        permissions=frozenset(),
        kind=CallerKind.SUBJECT,
        subject_id=subject_id,
        purposes=None,
    )
