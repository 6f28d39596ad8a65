"""The mails come from the catalogues: each kind, to a subject or to the staff, made in Swedish
and in English with the same values, has no English sentence left in its Swedish subject line
or body, and no Swedish in its English one.

The values are the same in both, so any stretch of English words the two share is a text
that was not translated (a label, a reason, a line written inline in one language). The staff
get one mail in their language (`catalogues.STAFF_LANGUAGE`), never both languages in one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from dataskydd.breaches import reminders as breach_reminders
from dataskydd.breaches import subject_notice
from dataskydd.breaches.models import Breach
from dataskydd.catalogues import STAFF_LANGUAGE
from dataskydd.jobs import alerts
from dataskydd.jobs.models import JobRun, RunState
from dataskydd.policy.schema import Lang
from dataskydd.recipients import reminders as recipient_reminders
from dataskydd.subject_requests import messages
from dataskydd.subject_requests.messages import Mail
from dataskydd.subject_requests.models import CodePurpose, RequestKind
from dataskydd.web import i18n

CONTROLLER = "Exempel AB"
LINK = "https://dataskydd.example.se/x/abc"
# Values the staff mails carry as they are, in either language (Swedish letters on purpose).
BREACH_TITLE = "Förlorat USB-minne på tåget"
RECIPIENT = "Molnbolaget Åström AB"
JOB = "retention_run"
ERROR = "OperationalError"
COMMAND = f"dataskydd jobs run {JOB}"
CONTACT = "Dataskyddsombudet, dso@exempel.se, 08-123 45 67"
VALUES = (LINK, CONTROLLER, BREACH_TITLE, RECIPIENT, COMMAND, JOB, ERROR, CONTACT)
MakeMail = Callable[[Lang], Mail]


def _mails() -> Iterator[tuple[str, MakeMail]]:
    due = date(2026, 12, 24)
    for purpose in CodePurpose:
        yield (
            f"code_mail[{purpose.value}]",
            lambda lang, p=purpose: messages.code_mail(p, "482913", CONTROLLER, 15, lang),
        )
    for kind in RequestKind:
        yield (
            f"received_mail[{kind.value}]",
            lambda lang, k=kind: messages.received_mail(k, 7, due, CONTROLLER, lang),
        )
        yield (
            f"extended_mail[{kind.value}]",
            lambda lang, k=kind: messages.extended_mail(k, 7, due, "—", CONTROLLER, lang),
        )
        yield (
            f"outcome_mail[{kind.value}]",
            lambda lang, k=kind: messages.outcome_mail(k, 7, "—", CONTROLLER, lang),
        )
    yield (
        "ready_mail",
        lambda lang: messages.ready_mail(7, LINK, due, CONTROLLER, note="—", lang=lang),
    )
    # To the DPO: one request due, and several (the plural forms).
    yield (
        "reminder_mail[one]",
        lambda lang: messages.reminder_mail([(7, RequestKind.ACCESS, due)], LINK, lang),
    )
    yield (
        "reminder_mail[several]",
        lambda lang: messages.reminder_mail([(7, kind, due) for kind in RequestKind], LINK, lang),
    )


AWARE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _breach() -> Breach:
    return Breach(id=7, title=BREACH_TITLE, aware_at=AWARE)


def _told_breach() -> Breach:
    """What the subjects' mail quotes of a breach, as the DPO wrote it (passed on as is)."""
    return Breach(
        id=7,
        title=BREACH_TITLE,
        aware_at=AWARE,
        nature="confidentiality",
        description=BREACH_TITLE,
        consequences=BREACH_TITLE,
        measures_taken=BREACH_TITLE,
        measures_planned=BREACH_TITLE,
    )


def _run(*, lost: bool = False) -> JobRun:
    started = AWARE - timedelta(hours=2)
    return JobRun(
        id=12,
        job=JOB,
        state=RunState.FAILED if not lost else RunState.RUNNING,
        attempt=3,
        error=ERROR,
        time_limit_seconds=5400,
        started_at=started,
        heartbeat_at=started if lost else AWARE,
        finished_at=AWARE,
    )


def _staff_mails() -> Iterator[tuple[str, MakeMail]]:
    """The mails to the staff (the DPO's address), each state that words it differently."""
    for name, hours in (("left", 1), ("passed one hour", 73), ("passed", 72 + 1500)):
        yield (
            f"breach deadline_mail[{name}]",
            lambda lang, h=hours: Mail(
                *breach_reminders.deadline_mail(_breach(), AWARE + timedelta(hours=h), LINK, lang)
            ),
        )
    yield "jobs failure_mail", lambda lang: Mail(*alerts.failure_mail(_run(), LINK, lang))
    for name, runs in (("one", [_run()]), ("several", [_run(), _run(lost=True)])):
        yield (
            f"jobs stuck_mail[{name}]",
            lambda lang, r=runs: Mail(
                *alerts.stuck_mail(r, LINK, lang, now=AWARE, stale_after=timedelta(minutes=10))
            ),
        )
    for threshold in (recipient_reminders.SOON, recipient_reminders.OVERDUE):
        yield (
            f"recipients review_mail[{threshold}]",
            lambda lang, t=threshold: Mail(
                *recipient_reminders.review_mail(RECIPIENT, date(2027, 3, 1), t, LINK, lang)
            ),
        )


def _without_values(text: str, values: Iterable[str]) -> str:
    for value in values:
        text = text.replace(value, " ")
    return text


