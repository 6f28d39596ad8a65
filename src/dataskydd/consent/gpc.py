"""Global Privacy Control (globalprivacycontrol.org): `Sec-GPC: 1` or
`navigator.globalPrivacyControl`. Honoured as a refusal of every banner choice the policy marks
`refused_under_gpc` (the tracking pixel, in the bundled policy) and of sale or sharing."""

from __future__ import annotations

from collections.abc import Set


def signalled(header: str | None, body_flag: bool = False) -> bool:
    return body_flag or (header or "").strip() == "1"


def apply(granted: frozenset[str], *, gpc: bool, refused: Set[str]) -> frozenset[str]:
    """The choices that stand: under GPC, those the policy's banner refuses are taken out."""
    return granted - refused if gpc else granted
