"""Agreement documents are checked by their content: a PDF by its header and trailer, never by
the name it came with; too large, empty and look-alike files are refused naming the field."""

from __future__ import annotations

import hashlib

import pytest

from dataskydd.errors import InvalidInput
from dataskydd.recipients import documents
from tests.recipients.conftest import pdf_bytes


def test_a_pdf_is_accepted_with_its_hash_and_size() -> None:
    content = pdf_bytes()
    checked = documents.check_document(content, file_name="Avtal 2026.pdf", limit=len(content))
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.size == len(content)
    assert checked.content_type == "application/pdf"
    assert checked.file_name == "Avtal 2026.pdf"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"<html><body>%PDF-1.7</body></html>\n%%EOF", "not a PDF"),
        (b"MZ\x90\x00\x03" + b"\x00" * 100, "not a PDF"),
        (pdf_bytes()[:-200], "not a PDF"),  # cut off before its trailer
        (b"%PDF-9.1\n%%EOF\n", "not a PDF"),
        (b"", "is empty"),
    ],
    ids=["html", "executable", "truncated", "no-such-version", "empty"],
)
def test_anything_else_is_refused_whatever_its_name(content: bytes, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        documents.check_document(content, file_name="avtal.pdf", limit=1_000_000)
    assert refused.value.field == "document"
    assert why in refused.value.message


def test_too_large_is_refused_by_its_declared_size_and_by_its_bytes() -> None:
    with pytest.raises(InvalidInput, match="larger than the limit of 1024 bytes"):
        documents.check_size(1025, 1024)
    documents.check_size(1024, 1024)
    documents.check_size(None, 1024)  # no declared size: the bytes are counted instead
    content = pdf_bytes()
    with pytest.raises(InvalidInput) as refused:
        documents.check_document(content, file_name="a.pdf", limit=len(content) - 1)
    assert refused.value.field == "document"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Avtal\\Drift Oy.PDF", "Drift Oy.pdf"),
        ("<script>alert(1)</script>.pdf", "script.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "img src_x onerror_alert_1.pdf"),
        ('avtal"; filename=x.exe', "avtal_ filename_x.exe.pdf"),
        ("Biträdesavtal – Åkeri.pdf", "Biträdesavtal _ Åkeri.pdf"),
        (".hidden", "hidden.pdf"),
        ("", "agreement.pdf"),
        (None, "agreement.pdf"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_the_file_name_is_only_a_label(given: str | None, kept: str) -> None:
    assert documents.safe_file_name(given) == kept
