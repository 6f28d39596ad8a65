"""The registerutdrag as a PDF a customer reads like a letter: a cover with what it contains
and a table of contents with page numbers, then the categories the subject has data in, one
after the other without forced page breaks, the subject's requests and choices (requests,
restrictions, objections, consents), and the subject's rights and whom to contact.

Tables show the newest `rows_per_table` rows, newest first; older rows are counted and the
reader is pointed to the JSON file delivered with the PDF, which holds every row. Only those
rows are read from the database (or kept from the JSON's pass, `Collected`), so the PDF stays
readable and its memory bounded however much usage data a subject has, and it never leaves
out what happened last.

The pages are laid out by `pdf_layout` and drawn straight onto ReportLab's canvas (a
`Paragraph` per table cell made this PDF three quarters of an export's time, issue 13);
outline entries for the categories, and the document's language set. It is a tagged PDF
(`pdf_tags`): headings, paragraphs, tables and the contents in a structure tree, footers and
rules as artifacts, the title shown as the window's title.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from dataskydd import pdf_fonts, pdf_layout, pdf_tags
from dataskydd.datamap import labels
from dataskydd.formatting import format_amount, format_moment
from dataskydd.policy.schema import Lang, Policy
from dataskydd.subject_requests.extract import CategorySection, Collected, iter_extract
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
        "contents": "Innehåll",
        "page": "Sida {page} av {pages}",
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
        "contents": "Contents",
        "page": "Page {page} of {pages}",
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

# --- the content --------------------------------------------------------------------------------


def _cell(table: str, column: str, value: Any, lang: Lang) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return format_moment(value)
    if isinstance(value, Decimal):
        return format_amount(value, lang)
    return str(labels.display_value(table, column, value, lang))


def _state_cell(value: Any) -> str:
    """A processing-state value: codes arrive already in words (the `*_text` fields)."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return format_moment(value)
    return str(value)


@dataclass
class _Shown:
    """A category with data, its tables' cells formatted (bounded by `rows_per_table`)."""

    meta: dict[str, Any]
    tables: list[tuple[str, str | None, list[str], list[list[str]]]]


def _shown(section: CategorySection, text: dict[str, str], lang: Lang) -> _Shown | None:
    """The category's tables as the reader sees them, or None when the subject has no data
    in it. The tables come with their newest rows, newest first, and their total."""
    tables = []
    for table in section.tables:
        cells = [
            [_cell(table.table, c, row[c], lang) for c, _ in table.columns] for row in table.rows
        ]
        total = table.total if table.total is not None else len(cells)
        note = None
        if total > len(cells):
            note = text["newest"].format(shown=len(cells), total=total, older=total - len(cells))
        tables.append((table.title, note, [label for _, label in table.columns], cells))
    return _Shown(section.meta, tables) if tables else None


def _category(flow: pdf_layout.Flow, shown: _Shown, text: dict[str, str], lang: Lang) -> None:
    meta = shown.meta
    body = flow.styles["body"]
    flow.heading(meta["title"], "h1", 2 * body.leading, mark=f"c-{meta['key']}")
    flow.paragraph(meta["description"])
    flow.heading(text["purposes"], "h2", body.leading)
    for purpose in meta["purposes"]:
        flow.paragraph(f"• {purpose['title']} — {purpose['legal_basis_text']}")
    flow.heading(text["retention"], "h2", body.leading)
    flow.paragraph(meta["retention"])
    flow.heading(text["recipients"], "h2", body.leading)
    recipients = [f"• {r['name']}: {r['description']}" for r in meta["recipients"]]
    for line in recipients or [text["no_recipients"]]:
        flow.paragraph(line)
    source = _SOURCES.get(meta["source"], (meta["source"], meta["source"]))
    flow.heading(text["source"], "h2", body.leading)
    flow.paragraph(source[0 if lang == "sv" else 1])
    for title, note, header, rows in shown.tables:
        pdf_layout.table(flow, title, note, header, rows)


