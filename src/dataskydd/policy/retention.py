"""When data may be erased, and how to say so: pure functions on a retention rule.

`keep_until` returns the last day the data is kept. Data is due for erasure on the day after;
`None` means the rule's trigger (end of customership, withdrawal of consent) has not happened.
"""

from __future__ import annotations

import calendar
import datetime as dt

from dataskydd.policy.schema import (
    AfterCreationRetention,
    BookkeepingRetention,
    Lang,
    RetentionRule,
    WhileConsentRetention,
    WhileCustomerRetention,
)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved `months` calendar months on, clamped to the end of a shorter month
    (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def fiscal_year_end_for(rule: BookkeepingRetention, day: dt.date) -> dt.date:
    """The end of the fiscal year that contains `day`."""
    month, month_day = rule.fiscal_year_end_month_day
    end = dt.date(day.year, month, month_day)
    return end if end >= day else dt.date(day.year + 1, month, month_day)


def keep_until(
    rule: RetentionRule,
    *,
    created_on: dt.date,
    customer_ended_on: dt.date | None = None,
    consent_withdrawn_on: dt.date | None = None,
    fiscal_year_ended_on: dt.date | None = None,
) -> dt.date | None:
    match rule:
        case BookkeepingRetention():
            ended = fiscal_year_ended_on or fiscal_year_end_for(rule, created_on)
            # "Through the 7th year after the end of the calendar year in which the fiscal
            # year ended": the clock starts at the next 31 December, not at the fiscal year end.
            return dt.date(ended.year + rule.years, 12, 31)
        case WhileCustomerRetention():
            if customer_ended_on is None:
                return None
            return add_months(customer_ended_on, rule.grace_months)
        case AfterCreationRetention():
            return add_months(created_on, rule.months)
        case WhileConsentRetention():
            if consent_withdrawn_on is None:
                return None
            return add_months(consent_withdrawn_on, rule.grace_months)


def is_due(
    rule: RetentionRule,
    *,
    today: dt.date,
    created_on: dt.date,
    customer_ended_on: dt.date | None = None,
    consent_withdrawn_on: dt.date | None = None,
    fiscal_year_ended_on: dt.date | None = None,
) -> bool:
    last_day = keep_until(
        rule,
        created_on=created_on,
        customer_ended_on=customer_ended_on,
        consent_withdrawn_on=consent_withdrawn_on,
        fiscal_year_ended_on=fiscal_year_ended_on,
    )
    return last_day is not None and today > last_day


_SV_ORDINALS = [
    "första",
    "andra",
    "tredje",
    "fjärde",
    "femte",
    "sjätte",
    "sjunde",
    "åttonde",
    "nionde",
    "tionde",
]
_EN_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
]


def _ordinal(number: int, lang: Lang) -> str:
    words = _SV_ORDINALS if lang == "sv" else _EN_ORDINALS
    if number <= len(words):
        return words[number - 1]
    if lang == "sv":
        return f"{number}:{'a' if number % 10 in (1, 2) and number % 100 not in (11, 12) else 'e'}"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{'th' if number % 100 in (11, 12, 13) else suffix}"


def _months(count: int, lang: Lang) -> str:
    if lang == "sv":
        return f"{count} {'månad' if count == 1 else 'månader'}"
    return f"{count} {'month' if count == 1 else 'months'}"


def _fiscal_year_note(rule: BookkeepingRetention, lang: Lang) -> str:
    if rule.fiscal_year_end == "12-31":
        return ""
    month, day = rule.fiscal_year_end_month_day
    if lang == "sv":
        return f" Räkenskapsåret slutar den {day}/{month}."
    return f" The financial year ends on {dt.date(2001, month, day):%d %B}."


def describe_retention(rule: RetentionRule | None, lang: Lang) -> str:
    """One or two readable sentences for the notice, the RoPA and the registerutdrag."""
    sv = lang == "sv"
    match rule:
        case None:
            return "Ingen gallringsregel angiven." if sv else "No retention rule stated."
        case BookkeepingRetention():
            nth = _ordinal(rule.years, lang)
            if sv:
                text = (
                    f"Sparas till och med det {nth} året efter utgången av det kalenderår då "
                    "räkenskapsåret avslutades (bokföringslagen 7 kap. 2 §)."
                )
            else:
                text = (
                    f"Kept until the end of the {nth} year after the end of the calendar year in "
                    "which the financial year ended (Swedish Bookkeeping Act, chapter 7, "
                    "section 2)."
                )
            return text + _fiscal_year_note(rule, lang)
        case WhileCustomerRetention():
            if rule.grace_months == 0:
                return "Sparas så länge du är kund." if sv else "Kept while you are a customer."
            months = _months(rule.grace_months, lang)
            if sv:
                return f"Sparas så länge du är kund och därefter i {months}."
            return f"Kept while you are a customer and for {months} afterwards."
        case AfterCreationRetention():
            months = _months(rule.months, lang)
            if sv:
                return f"Sparas i {months} från det att uppgiften registrerades."
            return f"Kept for {months} from when it was recorded."
        case WhileConsentRetention():
            if rule.grace_months == 0:
                if sv:
                    return "Sparas tills du återkallar ditt samtycke."
                return "Kept until you withdraw your consent."
            months = _months(rule.grace_months, lang)
            if sv:
                return f"Sparas tills du återkallar ditt samtycke och därefter i {months}."
            return f"Kept until you withdraw your consent and for {months} afterwards."
