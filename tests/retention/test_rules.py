"""The run's cut-off days agree with the notice's arithmetic (policy/retention.py) on every day,
including month ends, leap days and fiscal years that do not end on 31 December."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataskydd.policy.retention import is_due
from dataskydd.policy.schema import (
    AfterCreationRetention,
    BookkeepingRetention,
    WhileConsentRetention,
    WhileCustomerRetention,
)
from dataskydd.retention.rules import Trigger, cutoff, last_due_after, last_due_bookkeeping

days = st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2099, 12, 31))


@given(today=days, months=st.integers(min_value=0, max_value=120), created=days)
def test_after_creation_cutoff_is_exactly_is_due(
    today: dt.date, months: int, created: dt.date
) -> None:
    rule = AfterCreationRetention(kind="after_creation", months=max(months, 1))
    last = last_due_after(rule.months, today)
    assert (created <= last) == is_due(rule, today=today, created_on=created)


@given(today=days, created=days, end=st.sampled_from(["12-31", "06-30", "08-31", "02-28"]))
def test_bookkeeping_cutoff_is_exactly_is_due(today: dt.date, created: dt.date, end: str) -> None:
    rule = BookkeepingRetention(kind="bookkeeping", years=7, fiscal_year_end=end)
    last = last_due_bookkeeping(rule, today)
    assert (created <= last) == is_due(rule, today=today, created_on=created)


@given(today=days, ended=days, grace=st.integers(min_value=0, max_value=60))
def test_grace_cutoff_is_exactly_is_due(today: dt.date, ended: dt.date, grace: int) -> None:
    rule = WhileCustomerRetention(kind="while_customer", grace_months=grace)
    last = cutoff(rule, today).last_due
    due = is_due(rule, today=today, created_on=ended, customer_ended_on=ended)
    assert (ended <= last) == due


@pytest.mark.parametrize(
    ("today", "months", "last"),
    [
        # 31 March + 1 month clamps to 30 April: kept through 30 April, due on 1 May.
        (dt.date(2026, 5, 1), 1, dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 30), 1, dt.date(2026, 3, 29)),
        # Leap day: 29 February 2024 + 12 months = 28 February 2025.
        (dt.date(2025, 3, 1), 12, dt.date(2024, 2, 29)),
        (dt.date(2025, 2, 28), 12, dt.date(2024, 2, 27)),
        # The bundled usage rule: 13 months, checked on the day this was written.
        (dt.date(2026, 11, 30), 13, dt.date(2025, 10, 29)),
    ],
)
def test_month_ends_and_leap_days(today: dt.date, months: int, last: dt.date) -> None:
    assert last_due_after(months, today) == last


@pytest.mark.parametrize(
    ("fiscal_year_end", "today", "last"),
    [
        # Fiscal year 2018-07-01..2019-06-30 ended in 2019: kept through 2026-12-31.
        ("06-30", dt.date(2026, 12, 31), dt.date(2018, 6, 30)),
        ("06-30", dt.date(2027, 1, 1), dt.date(2019, 6, 30)),
        ("08-31", dt.date(2027, 1, 1), dt.date(2019, 8, 31)),
        ("12-31", dt.date(2026, 11, 30), dt.date(2018, 12, 31)),
    ],
)
def test_fiscal_years(fiscal_year_end: str, today: dt.date, last: dt.date) -> None:
    rule = BookkeepingRetention(kind="bookkeeping", years=7, fiscal_year_end=fiscal_year_end)
    assert last_due_bookkeeping(rule, today) == last


def test_each_rule_kind_names_what_it_counts_from() -> None:
    today = dt.date(2026, 11, 30)
    consent = WhileConsentRetention(kind="while_consent", grace_months=0)
    assert cutoff(consent, today).trigger == Trigger.CONSENT_ENDED
    assert cutoff(consent, today).last_due == dt.date(2026, 11, 29)
    customer = WhileCustomerRetention(kind="while_customer", grace_months=24)
    assert cutoff(customer, today).trigger == Trigger.RELATIONSHIP_ENDED
    assert "2024-11-29" in cutoff(customer, today).describe(customer)
