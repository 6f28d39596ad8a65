"""The limits on attempts per client for sign-in and one-time codes (SPEC 6).

Counted in the database (auth/rate_limits.py), so every worker process and every instance on
the database shares them. Check a limit before the handler's first query: on SQLite the count
then commits on its own, and survives a request that fails. Per-account lock-out after wrong
passwords is a separate, per-account limit (auth/service.py).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from dataskydd.auth import rate_limits
from dataskydd.auth.rate_limits import Limit
from dataskydd.web.addresses import client_key

# Failed sign-ins per client: a successful one is taken back (`succeeded`).
LOGIN = Limit("login", 20, timedelta(minutes=5))
SECOND_FACTOR = Limit("totp", 20, timedelta(minutes=5))
# Codes sent per client (each a mail to someone), and codes tried (each code also dies after
# five wrong tries).
CODE_SEND = Limit("code_send", 10, timedelta(minutes=15))
CODE_VERIFY = Limit("code_verify", 30, timedelta(minutes=15))


def allow(request: Request, session: Session, limit: Limit) -> bool:
    """Count this request's attempt; False when its client is over `limit`."""
    return rate_limits.allow(session, limit, client_key(request))


def succeeded(request: Request, session: Session, limit: Limit) -> None:
    """The attempt just counted succeeded: it does not count against `limit` (failures only)."""
    rate_limits.refund(session, limit, client_key(request))
