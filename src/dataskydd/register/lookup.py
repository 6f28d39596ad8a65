"""Blind-index keys and search text derived from identifiers (pure given the keyring)."""

from __future__ import annotations

from dataskydd import crypto
from dataskydd.register.enums import ContactKind


def personnummer_index(canonical: str, indexer: crypto.BlindIndexer | None = None) -> str:
    """`indexer`: the process's keyring's unless given (a worker holding the index key only)."""
    indexer = indexer or crypto.current_keyring().indexer
    return indexer.blind_index(canonical, context="subject.personnummer")


def contact_index(
    kind: ContactKind, normalised: str, indexer: crypto.BlindIndexer | None = None
) -> str:
    indexer = indexer or crypto.current_keyring().indexer
    return indexer.blind_index(normalised, context=f"contact_point.{kind.value}")


def search_name(
    given_name: str | None, family_name: str | None, organisation_name: str | None
) -> str:
    parts = [given_name, family_name, organisation_name]
    return " ".join(part for part in parts if part).casefold()
