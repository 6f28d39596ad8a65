"""API keys for integrations, scoped to purposes (SPEC 6). The key is shown once."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.access import API_KEY_READ, API_KEY_WRITE, AccessContext, CallerKind
from dataskydd.auth.models import ApiKey
from dataskydd.clock import utc_now
from dataskydd.errors import AuthenticationRequired, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy

_KEY_PREFIX = "dsk_"
_PREFIX_LENGTH = 12
_INVALID = Msg("the API key is not valid")
_TOUCH_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    name: str,
    purposes: Sequence[str],
    can_write: bool = False,
) -> tuple[ApiKey, str]:
    """Returns the row and the key itself, which is not stored and cannot be shown again."""
    name = name.strip()
    if not 2 <= len(name) <= 100:
        raise InvalidInput("name", Msg("must be 2 to 100 characters"))
    if not purposes:
        raise InvalidInput("purposes", Msg("choose at least one purpose"))
    for purpose in purposes:
        if purpose not in policy.purposes:
            raise InvalidInput("purposes", Msg("unknown purpose '{purpose}'", purpose=purpose))
        if purpose not in policy.api_access.read_purposes:
            allowed = ", ".join(policy.api_access.read_purposes) or Msg("none")
            raise InvalidInput(
                "purposes",
                Msg(
                    "the policy lets no API key use '{purpose}' (it allows: {allowed})",
                    purpose=purpose,
                    allowed=allowed,
                ),
            )
    key = _KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=key[:_PREFIX_LENGTH],
        key_hash=_hash(key),
        purposes=json.dumps(sorted(set(purposes))),
        can_write=can_write,
        created_by=actor,
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="api_key.create",
        detail={"api_key_id": row.id, "purposes": sorted(set(purposes)), "write": can_write},
    )
    return row, key


def authenticate_api_key(session: Session, key: str) -> AccessContext:
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == key[:_PREFIX_LENGTH])).first()
    if row is None or row.revoked_at is not None:
        raise AuthenticationRequired(_INVALID)
    if not secrets.compare_digest(row.key_hash, _hash(key)):
        raise AuthenticationRequired(_INVALID)
    now = utc_now()
    # At most one write a minute per key, so reads through the API stay reads.
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        row.last_used_at = now
    purposes = frozenset(json.loads(row.purposes))
    return AccessContext(
        actor=f"api:{row.id}",
        permissions=API_KEY_WRITE if row.can_write else API_KEY_READ,
        kind=CallerKind.API_KEY,
        api_key_id=row.id,
        purposes=purposes,
        # A key that may write writes under the purposes it is scoped to, and no others.
        write_purposes=purposes if row.can_write else frozenset(),
    )


def list_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id.desc())).all()


def revoke_api_key(session: Session, *, actor: str, api_key_id: int) -> ApiKey:
    row = session.get(ApiKey, api_key_id)
    if row is None:
        raise NotFound(Msg("API key {api_key_id} does not exist", api_key_id=api_key_id))
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        session.flush()
        audit_service.record(
            session, actor=actor, action="api_key.revoke", detail={"api_key_id": row.id}
        )
    return row
