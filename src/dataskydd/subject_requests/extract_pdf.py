"""The registerutdrag as a PDF a customer can read: a cover letter, then one section per
category with readable tables, the subject's requests and choices (requests, restrictions,
objections, consents), then the subject's rights and whom to contact.

Tables show the newest `rows_per_table` rows, newest first; older rows are counted and the
reader is pointed to the JSON file delivered with the PDF, which holds every row. Only those
rows are read from the database, so the PDF stays readable and its memory bounded however
much usage data a subject has, and it never leaves out what happened last.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from sqlalchemy.orm import Session

from dataskydd import pdf_fonts
from dataskydd.clock import SWEDEN
from dataskydd.datamap import labels
from dataskydd.policy.schema import Lang, Policy
from dataskydd.subject_requests.extract import CategorySection, iter_extract
from dataskydd.subject_requests.processing_state import StateList, processing_state

_TEXTS = {
    "sv": {
        "title": "Registerutdrag",
        "subtitle": "Dina personuppgifter hos {controller} (artikel 15 i dataskyddsförordningen)",
        "to": "Till: {name}",
        "date": "Datum: {date}",
        "intro": (
            "Du har bett att få veta vilka personuppgifter vi behandlar om dig. Här är alla "
            "uppgifter vi har om dig, ordnade efter slag av uppgift. För varje slag står varför "
            "vi behandlar uppgifterna, med vilken rättslig grund, hur länge vi sparar dem och "
            "vem vi delar dem med. I tabellerna står det senaste först. Samma uppgifter finns i "
            "maskinläsbar form i filen registerutdrag.json."
        ),
        "purposes": "Varför vi behandlar uppgifterna",
        "retention": "Hur länge vi sparar dem",
        "recipients": "Vem vi delar dem med",
        "no_recipients": "Vi lämnar inte ut dessa uppgifter till någon annan.",
        "source": "Var uppgifterna kommer ifrån",
        "newest": (
            "Här visas de {shown} senaste av {total} rader. Alla, även de {older} äldre, finns i "
            "filen registerutdrag.json."
        ),
        "state": "Dina begäranden och val",
        "state_intro": (
            "De begäranden du har gjort hos oss, och de begränsningar, invändningar och "
            "samtycken som gäller eller har gällt dina uppgifter."
        ),
        "state_none": "Inga.",
        "state_newest": "Här visas de {shown} senaste av {total}.",
        "state_more_json": (
            "Här visas de {shown} senaste av {total}. Fler finns i filen registerutdrag.json."
        ),
        "rights": "Dina rättigheter",
        "contact": "Kontakt",
        "dpo": "Dataskyddsombud: {name}, {email}",
        "empty": "Vi behandlar även dessa slag av uppgifter om kunder, men har inga sådana om dig:",
    },
    "en": {
        "title": "Copy of your personal data",
        "subtitle": "Your personal data at {controller} (Article 15 of the GDPR)",
        "to": "To: {name}",
        "date": "Date: {date}",
        "intro": (
            "You asked which personal data we process about you. Here is all the data we hold "
            "about you, by kind of data. For each kind we state why we process it, on which "
            "legal basis, how long we keep it and whom we share it with. Tables show the most "
            "recent first. The same data is in machine-readable form in the file "
            "registerutdrag.json."
        ),
        "purposes": "Why we process the data",
        "retention": "How long we keep it",
        "recipients": "Whom we share it with",
        "no_recipients": "We do not disclose this data to anyone else.",
        "source": "Where the data comes from",
        "newest": (
            "Shown here: the {shown} most recent of {total} rows. All of them, including the "
            "{older} older ones, are in the file registerutdrag.json."
        ),
        "state": "Your requests and choices",
        "state_intro": (
            "The requests you have made to us, and the restrictions, objections and consents "
            "that apply or have applied to your data."
        ),
        "state_none": "None.",
        "state_newest": "Shown here: the {shown} most recent of {total}.",
        "state_more_json": (
            "Shown here: the {shown} most recent of {total}. More are in the file "
            "registerutdrag.json."
        ),
        "rights": "Your rights",
        "contact": "Contact",
        "dpo": "Data protection officer: {name}, {email}",
        "empty": "We also process these kinds of data about customers, but hold none about you:",
    },
}
_SOURCES = {
    "subject": ("Från dig", "From you"),
    "generated": ("Från våra egna system", "From our own systems"),
    "third_party": ("Från någon annan", "From someone else"),
}


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = pdf_fonts.vera()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontName=bold, fontSize=20),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName=bold, fontSize=15),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=11.5),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontName=regular, fontSize=9.5),
        "cell": ParagraphStyle(
            "c", parent=base["BodyText"], fontName=regular, fontSize=7.5, leading=9
        ),
        "head": ParagraphStyle(
            "hd", parent=base["BodyText"], fontName=bold, fontSize=7.5, leading=9
        ),
    }


def _cell(table: str, column: str, value: Any, lang: Lang) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", "," if lang == "sv" else ".")
    return str(labels.display_value(table, column, value, lang))


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(
    header: list[str], rows: list[list[str]], styles: dict[str, ParagraphStyle]
) -> LongTable:
    data = [[_p(h, styles["head"]) for h in header]]
    data += [[_p(value, styles["cell"]) for value in row] for row in rows]
    table = LongTable(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf5")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c0cc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _category(
    section: CategorySection,
    text: dict[str, str],
    styles: dict[str, ParagraphStyle],
    lang: Lang,
) -> list[Flowable]:
    """The category's pages, or nothing when the subject has no data in it. The tables come
    from iter_extract with `newest`: their newest rows, newest first, and their total."""
    tables: list[Flowable] = []
    for table in section.tables:
        tables += [Spacer(1, 3 * mm), _p(table.title, styles["h2"])]
        shown = [
            [_cell(table.table, c, row[c], lang) for c, _ in table.columns] for row in table.rows
        ]
        total = table.total if table.total is not None else len(shown)
        if total > len(shown):
            note = text["newest"].format(shown=len(shown), total=total, older=total - len(shown))
            tables.append(_p(note, styles["body"]))
        tables.append(_table([label for _, label in table.columns], shown, styles))
    if not tables:
        return []
    meta = section.meta
    part: list[Flowable] = [
        _p(meta["title"], styles["h1"]),
        _p(meta["description"], styles["body"]),
    ]
    part.append(_p(text["purposes"], styles["h2"]))
    for purpose in meta["purposes"]:
        part.append(_p(f"• {purpose['title']} — {purpose['legal_basis_text']}", styles["body"]))
    part += [_p(text["retention"], styles["h2"]), _p(meta["retention"], styles["body"])]
    part.append(_p(text["recipients"], styles["h2"]))
    recipients = [f"• {r['name']}: {r['description']}" for r in meta["recipients"]]
    for line in recipients or [text["no_recipients"]]:
        part.append(_p(line, styles["body"]))
    source = _SOURCES.get(meta["source"], (meta["source"], meta["source"]))
    part += [_p(text["source"], styles["h2"]), _p(source[0 if lang == "sv" else 1], styles["body"])]
    return part + tables


def _state_cell(value: Any) -> str:
    """A processing-state value: codes arrive already in words (the `*_text` fields)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _state(
    lists: list[StateList], text: dict[str, str], styles: dict[str, ParagraphStyle], cap: int
) -> list[Flowable]:
    part: list[Flowable] = [
        _p(text["state"], styles["h1"]),
        _p(text["state_intro"], styles["body"]),
    ]
    for state in lists:
        part += [Spacer(1, 3 * mm), _p(state.title, styles["h2"])]
        if not state.items:
            part.append(_p(text["state_none"], styles["body"]))
            continue
        items = state.items[:cap]
        if state.total > len(items):
            key = "state_more_json" if len(state.items) > len(items) else "state_newest"
            part.append(_p(text[key].format(shown=len(items), total=state.total), styles["body"]))
        rows = [[_state_cell(item[name]) for name, _ in state.columns] for item in items]
        part.append(_table([label for _, label in state.columns], rows, styles))
    return part


