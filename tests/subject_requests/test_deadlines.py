"""Art. 12.3 deadlines, computed as Regulation 1182/71 says, on the Swedish calendar."""

from datetime import date

import pytest

from dataskydd.subject_requests import deadlines

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 3, 10), date(2026, 4, 10)),  # a Friday
        (date(2026, 1, 31), date(2026, 3, 2)),  # 28 Feb is a Saturday → Monday 2 March
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year, a Tuesday
        (date(2026, 11, 24), date(2026, 12, 24)),  # Christmas Eve is a working day in law
        (date(2026, 11, 25), date(2026, 12, 28)),  # Christmas Day, Boxing Day, Sunday
        (date(2026, 5, 6), date(2026, 6, 8)),  # 6 June (National Day) is a Saturday
        (date(2026, 12, 1), date(2027, 1, 4)),  # 1 Jan holiday, then a weekend
    ],
)
def test_one_month_then_next_working_day(received: date, due: date) -> None:
    assert deadlines.due_date(received) == due


def test_extension_is_two_further_months() -> None:
    assert deadlines.extended_due_date(date(2026, 3, 10)) == date(2026, 6, 10)


def test_reminder_a_week_before() -> None:
    assert deadlines.reminder_date(date(2026, 4, 10)) == date(2026, 4, 3)
