"""The notification to IMY drafted from the breach record: every item art. 33.3 asks for,
(a) to (d), with the controller's identity from the policy, as JSON and as a PDF (Swedish, or
English). A draft to copy into IMY's e-service; the DPO records when it was sent."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from dataskydd.breaches import deadlines
from dataskydd.breaches.models import Breach, BreachImyNotice, Nature
from dataskydd.breaches.records import split
from dataskydd.clock import SWEDEN, utc_now
from dataskydd.policy.schema import Lang, Policy

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle

_NATURE = {
    Nature.CONFIDENTIALITY.value: (
        "Konfidentialitet (obehörigt röjande eller åtkomst)",
        "Confidentiality (unauthorised disclosure or access)",
    ),
    Nature.INTEGRITY.value: (
        "Riktighet (obehörig eller oavsiktlig ändring)",
        "Integrity (unauthorised or accidental alteration)",
    ),
    Nature.AVAILABILITY.value: (
        "Tillgänglighet (förlust av åtkomst eller förstöring)",
        "Availability (loss of access or destruction)",
    ),
}
_LABELS: dict[str, tuple[str, str]] = {
    "heading": (
        "Anmälan av personuppgiftsincident till IMY (utkast)",
        "Personal data breach notification to IMY (draft)",
    ),
    "controller": ("Personuppgiftsansvarig", "Controller"),
    "timeline": ("Tidslinje", "Timeline"),
    "occurred_at": ("Incidenten inträffade", "The breach occurred"),
    "approximate": ("ungefärligt", "approximate"),
    "unknown": ("okänt", "unknown"),
    "aware_at": ("Vi fick kännedom om den", "We became aware of it"),
    "deadline": ("Sista dag för anmälan (72 timmar)", "Deadline for notification (72 hours)"),
    "a": ("a) Incidentens art", "a) Nature of the breach"),
    "description": ("Vad som hände", "What happened"),
    "categories": ("Kategorier av personuppgifter", "Categories of personal data"),
    "subject_kinds": ("Kategorier av registrerade", "Categories of data subjects"),
    "subjects_approx": ("Ungefärligt antal registrerade", "Approximate number of data subjects"),
    "records_approx": ("Ungefärligt antal poster", "Approximate number of records"),
    "b": ("b) Kontaktpunkt (dataskyddsombud)", "b) Contact point (data protection officer)"),
    "c": ("c) Sannolika konsekvenser", "c) Likely consequences"),
    "d": ("d) Åtgärder", "d) Measures"),
    "measures_taken": ("Vidtagna åtgärder", "Measures taken"),
    "measures_planned": (
        "Planerade åtgärder, även för att mildra negativa effekter",
        "Measures proposed, including to mitigate possible adverse effects",
    ),
    "delay": ("Skäl till förseningen (art. 33.1)", "Reasons for the delay (art. 33.1)"),
    "phases": ("Tidigare inskickat (art. 33.4)", "Sent before (art. 33.4)"),
    "none": ("–", "–"),
}


def nature_text(key: str, lang: Lang) -> str:
    sv, en = _NATURE.get(key, (key, key))
    return sv if lang == "sv" else en


def _t(key: str, lang: Lang) -> str:
    sv, en = _LABELS[key]
    return sv if lang == "sv" else en


def _local(moment: datetime | None) -> str | None:
    return moment.astimezone(SWEDEN).isoformat(timespec="minutes") if moment else None


def draft(
    policy: Policy,
    breach: Breach,
    notices: Sequence[BreachImyNotice],
    lang: Lang = "sv",
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The draft as data: keys name the items of art. 33.3; texts in `lang`."""
    controller = policy.controller
    dpo = policy.dpo
    clock = deadlines.countdown(breach.aware_at, now or utc_now())
    return {
        "language": lang,
        "breach": breach.id,
        "title": breach.title,
        "controller": {
            "name": controller.name,
            "organisationsnummer": controller.organisationsnummer,
            "address": controller.postal_address.model_dump(),
            "phone": controller.phone,
            "email": controller.email,
        },
        "timeline": {
            "occurred_at": _local(breach.occurred_at),
            "occurred_approximate": breach.occurred_approximate,
            "aware_at": _local(breach.aware_at),
            "recorded_at": _local(breach.recorded_at),
            "deadline": _local(clock.deadline_utc),
        },
        "art_33_3_a_nature": {
            "nature": [nature_text(n, lang) for n in split(breach.nature)],
            "description": breach.description,
            "categories_of_data": [
                policy.categories[c].title.get(lang) if c in policy.categories else c
                for c in split(breach.categories)
            ],
            "categories_of_subjects": [
                policy.subject_kinds[k].title.get(lang) if k in policy.subject_kinds else k
                for k in split(breach.subject_kinds)
            ],
            "approximate_number_of_subjects": breach.subjects_approx,
            "approximate_number_of_records": breach.records_approx,
        },
        "art_33_3_b_contact_point": {
            "name": dpo.name if dpo else controller.name,
            "email": (dpo.email if dpo else None) or controller.email,
            "phone": (dpo.phone if dpo else None) or controller.phone,
        },
        "art_33_3_c_likely_consequences": breach.consequences,
        "art_33_3_d_measures": {
            "taken": breach.measures_taken,
            "proposed": breach.measures_planned,
        },
        "delay_reasons": breach.imy_reason if _late(breach, notices) else None,
        "phases_sent": [
            {"phase": n.phase, "sent_at": _local(n.sent_at), "reference": n.reference}
            for n in notices
        ],
    }


