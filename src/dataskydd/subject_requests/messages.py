"""The mails of the request workflow, in Swedish and English (pure: text in, text out).

The mails about a request are in the language the subject asked in (kept on the request,
Swedish unless they asked in English), through the gettext catalogues (`requests.po`); code
mails follow the page they asked from; the DPO's reminder is in the staff's language. They
hold no personal data beyond the addressee's own request and never a code in a subject line
(subject lines end up in more logs than bodies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from dataskydd.catalogues import translations
from dataskydd.formatting import format_count, format_moment
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang
from dataskydd.subject_requests.models import CodePurpose, RequestKind


@dataclass(frozen=True)
class Mail:
    subject_line: str
    body: str


# Marked for the catalogues (`Msg` is an extraction keyword), translated when a mail is made.
_KIND = {
    RequestKind.ACCESS: Msg("a copy of your data (registerutdrag)"),
    RequestKind.RECTIFICATION: Msg("rectification"),
    RequestKind.ERASURE: Msg("erasure"),
    RequestKind.RESTRICTION: Msg("restriction of processing"),
    RequestKind.PORTABILITY: Msg("data portability"),
    RequestKind.OBJECTION: Msg("objection"),
}
# The kinds as the request queue names them to the staff (web/pages/request_queue.py).
_STAFF_KIND = {
    RequestKind.ACCESS: Msg("Access (registerutdrag)"),
    RequestKind.RECTIFICATION: Msg("Rectification"),
    RequestKind.ERASURE: Msg("Erasure"),
    RequestKind.RESTRICTION: Msg("Restriction"),
    RequestKind.PORTABILITY: Msg("Portability"),
    RequestKind.OBJECTION: Msg("Objection"),
}
_WHY_CODE = {
    CodePurpose.REQUEST: Msg("confirm your request for a copy of your data"),
    CodePurpose.SIGN_IN: Msg("sign in to My pages"),
    CodePurpose.DOWNLOAD: Msg("download your copy of your data"),
    CodePurpose.SESSION: Msg("sign in"),
}


def kind_label(kind: RequestKind, lang: Lang) -> str:
    return _gettext(lang)(_KIND[kind])


def code_mail(purpose: CodePurpose, code: str, controller: str, minutes: int, lang: Lang) -> Mail:
    _ = _gettext(lang)
    values = {"why": _(_WHY_CODE[purpose]), "code": code, "minutes": minutes}
    values["controller"] = controller
    return Mail(
        _("Your one-time code from %(controller)s") % values,
        _(
            "Hello,\n\nYour code to %(why)s is: %(code)s\n\nThe code is valid for %(minutes)s "
            "minutes and can be used once. If you did not ask for it, you can ignore this "
            "message; nobody can reach your data without the code.\n\n%(controller)s"
        )
        % values,
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


def reminder_mail(rows: list[tuple[int, RequestKind, date]], queue_link: str, lang: Lang) -> Mail:
    """The DPO's reminder of requests due soon (or overdue), in the staff's language: case
    numbers, kinds and days only."""
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    lines = "\n".join(
        "  "
        + _("Case %(number)s: %(kind)s, due %(due_on)s")
        % {"number": number, "kind": _(_STAFF_KIND[kind]), "due_on": format_moment(due)}
        for number, kind, due in rows
    )
    values = {"count": format_count(len(rows), lang), "lines": lines, "link": queue_link}
    return Mail(
        ngettext(
            "Reminder: %(count)s request from a data subject must be answered soon",
            "Reminder: %(count)s requests from data subjects must be answered soon",
            len(rows),
        )
        % values,
        ngettext(
            "This request must be answered soon:\n\n%(lines)s\n\n%(link)s",
            "These requests must be answered soon:\n\n%(lines)s\n\n%(link)s",
            len(rows),
        )
        % values,
    )
