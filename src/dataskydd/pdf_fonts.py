"""The fonts of every PDF the software writes (registerutdrag, notifications to IMY)."""

from __future__ import annotations

import os
from functools import cache

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont


@cache
def vera() -> tuple[str, str]:
    """Vera, bundled with ReportLab, registered once: it covers Swedish and the rest of
    Latin-1, and it is embedded, where the PDF base fonts' encoding is not, so the document
    reads the same on every machine. Returns the regular and bold font names."""
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont("Vera", os.path.join(folder, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-Bold", os.path.join(folder, "VeraBd.ttf")))
    return "Vera", "Vera-Bold"