def _late(breach: Breach, notices: Sequence[BreachImyNotice]) -> bool:
    if notices:
        return notices[0].sent_at > deadlines.deadline(breach.aware_at)
    return False


def _styles() -> dict[str, ParagraphStyle]:
    # reportlab is imported where a PDF is made: the web app and the CLI start without it.
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    from dataskydd import pdf_fonts

    regular, bold = pdf_fonts.vera()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontName=bold, fontSize=16),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=12),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontName=regular, fontSize=10),
    }


def render_pdf(data: dict[str, Any], lang: Lang) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = _styles()
    story: list[Any] = []

    def line(text: str, style: str = "body") -> None:
        story.append(Paragraph(escape(text).replace("\n", "<br/>"), styles[style]))

    def pair(key: str, value: object) -> None:
        shown = _t("none", lang) if value in (None, "", []) else value
        if isinstance(shown, list):
            shown = ", ".join(str(v) for v in shown)
        line(f"{_t(key, lang)}: {shown}")

    line(_t("heading", lang), "title")
    line(data["title"])
    c = data["controller"]
    line(_t("controller", lang), "h2")
    address = c["address"]
    line(
        f"{c['name']}"
        + (f", {c['organisationsnummer']}" if c["organisationsnummer"] else "")
        + f"\n{address['street']}, {address['postal_code']} {address['city']}"
        + f"\n{c['phone']}"
        + (f", {c['email']}" if c["email"] else "")
    )
    t = data["timeline"]
    line(_t("timeline", lang), "h2")
    occurred = t["occurred_at"] or _t("unknown", lang)
    if t["occurred_at"] and t["occurred_approximate"]:
        occurred = f"{occurred} ({_t('approximate', lang)})"
    pair("occurred_at", occurred)
    pair("aware_at", t["aware_at"])
    pair("deadline", t["deadline"])
    a = data["art_33_3_a_nature"]
    line(_t("a", lang), "h2")
    pair("description", a["nature"])
    line(a["description"])
    pair("categories", a["categories_of_data"])
    pair("subject_kinds", a["categories_of_subjects"])
    pair("subjects_approx", a["approximate_number_of_subjects"])
    pair("records_approx", a["approximate_number_of_records"])
    b = data["art_33_3_b_contact_point"]
    line(_t("b", lang), "h2")
    line(", ".join(str(v) for v in (b["name"], b["email"], b["phone"]) if v))
    line(_t("c", lang), "h2")
    line(data["art_33_3_c_likely_consequences"])
    d = data["art_33_3_d_measures"]
    line(_t("d", lang), "h2")
    pair("measures_taken", d["taken"])
    pair("measures_planned", d["proposed"])
    if data["delay_reasons"]:
        line(_t("delay", lang), "h2")
        line(data["delay_reasons"])
    if data["phases_sent"]:
        line(_t("phases", lang), "h2")
        for phase in data["phases_sent"]:
            line(f"{phase['phase']}: {phase['sent_at']} ({phase['reference']})")
    story.append(Spacer(1, 4 * mm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_t("heading", lang),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    document.build(story)
    return buffer.getvalue()
