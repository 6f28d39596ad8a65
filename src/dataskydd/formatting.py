"""Values as people read them, the same on the staff pages, Mina sidor, the mails and in the
PDFs: an amount or a count in the reader's language, a moment in Swedish time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from dataskydd.clock import SWEDEN


def format_amount(value: Decimal, lang: str) -> str:
    """1 379,00 in Swedish (a non-breaking space between thousands, a decimal comma),
    1,379.00 in English."""
    text = f"{value:,.2f}"
    if lang == "sv":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def format_count(value: int, lang: str) -> str:
    """1 379 in Swedish (a non-breaking space between thousands), 1,379 in English."""
    text = f"{value:,d}"
    return text.replace(",", "\u00a0") if lang == "sv" else text


def format_moment(value: datetime | date) -> str:
    """A time in Swedish time to the minute; a day as ISO 8601."""
    if isinstance(value, datetime):
        return value.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
