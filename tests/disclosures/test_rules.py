"""The log's rules on plain values: only dates that exist and can be true, secrecy that ends
on the day it says, subject ids that are ids."""

from __future__ import annotations

import datetime as dt

import pytest

from dataskydd.disclosures import rules

TODAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30", "is not a date that exists"),
        ("2026-13-01", "is not a date that exists"),
        ("30/11/2026", "must be a date written YYYY-MM-DD"),
        ("", "must be a date written YYYY-MM-DD"),
        ("2026-1-1", "must be a date written YYYY-MM-DD"),
        ("２０２６-01-01", "must be a date written YYYY-MM-DD"),
    ],
)
def test_impossible_and_malformed_days_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        rules.parse_day(text)


def test_a_leap_day_is_a_day() -> None:
    assert rules.parse_day(" 2024-02-29 ") == dt.date(2024, 2, 29)


def test_dates_in_the_future_before_the_request_or_long_ago_are_refused() -> None:
    assert rules.date_problems(TODAY, TODAY, TODAY) == []
    future = TODAY + dt.timedelta(days=1)
    assert rules.date_problems(TODAY, future, TODAY) == [
        ("handed_over_on", "must not be in the future")
    ]
    assert rules.date_problems(dt.date(2026, 11, 5), dt.date(2026, 11, 4), TODAY) == [
        ("handed_over_on", "must not be before the day it was requested")
    ]
    assert rules.date_problems(dt.date(1066, 10, 14), None, TODAY) == [
        ("requested_on", "must not be before 1990-01-01")
    ]


def test_secrecy_lasts_through_its_last_day() -> None:
    until = dt.date(2026, 12, 31)

    def on(day: dt.date, *, lifted: bool = False) -> bool:
        return rules.confidential_on(confidential=True, lifted=lifted, until=until, today=day)

    assert on(until)
    assert not on(until + dt.timedelta(days=1))
    assert not on(TODAY, lifted=True)
    assert rules.confidential_on(confidential=True, lifted=False, until=None, today=TODAY)
    assert not rules.confidential_on(confidential=False, lifted=False, until=None, today=TODAY)


def test_an_end_of_secrecy_in_the_past_or_centuries_ahead_is_refused() -> None:
    assert rules.until_problem(TODAY, TODAY) is None
    assert rules.until_problem(TODAY - dt.timedelta(days=1), TODAY) is not None
    assert rules.until_problem(dt.date(2400, 1, 1), TODAY) == "must be within 100 years"


def test_subject_ids_are_parsed_once_each_and_bounded() -> None:
    assert rules.parse_subject_ids("3, 1 3;7", most=10) == [3, 1, 7]
    for bad in ("", "  ", "1, x", "0", "-4", "99999999999", "²"):
        with pytest.raises(ValueError, match="subject id"):
            rules.parse_subject_ids(bad, most=10)
    with pytest.raises(ValueError, match="at most 2 subjects"):
        rules.parse_subject_ids("1 2 3", most=2)


def test_text_must_say_something_within_its_bound() -> None:
    assert rules.clean_text("  RB   27 kap. ", limit=20) == "RB 27 kap."
    assert rules.clean_text("rad ett\n  rad   två", limit=50, multi_line=True) == "rad ett\nrad två"
    for bad in ("  ", "ab", "x" * 21, "RB\x00", "RB\x1b[31m 27"):
        with pytest.raises(ValueError, match=r"at least 3|at most 20|must not contain"):
            rules.clean_text(bad, limit=20)