def _state(flow: pdf_layout.Flow, lists: list[StateList], text: dict[str, str], cap: int) -> None:
    body = flow.styles["body"]
    flow.heading(text["state"], "h1", 2 * body.leading, mark="state")
    flow.paragraph(text["state_intro"])
    for state in lists:
        if not state.items:
            flow.heading(state.title, "h2", body.leading)
            flow.paragraph(state.intro or text["state_none"])
            continue
        items = state.items[:cap]
        note = state.intro or None
        if state.total > len(items):
            key = "state_more_json" if len(state.items) > len(items) else "state_newest"
            more = text[key].format(shown=len(items), total=state.total)
            note = f"{note} {more}" if note else more
        rows = [[_state_cell(item[name]) for name, _ in state.columns] for item in items]
        pdf_layout.table(flow, state.title, note, [label for _, label in state.columns], rows)


# --- the document -------------------------------------------------------------------------------


def write_extract_pdf(
    session: Session,
    out: BinaryIO,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang = "sv",
    rows_per_table: int = 500,
    collected: Collected | None = None,
) -> None:
    """The PDF. With `collected` (gathered while the JSON of the same package was written,
    `write_extract_json(..., collect=...)`), nothing is read again."""
    text = _TEXTS[lang]
    if collected is None:
        head, sections = iter_extract(
            session, policy=policy, subject_id=subject_id, lang=lang, newest=rows_per_table
        )
        state = processing_state(session, policy=policy, subject_id=subject_id, lang=lang)
    else:
        head, sections, state = collected.head, iter(collected.sections()), collected.state
    shown: list[_Shown] = []
    empty: list[str] = []
    for section in sections:
        found = _shown(section, text, lang)
        if found is None:
            empty.append(section.meta["title"])
        else:
            shown.append(found)
    controller = head["controller"]
    canvas = Canvas(out, pagesize=A4, lang=lang, pageCompression=1, pdfVersion=pdf_tags.PDF_VERSION)
    canvas.setTitle(text["title"])
    canvas.setAuthor(controller["name"])
    canvas.setSubject(text["subtitle"].format(controller=controller["name"]))
    styles = pdf_layout.styles()
    # The font's codes are per document: the canvas's document, which has no public name.
    flow = pdf_layout.Flow(pdf_fonts.PageText(canvas._doc, pdf_fonts.vera()), styles)  # type: ignore[attr-defined]
    flow.paragraph(text["title"], "title")
    flow.paragraph(text["subtitle"].format(controller=controller["name"]))
    flow.y -= 6
    flow.paragraph(text["to"].format(name=head["subject"]["name"]))
    flow.paragraph(text["date"].format(date=head["generated_at"][:10]))
    flow.y -= 6
    flow.paragraph(text["intro"])
    entries = [(f"c-{s.meta['key']}", s.meta["title"]) for s in shown]
    entries += [("state", text["state"]), ("rights", text["rights"])]
    places = pdf_layout.contents(flow, text["contents"], entries)
    for category in shown:
        _category(flow, category, text, lang)
    if empty:
        flow.y -= 6
        flow.paragraph(text["empty"])
        for title in empty:
            flow.paragraph(f"• {title}")
    _state(flow, state, text, rows_per_table)
    body = styles["body"]
    flow.heading(text["rights"], "h1", 2 * body.leading, mark="rights")
    for item in head["rights"]:
        flow.paragraph(item["text"])
    flow.heading(text["contact"], "h1", 2 * body.leading)
    address = controller["postal_address"]
    flow.paragraph(
        f"{controller['name']}, {address['street']}, {address['postal_code']} "
        f"{address['city']}. {controller.get('phone') or ''}"
    )
    if head["dpo"]:
        flow.paragraph(text["dpo"].format(**head["dpo"]))
    pdf_layout.number_contents(flow, places)
    pdf_layout.draw(canvas, flow, f"{text['title']} · {controller['name']}", text["page"])
    canvas.save()
