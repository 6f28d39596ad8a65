"""Which web origins may call the banner's endpoints (CORS), from DATASKYDD_CONSENT_ORIGINS."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=8)  # the setting is read for every banner request; it seldom changes
def parse_origins(setting: str) -> frozenset[str]:
    return frozenset(
        item.strip().rstrip("/").lower() for item in setting.split(",") if item.strip()
    )


def _netloc(origin: str) -> str | None:
    """The host (and port) an Origin names; None for one urllib cannot parse ("http://[::1")."""
    try:
        return urlsplit(origin).netloc.lower()
    except ValueError:
        return None


def is_same_origin(origin: str, host: str | None) -> bool:
    netloc = _netloc(origin)
    return bool(host) and netloc is not None and netloc == (host or "").lower()


def allowed(origin: str | None, *, host: str | None, configured: frozenset[str]) -> bool:
    """No Origin header (same-origin GET, a pixel in an e-mail) is allowed; a foreign origin
    only when configured, or when "*" is; one that does not parse never."""
    if not origin:
        return True
    origin = origin.rstrip("/").lower()
    if _netloc(origin) is None:
        return False  # not an origin at all, whatever is configured
    return is_same_origin(origin, host) or origin in configured or "*" in configured
