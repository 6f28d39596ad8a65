"""The mails to a subject come from the catalogues: each kind, made in Swedish and in English
with the same values, has no English sentence left in its Swedish subject line or body.

The values are the same in both, so any stretch of English words the two share is a text
that was not translated (a label, a reason, a line written inline in one language).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from dataskydd.policy.schema import Lang
from dataskydd.subject_requests import messages
from dataskydd.subject_requests.messages import Mail
from dataskydd.subject_requests.models import CodePurpose, RequestKind

CONTROLLER = "Exempel AB"
LINK = "https://dataskydd.example.se/x/abc"
# Staff mail (the DPO's reminder) is written in both languages at once: no subject's language.
BOTH_LANGUAGES = {"reminder_mail"}
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


def _english_stretches(text: str) -> set[str]:
    """Runs of three words (letters only), lower-cased, without the values put in."""
    words = re.findall(r"[^\W\d_]+", text.replace(LINK, " ").replace(CONTROLLER, " ").lower())
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def leaked_english(swedish: Mail, english: Mail) -> set[str]:
    leaked: set[str] = set()
    for mine, theirs in (
        (swedish.subject_line, english.subject_line),
        (swedish.body, english.body),
    ):
        leaked |= _english_stretches(mine) & _english_stretches(theirs)
    return leaked


MAILS = dict(_mails())


def test_every_mail_to_a_subject_is_made_here() -> None:
    made = {
        name
        for name, function in inspect.getmembers(messages, inspect.isfunction)
        if function.__module__ == messages.__name__
        and inspect.signature(function).return_annotation in (Mail, "Mail")
    }
    tested = {name.split("[")[0] for name in MAILS}
    assert made - BOTH_LANGUAGES == tested


@pytest.mark.parametrize("name", sorted(MAILS))
def test_the_swedish_mail_has_no_english_left(name: str) -> None:
    make = MAILS[name]
    swedish, english = make("sv"), make("en")
    assert swedish.subject_line != english.subject_line
    assert not leaked_english(swedish, english), leaked_english(swedish, english)


def test_the_check_sees_an_untranslated_line() -> None:
    english = Mail("Your code", "Hello,\n\nThe code is valid for 15 minutes.")
    swedish = Mail("Din kod", "Hej!\n\nThe code is valid for 15 minutes.")
    assert leaked_english(swedish, english) == {
        "the code is",
        "code is valid",
        "is valid for",
        "valid for minutes",
    }


@pytest.mark.parametrize("kind", list(RequestKind))
def test_the_kinds_stand_in_swedish_sentences(kind: RequestKind) -> None:
    assert messages.kind_label(kind, "sv") != messages.kind_label(kind, "en")
