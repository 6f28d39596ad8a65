"""Column types: timezone-aware UTC datetimes on every backend; encrypted strings."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, String, TypeDecorator

from dataskydd import crypto


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC; SQLite has no time zones, so naive values read back are marked UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use dataskydd.clock.utc_now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedString(TypeDecorator[str]):
    """A string encrypted with AES-GCM before it reaches the database.

    `context` names the column; it is bound into each ciphertext as associated data.
    """

    impl = String
    cache_ok = True

    def __init__(self, context: str, length: int = 255, **kwargs: Any) -> None:
        super().__init__(length, **kwargs)
        self.context = context
        self.stored_length = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return crypto.current_keyring().encrypt(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return crypto.current_keyring().decrypt(value, context=self.context)


def str_enum(enum_class: type[StrEnum], *, length: int) -> Enum:
    """A StrEnum stored as its values in a VARCHAR (no database enum type), so the column reads
    the same as the API and the CLI and new members need no migration."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
