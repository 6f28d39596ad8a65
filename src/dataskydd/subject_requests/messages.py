"""The mails of the request workflow, in Swedish and English (pure: text in, text out).

Mails a subject gets after a staff action are bilingual, Swedish first, since the register
does not keep which language the subject chose; code mails follow the page they asked from.
They hold no personal data beyond the addressee's own request and never a code in a subject
line (subject lines end up in more logs than bodies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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


def _both(sv: Mail, en: Mail) -> Mail:
    return Mail(
        f"{sv.subject_line} / {en.subject_line}",
        f"{sv.body}\n\n— In English —\n\n{en.body}",
    )


def received_mail(kind: RequestKind, number: int, due_on: date, controller: str) -> Mail:
    return _both(
        Mail(
            f"Vi har tagit emot din begäran ({number})",
            f"Hej!\n\nVi har tagit emot din begäran om {kind_label(kind, 'sv')} (ärende "
            f"{number}). Vi svarar senast {due_on.isoformat()}.\n\n{controller}",
        ),
        Mail(
            f"We have received your request ({number})",
            f"Hello,\n\nWe have received your request for {kind_label(kind, 'en')} (case "
            f"{number}). We will answer by {due_on.isoformat()} at the latest.\n\n{controller}",
        ),
    )


def extended_mail(
    kind: RequestKind, number: int, due_on: date, reason: str, controller: str
) -> Mail:
    return _both(
        Mail(
            f"Vi behöver mer tid för din begäran ({number})",
            f"Hej!\n\nVi behöver förlänga tiden för att besvara din begäran om "
            f"{kind_label(kind, 'sv')} (ärende {number}), enligt artikel 12.3 i "
            f"dataskyddsförordningen. Skäl: {reason}\n\nVi svarar senast "
            f"{due_on.isoformat()}.\n\n{controller}",
        ),
        Mail(
            f"We need more time for your request ({number})",
            f"Hello,\n\nWe need to extend the time to answer your request for "
            f"{kind_label(kind, 'en')} (case {number}), as Article 12(3) GDPR allows. Reason: "
            f"{reason}\n\nWe will answer by {due_on.isoformat()} at the latest.\n\n{controller}",
        ),
    )


def ready_mail(number: int, link: str, valid_until: date, controller: str, note: str = "") -> Mail:
    """`note`: what the handler wrote for the subject with the outcome, passed on as written."""
    note_sv = f"Meddelande från oss:\n{note}\n\n" if note else ""
    note_en = f"A message from us:\n{note}\n\n" if note else ""
    return _both(
        Mail(
            f"Ditt registerutdrag är klart ({number})",
            f"Hej!\n\nDitt registerutdrag (ärende {number}) är klart. Hämta det som PDF och "
            f"JSON här:\n\n{link}\n\nLänken gäller till och med {valid_until.isoformat()}. "
            "Innan du kan hämta skickar vi en engångskod till den här adressen.\n\n"
            f"{note_sv}{controller}",
        ),
        Mail(
            f"Your copy of your data is ready ({number})",
            f"Hello,\n\nYour copy of your data (case {number}) is ready. Download it as PDF "
            f"and JSON here:\n\n{link}\n\nThe link is valid until {valid_until.isoformat()}. "
            f"Before you can download, we send a one-time code to this address.\n\n"
            f"{note_en}{controller}",
        ),
    )


def outcome_mail(kind: RequestKind, number: int, outcome: str, controller: str) -> Mail:
    return _both(
        Mail(
            f"Din begäran är besvarad ({number})",
            f"Hej!\n\nDin begäran om {kind_label(kind, 'sv')} (ärende {number}) är "
            f"besvarad:\n\n{outcome}\n\nDu har rätt att klaga hos Integritetsskyddsmyndigheten "
            f"(imy.se) om du inte är nöjd.\n\n{controller}",
        ),
        Mail(
            f"Your request has been answered ({number})",
            f"Hello,\n\nYour request for {kind_label(kind, 'en')} (case {number}) has been "
            f"answered:\n\n{outcome}\n\nYou may complain to the Swedish Authority for Privacy "
            f"Protection (imy.se) if you are not satisfied.\n\n{controller}",
        ),
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
