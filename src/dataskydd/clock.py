"""The one place that reads the clock, so tests can freeze time."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SWEDEN = ZoneInfo("Europe/Stockholm")


def utc_now() -> datetime:
    return datetime.now(UTC)


def today_in_sweden() -> date:
    return utc_now().astimezone(SWEDEN).date()
