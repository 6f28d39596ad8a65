"""Values as they are written into an export: JSON-ready, and CSV cells a spreadsheet
cannot run as formulas (OWASP "CSV injection")."""

from __future__ import annotations

import re
from typing import Any

from dataskydd.datamap import queries

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (tab and carriage return too, since some split cells on them before looking).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain number such as an amount (-100.00) or a phone number in E.164 (+46701234567) is
# data, not a formula, whatever a spreadsheet makes of it; it stays as it is so that the
# recipient's system can still read it.
_NUMBER = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?$")


def plain(value: Any) -> Any:
    """A value as JSON holds it: ISO dates and times, exact decimal strings, enum values."""
    return queries.plain(value)


def csv_cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        # The quote makes the spreadsheet show the text as text; it is visible, on purpose.
        return "'" + text
    return text
