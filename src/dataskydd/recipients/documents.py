"""Agreement documents: checked by their content before anything is stored.

Only PDF is accepted. A signed personuppgiftsbiträdesavtal is exchanged and archived as PDF
(PDF/A for archives); word-processor files are drafts, can carry macros, and would need a
parser of their own to check. A PDF is recognised by its header at the very start and its
`%%EOF` trailer near the end, so a file that merely claims to be one (a renamed executable, an
HTML page, a truncated upload) is refused. The file name the browser or the operator gives is
kept only as a label: reduced to its last component and a safe character set.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg

PDF_CONTENT_TYPE = "application/pdf"
MAX_FILE_NAME = 120
# The trailer may be followed by line ends and, from some producers, a little padding.
_TRAILER_WINDOW = 1024
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_UNSAFE = re.compile(r"[^\w.\- ]+")


@dataclass(frozen=True)
class CheckedDocument:
    file_name: str
    content_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def too_large(size: int, limit: int) -> InvalidInput:
    return InvalidInput("document", Msg("is larger than the limit of {limit} bytes", limit=limit))


def check_size(declared: int | None, limit: int) -> None:
    """Refuse a document by its declared size, before its bytes are read."""
    if declared is not None and declared > limit:
        raise too_large(declared, limit)


def is_pdf(content: bytes) -> bool:
    if not _PDF_HEADER.match(content[:8]):
        return False
    return b"%%EOF" in content[-_TRAILER_WINDOW:]


def safe_file_name(name: str | None) -> str:
    """The last path component in NFC, with anything but letters, digits, dot, dash, underscore
    and space replaced; never empty, never hidden, always ending in .pdf."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = _UNSAFE.sub("_", base).strip(" ._")
    stem = base[:-4] if base.lower().endswith(".pdf") else base
    stem = stem[: MAX_FILE_NAME - 4].rstrip(" ._") or "agreement"
    return f"{stem}.pdf"


def check_document(content: bytes, *, file_name: str | None, limit: int) -> CheckedDocument:
    if len(content) > limit:
        raise too_large(len(content), limit)
    if not content:
        raise InvalidInput("document", Msg("is empty"))
    if not is_pdf(content):
        raise InvalidInput(
            "document", Msg("is not a PDF (the file must start with %PDF- and end with %%EOF)")
        )
    return CheckedDocument(
        file_name=safe_file_name(file_name),
        content_type=PDF_CONTENT_TYPE,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )
