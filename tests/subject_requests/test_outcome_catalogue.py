"""The texts a request stores and mails for its subject (outcome_texts.py, messages.py) come
out Swedish and English through the compiled catalogues. That each has a complete Swedish
entry with the same placeholders is tests/web/test_catalogue_complete.py's check, which
extracts the whole package (these modules included)."""

from __future__ import annotations

from datetime import date

from dataskydd.catalogues import translations
from dataskydd.subject_requests import messages, outcome_texts
from dataskydd.subject_requests.models import RequestKind


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
