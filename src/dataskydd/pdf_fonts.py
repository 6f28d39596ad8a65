"""The fonts of every PDF the software writes (registerutdrag, notifications to IMY), and fast
measuring and encoding of text in them for PDFs drawn straight onto a page (`PageText`)."""

from __future__ import annotations

import os
from functools import cache, lru_cache
from typing import Any

import reportlab
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Streams are only deflated, not also ASCII85-encoded: without ReportLab's optional C
# accelerator, ASCII85 in Python took longer than drawing the pages, for files 25 % larger.
rl_config.useA85 = 0


@cache
def vera() -> tuple[str, str]:
    """Vera, bundled with ReportLab, registered once: it covers Swedish and the rest of
    Latin-1, and it is embedded, where the PDF base fonts' encoding is not, so the document
    reads the same on every machine. Returns the regular and bold font names."""
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont("Vera", os.path.join(folder, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-Bold", os.path.join(folder, "VeraBd.ttf")))
    return "Vera", "Vera-Bold"


def _ttf(name: str) -> TTFont:
    font = pdfmetrics.getFont(name)
    assert isinstance(font, TTFont), name  # only the registered TrueType fonts are used
    return font


@cache
def _latin_widths(name: str) -> tuple[list[float], TTFont]:
    font = _ttf(name)
    widths = font.face.charWidths
    default = font.face.defaultWidth
    return [widths.get(code, default) for code in range(256)], font


def width(text: str, name: str, size: float) -> float:
    """The text's width in points. ReportLab's `stringWidth` looks every character up in
    Python; Latin-1 text (nearly every value) is summed from a table in one C-level pass."""
    table, _font = _latin_widths(name)
    try:
        return sum(map(table.__getitem__, text.encode("latin-1"))) * size / 1000
    except UnicodeEncodeError:
        return _wider_width(text, name) * size / 1000


@lru_cache(maxsize=4096)
def _wider_width(text: str, name: str) -> float:
    """Beyond Latin-1 (bullets, dashes): the policy's texts, the same in every document."""
    return float(_ttf(name).stringWidth(text, 1000))


def wrap(text: str, name: str, size: float, room: float) -> list[str]:
    """The text in lines no wider than `room`: broken at spaces and line breaks, a word
    longer than a line broken where it must be."""
    if width(text, name, size) <= room and "\n" not in text:
        return [text]
    space = width(" ", name, size)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line: list[str] = []
        used = 0.0
        for word in paragraph.split():
            wide = width(word, name, size)
            while wide > room:  # a word wider than the line: as much as fits, then the rest
                if line:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                cut = _fitting(word, name, size, room)
                lines.append(word[:cut])
                word = word[cut:]
                wide = width(word, name, size)
            if line and used + space + wide > room:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used += (space if line else 0.0) + wide
            line.append(word)
        lines.append(" ".join(line))
    return lines


def _fitting(word: str, name: str, size: float, room: float) -> int:
    cut = len(word) - 1
    while cut > 1 and width(word[:cut], name, size) > room:
        cut -= 1
    return max(cut, 1)


# Characters with no code yet in the document's subset 0: their translation cannot be
# encoded, so the first string holding one takes ReportLab's path, which assigns the code.
_UNSEEN = "\u0100"


class PageText:
    """Text shown with the registered TrueType fonts in one document, as content-stream
    operators. ReportLab's `drawString` costs ~100 µs a string in pure Python (its C
    accelerator is an optional extra); this writes the operators directly: a string's codes
    in the font's subset come from a translation table filled from ReportLab's own
    assignments, and they are written as a hex string, which needs no escaping."""

    def __init__(self, doc: Any, names: tuple[str, ...]) -> None:
        self._doc = doc
        self._fonts = {name: _ttf(name) for name in names}
        self._tables: dict[str, dict[int, str]] = {}
        for name, font in self._fonts.items():
            font.splitString(" ", doc)  # the document's state of the font, ASCII assigned
            table = dict.fromkeys(range(256), _UNSEEN)
            self._tables[name] = table
            self._learn(name, "")
        # The font's name for its first subset (the codes of nearly every document).
        self._first = {n: f.getSubsetInternalName(0, doc) for n, f in self._fonts.items()}

    def _learn(self, name: str, text: str) -> None:
        # ReportLab's codes for the characters this document has used (untyped in its stubs).
        state: Any = self._fonts[name].state[self._doc]
        assignments: dict[int, int] = state.assignments
        table = self._tables[name]
        for code in {ord(c) for c in text} or assignments:
            found = assignments.get(code)
            if found is not None and found < 256:
                table[code] = chr(found)

    def show(self, text: str, name: str, size: float, x: float, y: float) -> str:
        """Operators (inside BT … ET) showing `text` with its baseline starting at x, y."""
        try:
            codes = text.translate(self._tables[name]).encode("latin-1").hex()
            return f"{self._first[name]} {size:g} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm <{codes}> Tj"
        except UnicodeEncodeError:
            pass
        font = self._fonts[name]
        chunks = font.splitString(text, self._doc)
        self._learn(name, text)
        operators = [f"1 0 0 1 {x:.2f} {y:.2f} Tm"]
        for subset, encoded in chunks:
            internal = font.getSubsetInternalName(subset, self._doc)
            operators.append(f"{internal} {size:g} Tf <{encoded.hex()}> Tj")
        return " ".join(operators)
