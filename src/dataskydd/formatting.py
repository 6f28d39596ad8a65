"""Values as people read them, the same on the staff pages, Mina sidor, the mails and in the
PDFs: an amount or a count in the reader's language, a moment in Swedish time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from dataskydd.clock import SWEDEN


def format_number(value: float | Decimal, lang: str, decimals: int = 0) -> str:
    """12 345 and 12,5 in Swedish (a non-breaking space between thousands, a decimal comma),
    12,345 and 12.5 in English; a whole number exactly, however large."""
    text = f"{value:,d}" if isinstance(value, int) and not decimals else f"{value:,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",") if lang == "sv" else text


def format_amount(value: Decimal, lang: str) -> str:
    """1 379,00 in Swedish, 1,379.00 in English."""
    return format_number(value, lang, 2)


def format_count(value: int, lang: str) -> str:
    """1 379 in Swedish, 1,379 in English."""
    return format_number(value, lang)


def format_moment(value: datetime | date) -> str:
    """A time in Swedish time to the minute; a day as ISO 8601."""
    if isinstance(value, datetime):
        return value.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
