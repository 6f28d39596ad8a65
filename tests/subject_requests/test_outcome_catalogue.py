"""The texts a request stores and mails for its subject (outcome_texts.py, messages.py) have
their Swedish in the catalogues, complete and with the same placeholders: a missing or empty
entry would put English in front of a Swedish subject. The web's catalogue test extracts only
the web package; these modules sit below it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from dataskydd.catalogues import translations
from dataskydd.subject_requests import messages, outcome_texts
from dataskydd.subject_requests.models import RequestKind

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "dataskydd"
SWEDISH = PACKAGE / "web" / "locales" / "sv" / "LC_MESSAGES"
SOURCES = [
    PACKAGE / "subject_requests" / "outcome_texts.py",
    PACKAGE / "subject_requests" / "messages.py",
]
KEYWORDS = {"_": None, "ngettext": (1, 2)}


def _marked() -> list[tuple[str | tuple[str, str], str]]:
    found: list[tuple[str | tuple[str, str], str]] = []
    for source in SOURCES:
        for lineno, message, _comments, _context in extract_from_file(
            "python", source, keywords=KEYWORDS
        ):
            where = f"{source.name}:{lineno}"
            if isinstance(message, tuple):
                found.append(((message[0], message[1]), where))
            else:
                found.append((message, where))
    return found


def _swedish() -> Catalog:
    merged = Catalog(locale="sv")
    for po in sorted(SWEDISH.glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="sv"):
                if message.id:
                    merged[message.id] = message
    return merged


def test_extraction_finds_the_texts() -> None:
    # Guards the test below: an extractor that found nothing would pass it.
    found = dict(_marked())
    assert len(found) >= 20
    assert any(isinstance(message, tuple) for message in found)
    assert "Refused: %(reason)s" in found


def test_every_stored_or_mailed_text_has_swedish_with_its_placeholders() -> None:
    catalog = _swedish()
    problems = []
    for message, where in _marked():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None:
            problems.append(f"{where}: no entry for {message!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings) or isinstance(message, tuple) != isinstance(entry.id, tuple):
            problems.append(f"{where}: untranslated or without its plural: {message!r}")
        for error in entry.check(catalog):
            problems.append(f"{where}: {message!r}: {error}")
    assert not problems, "\n".join(problems)


def test_the_texts_come_out_swedish_and_english() -> None:
    """Through the compiled catalogues, as the code reads them (fuzzy or empty entries are
    left out there): Swedish differs from the English ids, values are filled in."""
    until = date(2026, 12, 31)
    pairs = {
        lang: [
            outcome_texts.access_outcome(2, 1, until, "", lang),
            outcome_texts.portability_outcome(1, until, "", lang),
            outcome_texts.self_service_export_outcome(5, lang),
            outcome_texts.restriction_reason(7, lang),
            outcome_texts.refused_outcome("X", lang),
            outcome_texts.erased_line([], lang),
            outcome_texts.kept_line([("T", 1, "R", until), ("H", 2, "R", None)], lang),
            outcome_texts.system_line("shop", 3, 1, 2, 9, lang),
            outcome_texts.corrected_on_mina_sidor(lang),
            messages.outcome_mail(RequestKind.ERASURE, 7, "O", "C", lang).body,
            messages.ready_mail(7, "L", until, "C", "N", lang).body,
            messages.received_mail(RequestKind.ACCESS, 7, until, "C", lang).body,
            messages.extended_mail(RequestKind.ACCESS, 7, until, "R", "C", lang).body,
        ]
        for lang in ("sv", "en")
    }
    for swedish, english in zip(pairs["sv"], pairs["en"], strict=True):
        assert swedish != english
        assert "%(" not in swedish
        assert "%(" not in english
    assert pairs["sv"][0] == (
        "Registerutdrag: 2 rader i 1 tabell. Länken för nedladdning gäller till och med 2026-12-31."
    )
    assert pairs["en"][0] == (
        "Registerutdrag: 2 rows in 1 table. Download link valid until 2026-12-31."
    )
    assert translations("sv").gettext("Refused: %(reason)s") == "Avslagen: %(reason)s"
