"""Global Privacy Control (globalprivacycontrol.org): `Sec-GPC: 1` or
`navigator.globalPrivacyControl`. Honoured as a refusal of marketing and of sale or sharing."""

from __future__ import annotations

# Banner purposes a GPC signal refuses, whatever the toggles say. Nothing is sold or shared,
# so marketing (the tracking pixel) is the one purpose it touches.
REFUSED_UNDER_GPC = frozenset({"marketing"})


def signalled(header: str | None, body_flag: bool = False) -> bool:
    return body_flag or (header or "").strip() == "1"


def apply(granted: frozenset[str], *, gpc: bool) -> frozenset[str]:
    return granted - REFUSED_UNDER_GPC if gpc else granted
