"""Time-limited download links and the short grant a fresh code gives (GDPR art. 15.3, 20).

Both are stateless and signed with the blind-index key: a link names its request and its
last day, a grant names the request and the minute it ends. A link alone fetches nothing;
the subject must also type a code sent to the address on file, which yields the grant.
The files are made on download from the current data and never stored.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, timedelta

from dataskydd import crypto
from dataskydd.clock import utc_now

LINK_VALID_DAYS = 30
GRANT_LIFETIME = timedelta(minutes=15)


def _mac(value: str, context: str) -> str:
    return crypto.current_keyring().blind_index(value, context=context)[:40]


def _sign(request_id: int, until: int, context: str) -> str:
    return f"{request_id}.{until}.{_mac(f'{request_id}:{until}', context)}"


def _check(token: str, context: str) -> tuple[int, int] | None:
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    if len(parts[0]) > 12 or len(parts[1]) > 12:
        return None
    request_id, until = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _mac(f"{request_id}:{until}", context)):
        return None
    return request_id, until


def link_token(request_id: int, valid_until: date) -> str:
    return _sign(request_id, valid_until.toordinal(), "download_link")


def link_valid_until(today: date) -> date:
    return today + timedelta(days=LINK_VALID_DAYS)


def request_of_link(token: str, today: date) -> int | None:
    """The request the link is for, or None when forged or past its last day."""
    checked = _check(token, "download_link")
    if checked is None or checked[1] < today.toordinal():
        return None
    return checked[0]


def grant_for(request_id: int, now: datetime | None = None) -> str:
    ends = int(((now or utc_now()) + GRANT_LIFETIME).timestamp())
    return _sign(request_id, ends, "download_grant")


def grant_allows(grant: str | None, request_id: int, now: datetime | None = None) -> bool:
    checked = _check(grant or "", "download_grant")
    if checked is None:
        return False
    return checked[0] == request_id and checked[1] > (now or utc_now()).timestamp()
