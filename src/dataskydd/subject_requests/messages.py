"""The mails of the request workflow, in Swedish and English (pure: text in, text out).

The mails about a request are in the language the subject asked in (kept on the request,
Swedish unless they asked in English), through the gettext catalogues (`requests.po`); code
mails follow the page they asked from. They hold no personal data beyond the addressee's own
request and never a code in a subject line (subject lines end up in more logs than bodies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from dataskydd.catalogues import translations
from dataskydd.formatting import format_moment
from dataskydd.policy.schema import Lang
from dataskydd.subject_requests.models import CodePurpose, RequestKind


@dataclass(frozen=True)
class Mail:
    subject_line: str
    body: str


_KIND = {
    RequestKind.ACCESS: ("registerutdrag", "a copy of your data (registerutdrag)"),
    RequestKind.RECTIFICATION: ("rättelse", "rectification"),
    RequestKind.ERASURE: ("radering", "erasure"),
    RequestKind.RESTRICTION: ("begränsning av behandling", "restriction of processing"),
    RequestKind.PORTABILITY: ("dataportabilitet", "data portability"),
    RequestKind.OBJECTION: ("invändning", "objection"),
}
_WHY_CODE = {
    CodePurpose.REQUEST: (
        "bekräfta din begäran om registerutdrag",
        "confirm your request for a copy of your data",
    ),
    CodePurpose.SIGN_IN: ("logga in på Mina sidor", "sign in to My pages"),
    CodePurpose.DOWNLOAD: ("hämta ditt registerutdrag", "download your copy of your data"),
    CodePurpose.SESSION: ("logga in", "sign in"),
}


def kind_label(kind: RequestKind, lang: Lang) -> str:
    return _KIND[kind][0 if lang == "sv" else 1]


def code_mail(purpose: CodePurpose, code: str, controller: str, minutes: int, lang: Lang) -> Mail:
    why = _WHY_CODE[purpose][0 if lang == "sv" else 1]
    if lang == "sv":
        return Mail(
            f"Din engångskod från {controller}",
            f"Hej!\n\nDin kod för att {why} är: {code}\n\n"
            f"Koden gäller i {minutes} minuter och kan bara användas en gång. Om det inte var "
            "du som bad om den kan du bortse från det här meddelandet; ingen kommer åt dina "
            f"uppgifter utan koden.\n\n{controller}",
        )
    return Mail(
        f"Your one-time code from {controller}",
        f"Hello,\n\nYour code to {why} is: {code}\n\n"
        f"The code is valid for {minutes} minutes and can be used once. If you did not ask for "
        "it, you can ignore this message; nobody can reach your data without the code.\n\n"
        f"{controller}",
    )


def _gettext(lang: Lang) -> Callable[[str], str]:
    return translations(lang).gettext


def received_mail(
    kind: RequestKind, number: int, due_on: date, controller: str, lang: Lang = "sv"
) -> Mail:
    _ = _gettext(lang)
    values = {
        "kind": kind_label(kind, lang),
        "number": number,
        "due_on": format_moment(due_on),
        "controller": controller,
    }
    return Mail(
        _("We have received your request (%(number)s)") % values,
        _(
            "Hello,\n\nWe have received your request for %(kind)s (case %(number)s). We will "
            "answer by %(due_on)s at the latest.\n\n%(controller)s"
        )
        % values,
    )


def extended_mail(
    kind: RequestKind, number: int, due_on: date, reason: str, controller: str, lang: Lang = "sv"
) -> Mail:
    """`reason`: the handler's words to the subject, passed on as written."""
    _ = _gettext(lang)
    values = {
        "kind": kind_label(kind, lang),
        "number": number,
        "due_on": format_moment(due_on),
        "reason": reason,
        "controller": controller,
    }
    return Mail(
        _("We need more time for your request (%(number)s)") % values,
        _(
            "Hello,\n\nWe need to extend the time to answer your request for %(kind)s (case "
            "%(number)s), as Article 12(3) GDPR allows. Reason: %(reason)s\n\nWe will answer "
            "by %(due_on)s at the latest.\n\n%(controller)s"
        )
        % values,
    )


def ready_mail(
    number: int,
    link: str,
    valid_until: date,
    controller: str,
    note: str = "",
    lang: Lang = "sv",
) -> Mail:
    """`note`: what the handler wrote for the subject with the outcome, passed on as written."""
    _ = _gettext(lang)
    values = {
        "number": number,
        "link": link,
        "until": format_moment(valid_until),
        "note": _("A message from us:\n%(note)s") % {"note": note} + "\n\n" if note else "",
        "controller": controller,
    }
    return Mail(
        _("Your copy of your data is ready (%(number)s)") % values,
        _(
            "Hello,\n\nYour copy of your data (case %(number)s) is ready. Download it as PDF "
            "and JSON here:\n\n%(link)s\n\nThe link is valid until %(until)s. Before you "
            "can download, we send a one-time code to this address.\n\n%(note)s%(controller)s"
        )
        % values,
    )


def outcome_mail(
    kind: RequestKind, number: int, outcome: str, controller: str, lang: Lang = "sv"
) -> Mail:
    """`outcome`: the request's stored outcome, already in `lang`."""
    _ = _gettext(lang)
    values = {
        "kind": kind_label(kind, lang),
        "number": number,
        "outcome": outcome,
        "controller": controller,
    }
    return Mail(
        _("Your request has been answered (%(number)s)") % values,
        _(
            "Hello,\n\nYour request for %(kind)s (case %(number)s) has been answered:\n\n"
            "%(outcome)s\n\nYou may complain to the Swedish Authority for Privacy Protection "
            "(imy.se) if you are not satisfied.\n\n%(controller)s"
        )
        % values,
    )


def reminder_mail(rows: list[tuple[int, str, date]], queue_link: str) -> Mail:
    lines = "\n".join(
        f"  {number}  {kind:<14} senast/due {due.isoformat()}" for number, kind, due in rows
    )
    return Mail(
        f"Påminnelse: {len(rows)} begäran(den) från registrerade närmar sig sista dag",
        "Följande ärenden ska besvaras snart / These requests are due soon:\n\n"
        f"{lines}\n\n{queue_link}",
    )