def _english_stretches(text: str, values: Iterable[str] = VALUES) -> set[str]:
    """Runs of three words (letters only), lower-cased, without the values put in."""
    words = re.findall(r"[^\W\d_]+", _without_values(text, values).lower())
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def leaked_english(swedish: Mail, english: Mail, values: Iterable[str] = VALUES) -> set[str]:
    leaked: set[str] = set()
    for mine, theirs in (
        (swedish.subject_line, english.subject_line),
        (swedish.body, english.body),
    ):
        leaked |= _english_stretches(mine, values) & _english_stretches(theirs, values)
    return leaked


def leaked_swedish(english: Mail, values: Iterable[str] = VALUES) -> set[str]:
    """Words with a Swedish letter in the English mail, outside the values put in."""
    text = _without_values(f"{english.subject_line}\n{english.body}", values)
    return {word for word in re.findall(r"[^\W\d_]+", text) if re.search("[åäöÅÄÖ]", word)}


def _other_subject_mails() -> Iterator[tuple[str, MakeMail]]:
    """To the subjects, outside the request workflow."""
    # The affected subjects of a breach (art. 34): each language whole from the catalogue;
    # compose() sends both in one mail, since the register keeps no language per subject.
    yield (
        "breach subject notice_mail",
        lambda lang: subject_notice.notice_mail(_told_breach(), CONTROLLER, CONTACT, lang),
    )


MAILS = dict(_mails())
STAFF_MAILS = dict(_staff_mails())
OTHER_MAILS = dict(_other_subject_mails())


def test_every_mail_of_the_request_workflow_is_tested_here() -> None:
    made = {
        name
        for name, function in inspect.getmembers(messages, inspect.isfunction)
        if function.__module__ == messages.__name__
        and inspect.signature(function).return_annotation in (Mail, "Mail")
    }
    tested = {name.split("[")[0] for name in MAILS}
    assert made == tested


@pytest.mark.parametrize("name", sorted(MAILS | STAFF_MAILS | OTHER_MAILS))
def test_the_swedish_mail_has_no_english_left(name: str) -> None:
    make = (MAILS | STAFF_MAILS | OTHER_MAILS)[name]
    swedish, english = make("sv"), make("en")
    assert swedish.subject_line != english.subject_line
    assert not leaked_english(swedish, english), leaked_english(swedish, english)


@pytest.mark.parametrize("name", sorted(MAILS | STAFF_MAILS | OTHER_MAILS))
def test_the_english_mail_has_no_swedish(name: str) -> None:
    english = (MAILS | STAFF_MAILS | OTHER_MAILS)[name]("en")
    assert not leaked_swedish(english), leaked_swedish(english)


@pytest.mark.parametrize("name", sorted(STAFF_MAILS))
def test_a_staff_mail_is_in_one_language(name: str) -> None:
    """Not the old "Swedish / English" lines: neither holds the other's subject line."""
    swedish, english = STAFF_MAILS[name]("sv"), STAFF_MAILS[name]("en")
    assert swedish.body != english.body
    assert english.subject_line not in swedish.body
    assert swedish.subject_line not in english.body
    assert " / " not in swedish.subject_line + english.subject_line


def test_the_staff_mails_are_in_the_language_the_staff_pages_open_in() -> None:
    # Staff accounts keep no language and the DPO's address is the policy's: the rule of
    # catalogues.STAFF_LANGUAGE, which must stay the staff pages' default.
    assert STAFF_LANGUAGE == i18n.DEFAULT_LANGUAGE == "sv"


def test_counts_are_written_for_the_language() -> None:
    swedish, english = (STAFF_MAILS["breach deadline_mail[passed]"](lang) for lang in ("sv", "en"))
    assert "för 1\u00a0500 timmar sedan" in swedish.body
    assert "1,500 hours ago" in english.body
    # The deadline is a moment in Swedish time, written the same in both.
    assert "2026-11-30 10:00" in swedish.subject_line
    assert "2026-11-30 10:00" in english.subject_line


def test_one_hour_is_singular() -> None:
    swedish, english = (
        STAFF_MAILS["breach deadline_mail[passed one hour]"](lang) for lang in ("sv", "en")
    )
    assert "för 1 timme sedan" in swedish.body
    assert "1 hour ago" in english.body


def test_the_check_sees_an_untranslated_line() -> None:
    english = Mail("Your code", "Hello,\n\nThe code is valid for 15 minutes.")
    swedish = Mail("Din kod", "Hej!\n\nThe code is valid for 15 minutes.")
    assert leaked_english(swedish, english) == {
        "the code is",
        "code is valid",
        "is valid for",
        "valid for minutes",
    }


def test_the_check_sees_a_mail_in_both_languages() -> None:
    both = Mail(
        "Incident 7: anmälan till IMY / Breach 7: notify IMY",
        "Anmäl incidenten till IMY.\n\n— In English —\n\nNotify IMY within 72 hours.",
    )
    english = Mail("Breach 7: notify IMY", "Notify IMY within 72 hours.")
    assert leaked_english(both, english) >= {"breach notify imy", "notify imy within"}
    assert leaked_swedish(both) == {"anmälan", "Anmäl"}


@pytest.mark.parametrize("kind", list(RequestKind))
def test_the_kinds_stand_in_swedish_sentences(kind: RequestKind) -> None:
    assert messages.kind_label(kind, "sv") != messages.kind_label(kind, "en")
