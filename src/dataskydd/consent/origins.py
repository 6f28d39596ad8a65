"""Which web origins may call the banner's endpoints (CORS), from DATASKYDD_CONSENT_ORIGINS."""

from __future__ import annotations

from urllib.parse import urlsplit


def parse_origins(setting: str) -> frozenset[str]:
    return frozenset(
        item.strip().rstrip("/").lower() for item in setting.split(",") if item.strip()
    )


def is_same_origin(origin: str, host: str | None) -> bool:
    return bool(host) and urlsplit(origin).netloc.lower() == (host or "").lower()


def allowed(origin: str | None, *, host: str | None, configured: frozenset[str]) -> bool:
    """No Origin header (same-origin GET, a pixel in an e-mail) is allowed; a foreign origin
    only when configured, or when "*" is."""
    if not origin:
        return True
    origin = origin.rstrip("/").lower()
    return is_same_origin(origin, host) or origin in configured or "*" in configured
