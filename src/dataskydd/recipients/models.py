"""Tables of recipients (filled in by the work on issue 12)."""

from __future__ import annotations
