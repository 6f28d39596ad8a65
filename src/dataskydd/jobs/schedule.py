"""When a scheduled job is due: slots, the instants it should start at.

A slot is claimed once in `job_run` (unique per job), whichever worker claims it first, so
several workers on one database run each slot once (docs/jobs.md). Daily times are Swedish
wall-clock times: 03:00 stays 03:00 across summer time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from dataskydd.clock import SWEDEN


@dataclass(frozen=True)
class Every:
    """Every `minutes` minutes, on the minutes of the hour divisible by it (1, 5, 15...)."""

    minutes: int

    def __post_init__(self) -> None:
        if not 1 <= self.minutes <= 60 or 60 % self.minutes:
            raise ValueError("minutes must divide an hour (1, 2, 3, 5, 10, 15, 20, 30, 60)")

    def latest(self, now: datetime) -> datetime:
        """The newest slot at or before `now` (UTC)."""
        start = now.astimezone(UTC).replace(second=0, microsecond=0)
        return start - timedelta(minutes=start.minute % self.minutes)

    def next_after(self, now: datetime) -> datetime:
        return self.latest(now) + timedelta(minutes=self.minutes)

    @property
    def period(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    def describe(self) -> str:
        return "every minute" if self.minutes == 1 else f"every {self.minutes} minutes"


@dataclass(frozen=True)
class DailyAt:
    """Once a day at `hour`:`minute`, Swedish time."""

    hour: int
    minute: int = 0

    def _at(self, day: datetime) -> datetime:
        local = datetime.combine(day.date(), time(self.hour, self.minute), tzinfo=SWEDEN)
        return local.astimezone(UTC)

    def latest(self, now: datetime) -> datetime:
        local_now = now.astimezone(SWEDEN)
        today = self._at(local_now)
        return today if today <= now else self._at(local_now - timedelta(days=1))

    def next_after(self, now: datetime) -> datetime:
        local_now = now.astimezone(SWEDEN)
        today = self._at(local_now)
        return today if today > now else self._at(local_now + timedelta(days=1))

    @property
    def period(self) -> timedelta:
        return timedelta(days=1)

    def describe(self) -> str:
        return f"daily at {self.hour:02d}:{self.minute:02d}"


Schedule = Every | DailyAt