def write_extract_pdf(
    session: Session,
    out: BinaryIO,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang = "sv",
    rows_per_table: int = 500,
) -> None:
    text = _TEXTS[lang]
    styles = _styles()
    head, sections = iter_extract(
        session, policy=policy, subject_id=subject_id, lang=lang, newest=rows_per_table
    )
    state = processing_state(session, policy=policy, subject_id=subject_id, lang=lang)
    controller = head["controller"]
    story: list[Flowable] = [
        _p(text["title"], styles["title"]),
        _p(text["subtitle"].format(controller=controller["name"]), styles["body"]),
        Spacer(1, 4 * mm),
        _p(text["to"].format(name=head["subject"]["name"]), styles["body"]),
        _p(text["date"].format(date=head["generated_at"][:10]), styles["body"]),
        Spacer(1, 4 * mm),
        _p(text["intro"], styles["body"]),
    ]
    empty: list[str] = []
    for section in sections:
        part = _category(section, text, styles, lang)
        if part:
            story += [PageBreak(), *part]
        else:
            empty.append(section.meta["title"])
    if empty:
        story += [Spacer(1, 4 * mm), _p(text["empty"], styles["body"])]
        story += [_p(f"• {title}", styles["body"]) for title in empty]
    story += [PageBreak(), *_state(state, text, styles, rows_per_table)]
    story += [PageBreak(), _p(text["rights"], styles["h1"])]
    story += [_p(item["text"], styles["body"]) for item in head["rights"]]
    story += [_p(text["contact"], styles["h1"])]
    address = controller["postal_address"]
    story.append(
        _p(
            f"{controller['name']}, {address['street']}, {address['postal_code']} "
            f"{address['city']}. {controller.get('phone') or ''}",
            styles["body"],
        )
    )
    if head["dpo"]:
        story.append(_p(text["dpo"].format(**head["dpo"]), styles["body"]))
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=text["title"],
        author=controller["name"],
    )
    document.build(story)
