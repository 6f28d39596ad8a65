from __future__ import annotations

import datetime as dt

import pytest

from dataskydd.policy.retention import add_months, describe_retention, is_due, keep_until
from dataskydd.policy.schema import (
    AfterCreationRetention,
    BookkeepingRetention,
    WhileConsentRetention,
    WhileCustomerRetention,
)

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 1, 15), 1, D(2024, 2, 15)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year: clamp to 29 February
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2023, 3, 31), -1, D(2023, 2, 28)),
        (D(2024, 11, 30), 13, D(2025, 12, 30)),
        (D(2024, 12, 31), 24, D(2026, 12, 31)),
        (D(2024, 8, 31), 1, D(2024, 9, 30)),
    ],
)
def test_add_months_clamps_to_month_end(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


def test_bookkeeping_keeps_through_the_seventh_year_after_the_fiscal_year() -> None:
    rule = BookkeepingRetention(kind="bookkeeping", years=7)
    # An invoice from March 2024: the fiscal year ends 31 December 2024, so it is kept
    # through 2031, and may go on 1 January 2032.
    assert keep_until(rule, created_on=D(2024, 3, 5)) == D(2031, 12, 31)
    assert not is_due(rule, today=D(2031, 12, 31), created_on=D(2024, 3, 5))
    assert is_due(rule, today=D(2032, 1, 1), created_on=D(2024, 3, 5))


def test_bookkeeping_with_a_broken_fiscal_year() -> None:
    rule = BookkeepingRetention(kind="bookkeeping", years=7, fiscal_year_end="06-30")
    # Fiscal year 2023-07-01..2024-06-30 ends in calendar year 2024 -> kept through 2031.
    assert keep_until(rule, created_on=D(2024, 6, 30)) == D(2031, 12, 31)
    # A day later belongs to the fiscal year ending 30 June 2025 -> kept through 2032.
    assert keep_until(rule, created_on=D(2024, 7, 1)) == D(2032, 12, 31)
    # A known fiscal year end wins over the derived one.
    assert keep_until(rule, created_on=D(2024, 7, 1), fiscal_year_ended_on=D(2024, 6, 30)) == D(
        2031, 12, 31
    )


def test_fiscal_year_end_must_be_a_real_day() -> None:
    with pytest.raises(ValueError, match="MM-DD"):
        BookkeepingRetention(kind="bookkeeping", fiscal_year_end="02-30")
    with pytest.raises(ValueError, match="MM-DD"):
        BookkeepingRetention(kind="bookkeeping", fiscal_year_end="02-29")


def test_while_customer_waits_for_the_end_then_the_grace_period() -> None:
    rule = WhileCustomerRetention(kind="while_customer", grace_months=24)
    assert keep_until(rule, created_on=D(2020, 1, 1)) is None
    assert keep_until(rule, created_on=D(2020, 1, 1), customer_ended_on=D(2024, 2, 29)) == D(
        2026, 2, 28
    )
    assert WhileCustomerRetention(kind="while_customer").grace_months == 24


def test_after_creation_counts_from_the_record() -> None:
    rule = AfterCreationRetention(kind="after_creation", months=13)
    assert keep_until(rule, created_on=D(2024, 1, 31)) == D(2025, 2, 28)
    assert is_due(rule, today=D(2025, 3, 1), created_on=D(2024, 1, 31))


def test_while_consent_waits_for_withdrawal() -> None:
    rule = WhileConsentRetention(kind="while_consent")
    assert keep_until(rule, created_on=D(2024, 1, 1)) is None
    assert not is_due(rule, today=D(2030, 1, 1), created_on=D(2024, 1, 1))
    withdrawn = D(2024, 5, 2)
    assert keep_until(rule, created_on=D(2024, 1, 1), consent_withdrawn_on=withdrawn) == withdrawn
    grace = WhileConsentRetention(kind="while_consent", grace_months=1)
    assert keep_until(grace, created_on=D(2024, 1, 1), consent_withdrawn_on=withdrawn) == D(
        2024, 6, 2
    )


def test_describe_retention_in_swedish_and_english() -> None:
    bookkeeping = BookkeepingRetention(kind="bookkeeping", years=7)
    assert describe_retention(bookkeeping, "sv") == (
        "Sparas till och med det sjunde året efter utgången av det kalenderår då "
        "räkenskapsåret avslutades (bokföringslagen 7 kap. 2 §)."
    )
    assert "seventh year" in describe_retention(bookkeeping, "en")
    customer = WhileCustomerRetention(kind="while_customer", grace_months=24)
    assert describe_retention(customer, "sv") == (
        "Sparas så länge du är kund och därefter i 24 månader."
    )
    assert describe_retention(customer, "en") == (
        "Kept while you are a customer and for 24 months afterwards."
    )
    one = AfterCreationRetention(kind="after_creation", months=1)
    assert describe_retention(one, "sv") == "Sparas i 1 månad från det att uppgiften registrerades."
    consent = WhileConsentRetention(kind="while_consent")
    assert describe_retention(consent, "sv") == "Sparas tills du återkallar ditt samtycke."
    assert describe_retention(None, "sv") == "Ingen gallringsregel angiven."
    eleventh = BookkeepingRetention(kind="bookkeeping", years=11)
    assert "det 11:e året" in describe_retention(eleventh, "sv")
    assert "11th year" in describe_retention(eleventh, "en")
