"""The texts a request leaves behind for its subject: the outcome, the reason of a restriction
it made, the evidence lines of an erasure. Rendered once, in the language the subject asked in,
through the gettext catalogues (`requests.po`, `self_service.po`), and stored as rendered: they
are evidence of what the subject was told, so a later change of a translation or of a title in
the policy does not rewrite them. Counts, dates and the policy's titles are filled in after
translation; never a value of the subject's data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from dataskydd.catalogues import translations
from dataskydd.formatting import format_moment
from dataskydd.policy.schema import Lang, Policy

_Gettext = Callable[[str], str]
_Ngettext = Callable[[str, str, int], str]


def language_of(stored: str | None) -> Lang:
    """A request's stored language; Swedish unless it says English."""
    return "en" if stored == "en" else "sv"


def _gettext(lang: Lang) -> _Gettext:
    return translations(lang).gettext


def _ngettext(lang: Lang) -> _Ngettext:
    return translations(lang).ngettext


def _with_note(text: str, note: str) -> str:
    """The handler's note for the subject follows as written."""
    return f"{text} {note}".strip()


def _rows(count: int, lang: Lang) -> str:
    ngettext = _ngettext(lang)
    return ngettext("%(count)s row", "%(count)s rows", count) % {"count": count}


def category_titles(policy: Policy, keys: Sequence[str], lang: Lang) -> str:
    return ", ".join(policy.categories[key].title.get(lang) for key in keys)


def purpose_titles(policy: Policy, keys: Sequence[str], lang: Lang) -> str:
    return ", ".join(policy.purposes[key].title.get(lang) for key in keys)


def access_outcome(rows: int, tables: int, until: date, note: str, lang: Lang) -> str:
    _, ngettext = _gettext(lang), _ngettext(lang)
    text = _("Registerutdrag: %(rows)s in %(tables)s. Download link valid until %(until)s.") % {
        "rows": _rows(rows, lang),
        "tables": ngettext("%(count)s table", "%(count)s tables", tables) % {"count": tables},
        "until": format_moment(until),
    }
    return _with_note(text, note)


def portability_outcome(rows: int, until: date, note: str, lang: Lang) -> str:
    _ = _gettext(lang)
    text = _(
        "Portable export: %(rows)s of data you provided. Download link valid until %(until)s."
    ) % {"rows": _rows(rows, lang), "until": format_moment(until)}
    return _with_note(text, note)


def self_service_export_outcome(rows: int, lang: Lang) -> str:
    _ = _gettext(lang)
    return _("Portable export downloaded on Mina sidor: %(rows)s.") % {"rows": _rows(rows, lang)}


def restriction_outcome(policy: Policy, categories: Sequence[str], note: str, lang: Lang) -> str:
    _ = _gettext(lang)
    text = _("Processing restricted (art. 18) for: %(categories)s.") % {
        "categories": category_titles(policy, categories, lang)
    }
    return _with_note(text, note)


def restriction_reason(case: int, lang: Lang) -> str:
    _ = _gettext(lang)
    return _("the subject's request (art. 18), case %(case)s") % {"case": case}


def objection_outcome(policy: Policy, purposes: Sequence[str], note: str, lang: Lang) -> str:
    _ = _gettext(lang)
    text = _("Objection upheld (art. 21); processing stopped for: %(purposes)s.") % {
        "purposes": purpose_titles(policy, purposes, lang)
    }
    return _with_note(text, note)


def refused_outcome(reason: str, lang: Lang) -> str:
    _ = _gettext(lang)
    return _("Refused: %(reason)s") % {"reason": reason}


def erased_line(erased: Sequence[tuple[str, int]], lang: Lang) -> str:
    """`erased`: (category title, rows) per erased category."""
    _ = _gettext(lang)
    if not erased:
        return _("Erased: nothing.")
    return _("Erased: %(categories)s.") % {
        "categories": ", ".join(f"{title} ({rows})" for title, rows in erased)
    }


def kept_line(kept: Sequence[tuple[str, int, str, date | None]], lang: Lang) -> str:
    """`kept`: (category title, rows, reason, kept until) per category kept under a duty or a
    legal hold; a hold has no end date until it is lifted."""
    _ = _gettext(lang)
    parts = []
    for title, rows, reason, until in kept:
        values = {"title": title, "rows": rows, "reason": reason}
        if until is None:
            parts.append(_("%(title)s (%(rows)s): %(reason)s, until the hold is lifted") % values)
        else:
            parts.append(
                _("%(title)s (%(rows)s): %(reason)s, until %(until)s")
                % {**values, "until": format_moment(until)}
            )
    return _("Kept under a legal duty and restricted (art. 17.3, 18): %(kept)s.") % {
        "kept": "; ".join(parts)
    }


def system_line(
    system: str, found: int, deleted: int, blanked: int, receipt: int, lang: Lang
) -> str:
    _ = _gettext(lang)
    return _(
        "System %(system)s: %(found)s found, %(deleted)s deleted, %(blanked)s blanked or "
        "anonymised (receipt %(receipt)s)."
    ) % {
        "system": system,
        "found": _rows(found, lang),
        "deleted": deleted,
        "blanked": blanked,
        "receipt": receipt,
    }


def corrected_on_mina_sidor(lang: Lang) -> str:
    """The reason kept with a rectification the subject made themself."""
    _ = _gettext(lang)
    return _("corrected by the subject on Mina sidor")
