"""The 72-hour clock of art. 33.1, and the moments a breach record is given (pure).

The deadline is 72 real hours after awareness, computed in UTC, so a change to or from summer
time moves the Swedish wall-clock deadline by an hour instead of shortening or lengthening
the time the DPO has. Moments are entered as Swedish local time (what the DPO's watch says)
or with an explicit UTC offset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dataskydd.clock import SWEDEN
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg

DEADLINE = timedelta(hours=72)
# The deadline mails (jobs): at recording, and when this much time is left; once each.
REMINDER_STAGES: tuple[tuple[str, timedelta | None], ...] = (
    ("recorded", None),
    ("24h", timedelta(hours=24)),
    ("6h", timedelta(hours=6)),
)
# GDPR applies from 25 May 2018: an awareness before it is a typing error, not a breach
# under art. 33. A breach may have happened long before anyone noticed, but not before 2000.
EARLIEST_AWARENESS = datetime(2018, 5, 25, tzinfo=UTC)
EARLIEST_OCCURRENCE = datetime(2000, 1, 1, tzinfo=UTC)
# Clocks differ a little; a moment this far ahead of ours is still "now".
CLOCK_SLACK = timedelta(minutes=5)


def deadline(aware_at: datetime) -> datetime:
    return aware_at.astimezone(UTC) + DEADLINE


@dataclass(frozen=True)
class Countdown:
    deadline_utc: datetime
    left: timedelta  # negative when passed

    @property
    def deadline_local(self) -> datetime:
        return self.deadline_utc.astimezone(SWEDEN)

    @property
    def passed(self) -> bool:
        return self.left <= timedelta(0)

    @property
    def hours_left(self) -> int:
        return max(0, int(self.left.total_seconds() // 3600))

    @property
    def minutes_left(self) -> int:
        return max(0, int(self.left.total_seconds() // 60) % 60)

    @property
    def hours_over(self) -> int:
        return max(0, int(-self.left.total_seconds() // 3600))

    def as_dict(self) -> dict[str, object]:
        return {
            "deadline_utc": self.deadline_utc.isoformat(),
            "deadline_local": self.deadline_local.isoformat(),
            "seconds_left": int(self.left.total_seconds()),
            "passed": self.passed,
        }


def countdown(aware_at: datetime, now: datetime) -> Countdown:
    due = deadline(aware_at)
    return Countdown(due, due - now.astimezone(UTC))


def due_stages(aware_at: datetime, now: datetime, sent: frozenset[str]) -> list[str]:
    """The reminder stages now due and not sent, most urgent last. A breach recorded late
    (6 hours left already) is due all three; the mail names only the time left."""
    left = deadline(aware_at) - now.astimezone(UTC)
    return [
        stage
        for stage, before in REMINDER_STAGES
        if stage not in sent and (before is None or left <= before)
    ]


def parse_moment(value: str, field: str) -> datetime:
    """Swedish local time `YYYY-MM-DD HH:MM` (a date alone is its midnight; ISO 8601 with an
    offset is taken as given) → UTC.

    Impossible dates (30 February, hour 25) are refused, and so is a local time that does not
    exist (the hour skipped when summer time starts). The hour that repeats when it ends is
    read as its first occurrence: for a deadline the earlier moment is the safe one."""
    text = value.strip()
    if not text or len(text) > 40:
        raise InvalidInput(field, Msg("give a date and time as YYYY-MM-DD HH:MM"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            field, Msg("is not a possible date and time (YYYY-MM-DD HH:MM)")
        ) from None
    if moment.tzinfo is None:
        local = moment.replace(tzinfo=SWEDEN, fold=0)
        # A wall-clock time that summer time skips does not survive the round trip.
        back = local.astimezone(UTC).astimezone(SWEDEN).replace(tzinfo=None)
        if back != moment:
            raise InvalidInput(field, Msg("does not exist in Swedish time (the clocks skip it)"))
        moment = local
    return moment.astimezone(UTC)


def check_moments(occurred_at: datetime | None, aware_at: datetime, now: datetime) -> None:
    """Awareness neither in the future nor before GDPR; the breach not after awareness."""
    if aware_at > now + CLOCK_SLACK:
        raise InvalidInput("aware_at", Msg("is in the future"))
    if aware_at < EARLIEST_AWARENESS:
        raise InvalidInput("aware_at", Msg("is before GDPR applied (25 May 2018)"))
    if occurred_at is not None:
        if occurred_at > now + CLOCK_SLACK:
            raise InvalidInput("occurred_at", Msg("is in the future"))
        if occurred_at < EARLIEST_OCCURRENCE:
            raise InvalidInput("occurred_at", Msg("is before 2000; check the year"))
        if occurred_at > aware_at:
            raise InvalidInput("occurred_at", Msg("is after the company became aware of it"))


def check_sent(sent_at: datetime, aware_at: datetime, now: datetime, field: str) -> None:
    if sent_at > now + CLOCK_SLACK:
        raise InvalidInput(field, Msg("is in the future"))
    if sent_at < aware_at:
        raise InvalidInput(field, Msg("is before the company became aware of the breach"))
