"""The 72-hour clock (art. 33.1) and the moments a breach is given: exact real hours across a
change of summer time, Swedish wall-clock input, impossible and nonsensical dates refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dataskydd.breaches import deadlines
from dataskydd.clock import SWEDEN
from dataskydd.errors import InvalidInput

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_deadline_is_72_real_hours_across_the_end_of_summer_time() -> None:
    # Summer time ends on 25 October 2026: the local clock shows 71 hours later, one hour
    # "earlier" on the wall than awareness, yet exactly 72 hours have passed.
    aware = deadlines.parse_moment("2026-10-23 12:00", "aware_at")
    due = deadlines.deadline(aware)
    assert due.astimezone(SWEDEN).replace(tzinfo=None) == datetime(2026, 10, 26, 11, 0)
    assert due - aware == timedelta(hours=72)
    clock = deadlines.countdown(aware, datetime(2026, 10, 26, 9, 30, tzinfo=UTC))
    assert (clock.hours_left, clock.minutes_left, clock.passed) == (0, 30, False)


def test_the_deadline_is_72_real_hours_across_the_start_of_summer_time() -> None:
    aware = deadlines.parse_moment("2026-03-27 12:00", "aware_at")
    due = deadlines.deadline(aware)
    assert due.astimezone(SWEDEN).replace(tzinfo=None) == datetime(2026, 3, 30, 13, 0)
    assert due - aware == timedelta(hours=72)


def test_a_passed_deadline_counts_hours_over() -> None:
    aware = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    clock = deadlines.countdown(aware, NOW)
    assert clock.passed
    assert clock.hours_over == 24
    assert clock.hours_left == 0
    assert clock.as_dict()["seconds_left"] == -24 * 3600


@pytest.mark.parametrize(
    "text",
    ["2026-02-30 10:00", "2026-11-31 10:00", "2026-11-20 25:00", "2026-13-01 10:00", "igår", ""],
)
def test_impossible_dates_are_refused_with_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        deadlines.parse_moment(text, "aware_at")
    assert refused.value.field == "aware_at"


def test_a_local_time_summer_time_skips_is_refused() -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        deadlines.parse_moment("2026-03-29 02:30", "aware_at")


def test_the_repeated_hour_is_read_as_its_first_occurrence() -> None:
    first = deadlines.parse_moment("2026-10-25 02:30", "aware_at")
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_an_explicit_offset_is_taken_as_given() -> None:
    moment = deadlines.parse_moment("2026-11-20T10:00+00:00", "aware_at")
    assert moment == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_moments_in_the_future_or_out_of_order_are_refused() -> None:
    aware = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    deadlines.check_moments(aware - timedelta(days=3), aware, NOW)
    with pytest.raises(InvalidInput) as future:
        deadlines.check_moments(None, NOW + timedelta(hours=1), NOW)
    assert future.value.field == "aware_at"
    with pytest.raises(InvalidInput) as after:
        deadlines.check_moments(aware + timedelta(hours=1), aware, NOW)
    assert after.value.field == "occurred_at"
    with pytest.raises(InvalidInput, match="GDPR"):
        deadlines.check_moments(None, datetime(2017, 1, 1, tzinfo=UTC), NOW)
    with pytest.raises(InvalidInput, match="2000"):
        deadlines.check_moments(datetime(1999, 1, 1, tzinfo=UTC), aware, NOW)


def test_reminder_stages_fall_due_once_each() -> None:
    aware = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert deadlines.due_stages(aware, aware, frozenset()) == ["recorded"]
    assert deadlines.due_stages(aware, aware, frozenset({"recorded"})) == []
    day_left = aware + timedelta(hours=49)
    assert deadlines.due_stages(aware, day_left, frozenset({"recorded"})) == ["24h"]
    late = aware + timedelta(hours=67)
    assert deadlines.due_stages(aware, late, frozenset()) == ["recorded", "24h", "6h"]
    assert deadlines.due_stages(aware, late, frozenset({"recorded", "24h", "6h"})) == []
