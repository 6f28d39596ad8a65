"""The rules of the disclosure log on plain values: dates that can be true, text that says
something, and whether a confidential disclosure still stands (OSL, e.g. förundersöknings-
sekretess: while it does, the subject's registerutdrag leaves the disclosure out)."""

from __future__ import annotations

import re
from datetime import date

from dataskydd.messages_i18n import Msg
from dataskydd.validation import check_text

# Nothing a company logs today was disclosed before this; an earlier date is a typing error.
EARLIEST = date(1990, 1, 1)
# Secrecy under OSL lasts at most 70 years (OSL 35 kap. 1 §: "högst sjuttio år"), plus margin.
LONGEST_SECRECY_YEARS = 100
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ID = re.compile(r"^[0-9]{1,10}$")


def parse_day(text: str) -> date:
    """A day written YYYY-MM-DD; ValueError (naming the rule, not the value) otherwise."""
    cleaned = text.strip()
    if not _ISO_DAY.fullmatch(cleaned):
        raise ValueError(Msg("must be a date written YYYY-MM-DD"))
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(Msg("is not a date that exists")) from None


def date_problems(
    requested: date | None, handed_over: date | None, today: date
) -> list[tuple[str, Msg]]:
    problems: list[tuple[str, Msg]] = []
    for field, day in (("requested_on", requested), ("handed_over_on", handed_over)):
        if day is None:
            continue
        if day > today:
            problems.append((field, Msg("must not be in the future")))
        elif day < EARLIEST:
            problems.append((field, Msg("must not be before {day}", day=EARLIEST.isoformat())))
    if requested is not None and handed_over is not None and handed_over < requested:
        problems.append(("handed_over_on", Msg("must not be before the day it was requested")))
    return problems


def until_problem(until: date, today: date) -> Msg | None:
    if until < today:
        return Msg("must not be in the past (the disclosure would not be confidential at all)")
    if until.year > today.year + LONGEST_SECRECY_YEARS:
        return Msg("must be within {years} years", years=LONGEST_SECRECY_YEARS)
    return None


def clean_text(value: str, *, limit: int, minimum: int = 3, multi_line: bool = False) -> str:
    """The text with runs of blanks made one (multi-line keeps its lines); ValueError when it
    holds control characters, says nothing, or is too long."""
    check_text(value, multi_line=multi_line)
    if multi_line:
        cleaned = "\n".join(" ".join(line.split()) for line in value.strip().splitlines())
    else:
        cleaned = " ".join(value.split())
    if len(cleaned) < minimum:
        raise ValueError(Msg("must say something (at least {minimum} characters)", minimum=minimum))
    if len(cleaned) > limit:
        raise ValueError(Msg("at most {limit} characters", limit=limit))
    return cleaned


def confidential_on(*, confidential: bool, lifted: bool, until: date | None, today: date) -> bool:
    """Whether a disclosure is confidential on `today`: marked so, not lifted, and `until`
    (the last day of secrecy, inclusive) not passed."""
    return confidential and not lifted and (until is None or today <= until)


def parse_subject_ids(text: str, *, most: int) -> list[int]:
    """Subject ids separated by commas or blanks, each once, in the order given."""
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    if not parts:
        raise ValueError(Msg("name at least one subject id"))
    if len(parts) > most * 2:
        raise ValueError(Msg("at most {most} subjects per disclosure", most=most))
    ids: dict[int, None] = {}
    for part in parts:
        if not _ID.fullmatch(part) or not 1 <= int(part) <= 2**31 - 1:
            raise ValueError(Msg("must be subject ids (whole numbers) separated by commas"))
        ids[int(part)] = None
    if len(ids) > most:
        raise ValueError(Msg("at most {most} subjects per disclosure", most=most))
    return list(ids)
