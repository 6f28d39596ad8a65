"""The day a rule makes data due, turned around for SQL: rows whose date is on or before the
returned day are due `today`. Pure date arithmetic over policy/retention.py's `keep_until`,
so the run and the notice can never disagree (tests/retention/test_rules.py checks both ways).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dataskydd.messages_i18n import Msg, read_back
from dataskydd.policy.retention import add_months
from dataskydd.policy.schema import (
    AfterCreationRetention,
    BookkeepingRetention,
    RetentionRule,
    WhileConsentRetention,
    WhileCustomerRetention,
)

ONE_DAY = dt.timedelta(days=1)


def last_due_after(months: int, today: dt.date) -> dt.date:
    """The latest day D with `add_months(D, months) < today`: a row dated D or earlier is past
    a period of `months` months that started on its date. Month ends clamp (31 March + 1 month
    = 30 April), so the answer is searched from an estimate, not computed backwards."""
    day = add_months(today, -months)
    while add_months(day, months) >= today:
        day -= ONE_DAY
    while add_months(day + ONE_DAY, months) < today:
        day += ONE_DAY
    return day


def last_due_bookkeeping(rule: BookkeepingRetention, today: dt.date) -> dt.date:
    """Records of fiscal years that ended on or before the returned day are past their period:
    kept through 31 December of the `years`-th year after the calendar year the fiscal year
    ended in, so due once `today` is in a later year."""
    month, day = rule.fiscal_year_end_month_day
    return dt.date(today.year - rule.years - 1, month, day)


# How a report names the rule and the date that made rows due. Reports keep the English text;
# `read_rule` reads it back against these to show it in the reader's language.
_BOOKKEEPING = Msg(
    "bookkeeping {years} years, fiscal year end {year_end}: fiscal years ended on or before {date}"
)
_AFTER_CREATION = Msg("{months} months after creation: dated on or before {date}")
_WHILE_CUSTOMER = Msg("while customer + {months} months: relationship ended on or before {date}")
_WHILE_CONSENT = Msg("while consent + {months} months: consent ended on or before {date}")
# A rule of the data map's own (a column kept for a number of days), and why a table's rule
# cannot be applied.
KEPT_UNTIL = Msg("{kept}: dated on or before {date}")
IP_NETWORK_KEPT = Msg("truncated IP network kept {days} days")
NO_TIME_COLUMN = Msg("the data map names no time_column for this table")
NO_CONSENT_PURPOSE = Msg("no purpose on consent uses this category")
RULE_TEMPLATES = tuple(
    message.template
    for message in (
        _BOOKKEEPING,
        _AFTER_CREATION,
        _WHILE_CUSTOMER,
        _WHILE_CONSENT,
        IP_NETWORK_KEPT,
        NO_TIME_COLUMN,
        NO_CONSENT_PURPOSE,
        KEPT_UNTIL,  # last: it would match the others' text too
    )
)


def read_rule(text: str) -> Msg:
    """A report's rule text as the message that made it, for the reader's language (a text
    none of the templates made, a system's error say, as it is)."""
    return read_back(text, RULE_TEMPLATES)


class Trigger:
    """What a rule counts its period from."""

    CREATED = "created"  # the row's own date (time_column)
    RELATIONSHIP_ENDED = "relationship_ended"  # the subject's last role or contract ended
    CONSENT_ENDED = "consent_ended"  # the subject's consent was withdrawn (or never given)


@dataclass(frozen=True)
class Cutoff:
    """Rows (or subjects) whose trigger date is on or before `last_due` are due."""

    trigger: str
    last_due: dt.date

    def describe(self, rule: RetentionRule) -> Msg:
        """For the report: the rule and the date that made rows due, no personal data."""
        last_due = self.last_due.isoformat()
        match rule:
            case BookkeepingRetention():
                return _BOOKKEEPING.fill(
                    years=rule.years, year_end=rule.fiscal_year_end, date=last_due
                )
            case AfterCreationRetention():
                return _AFTER_CREATION.fill(months=rule.months, date=last_due)
            case WhileCustomerRetention():
                return _WHILE_CUSTOMER.fill(months=rule.grace_months, date=last_due)
            case WhileConsentRetention():
                return _WHILE_CONSENT.fill(months=rule.grace_months, date=last_due)


def cutoff(rule: RetentionRule, today: dt.date) -> Cutoff:
    match rule:
        case BookkeepingRetention():
            return Cutoff(Trigger.CREATED, last_due_bookkeeping(rule, today))
        case AfterCreationRetention():
            return Cutoff(Trigger.CREATED, last_due_after(rule.months, today))
        case WhileCustomerRetention():
            return Cutoff(Trigger.RELATIONSHIP_ENDED, last_due_after(rule.grace_months, today))
        case WhileConsentRetention():
            return Cutoff(Trigger.CONSENT_ENDED, last_due_after(rule.grace_months, today))
