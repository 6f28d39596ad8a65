"""A retention report names each rule and the date that made rows due in English, as stored
evidence; `read_rule` reads that text back into the message that made it, so the staff pages
and the command show it in the reader's language (retention/rules.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from dataskydd.catalogues import translations
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import (
    AfterCreationRetention,
    BookkeepingRetention,
    RetentionRule,
    WhileConsentRetention,
    WhileCustomerRetention,
)
from dataskydd.retention.rules import (
    IP_NETWORK_KEPT,
    KEPT_UNTIL,
    NO_TIME_COLUMN,
    cutoff,
    read_rule,
)

TODAY = dt.date(2026, 11, 29)
RULES: list[RetentionRule] = [
    BookkeepingRetention(kind="bookkeeping", years=7, fiscal_year_end="12-31"),
    AfterCreationRetention(kind="after_creation", months=13),
    WhileCustomerRetention(kind="while_customer", grace_months=24),
    WhileConsentRetention(kind="while_consent", grace_months=1),
]


def _swedish(message: Msg) -> str:
    return message.render(translations("sv").gettext)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.kind)
def test_each_rules_stored_text_reads_back_as_its_message(rule: RetentionRule) -> None:
    made = cutoff(rule, TODAY).describe(rule)
    stored = str(made)  # what retention_line.rule keeps
    found = read_rule(stored)
    assert found.template == made.template
    assert str(found) == stored
    assert _swedish(found) == _swedish(made)
    assert _swedish(found) != stored  # it has Swedish


def test_a_message_inside_a_message_reads_back_too() -> None:
    made = KEPT_UNTIL.fill(kept=IP_NETWORK_KEPT.fill(days=30), date="2026-10-30")
    found = read_rule(str(made))
    assert found.template == KEPT_UNTIL.template
    assert _swedish(found) == "avkortat IP-nät sparas 30 dagar: daterat senast 2026-10-30"


def test_the_swedish_texts() -> None:
    after, _bookkeeping, customer = (
        _swedish(read_rule(text))
        for text in (
            "13 months after creation: dated on or before 2025-10-29",
            "bookkeeping 7 years, fiscal year end 12-31: fiscal years ended on or before "
            "2018-12-31",
            "while customer + 24 months: relationship ended on or before 2024-11-29",
        )
    )
    assert after == "13 månader från tillkomst: daterat senast 2025-10-29"
    assert customer == "så länge kund + 24 månader: kundförhållandet upphörde senast 2024-11-29"
    assert _swedish(read_rule(str(NO_TIME_COLUMN))) == (
        "datakartan anger ingen time_column för den här tabellen"
    )


def test_any_other_text_is_kept_as_it_is() -> None:
    """A system's error stored in place of the rule (a line that could not run)."""
    text = "the shop's database did not answer within 5 s"
    assert _swedish(read_rule(text)) == text
