"""The day a rule makes data due, turned around for SQL: rows whose date is on or before the
returned day are due `today`. Pure date arithmetic over policy/retention.py's `keep_until`,
so the run and the notice can never disagree (tests/retention/test_rules.py checks both ways).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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

    def describe(self, rule: RetentionRule) -> str:
        """For the report: the rule and the date that made rows due, no personal data."""
        match rule:
            case BookkeepingRetention():
                text = f"bookkeeping {rule.years} years, fiscal year end {rule.fiscal_year_end}"
                return f"{text}: fiscal years ended on or before {self.last_due.isoformat()}"
            case AfterCreationRetention():
                return f"{rule.months} months after creation: dated on or before {self.last_due}"
            case WhileCustomerRetention():
                return (
                    f"while customer + {rule.grace_months} months: relationship ended on or "
                    f"before {self.last_due}"
                )
            case WhileConsentRetention():
                return (
                    f"while consent + {rule.grace_months} months: consent ended on or before "
                    f"{self.last_due}"
                )


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
