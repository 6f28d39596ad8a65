"""When a request must be answered (GDPR art. 12.3): one month from receipt, extendable by two
further months. Periods are computed as EU Regulation 1182/71 says: a month ends on the same
date of the next month (or its last day), and a period ending on a Saturday, Sunday or Swedish
public holiday ends at the end of the next working day."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache

REMIND_DAYS_BEFORE = 7


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@cache
def _swedish_holidays(year: int) -> frozenset[date]:
    # Imported here: its country tables cost every process that imports this ~4 MB.
    import holidays

    # include_sundays=False: the library otherwise lists every Sunday as a Swedish holiday.
    return frozenset(holidays.country_holidays("SE", years=year, include_sundays=False))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _swedish_holidays(day.year)


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_date(received_on: date) -> date:
    return next_working_day(add_months(received_on, 1))


def extended_due_date(received_on: date) -> date:
    """The latest possible answer: one month plus the two further months of art. 12.3."""
    return next_working_day(add_months(received_on, 3))


def reminder_date(due_on: date) -> date:
    return due_on - timedelta(days=REMIND_DAYS_BEFORE)
