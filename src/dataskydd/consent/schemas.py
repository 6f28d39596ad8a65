"""What the banner sends, and what it is told (its texts for one language)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# 128 random bits as 32 lowercase hex digits, made by the browser (crypto.getRandomValues).
VISITOR_ID_PATTERN = r"^[0-9a-f]{32}$"
VisitorId = Annotated[str, StringConstraints(pattern=VISITOR_ID_PATTERN)]
OptionalPurpose = Literal["analytics", "marketing", "personalisation"]
OPTIONAL_PURPOSES: tuple[OptionalPurpose, ...] = ("analytics", "marketing", "personalisation")
USER_AGENT_LENGTH = 120


class ConsentChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    visitor_id: VisitorId
    text_version: Annotated[str, StringConstraints(max_length=32)]
    granted: Annotated[list[OptionalPurpose], Field(max_length=3)]
    gpc: bool = False


class PurposeText(BaseModel):
    key: str
    title: str
    description: str
    required: bool


class BannerConfig(BaseModel):
    text_version: str
    lang: str
    title: str
    body: str
    accept: str
    reject: str
    settings: str
    save: str
    reopen: str
    gpc_note: str
    policy_link: str
    policy_url: str
    purposes: list[PurposeText]
    count_anonymous: bool
    cookie_name: str
    cookie_days: int


class ConsentRecorded(BaseModel):
    text_version: str
    granted: list[str]
    refused: list[str]
    gpc: bool


def truncate_user_agent(value: str | None) -> str:
    """Enough to tell browser and version apart as evidence, not enough to fingerprint."""
    printable = "".join(ch for ch in (value or "") if ch.isprintable())
    return printable[:USER_AGENT_LENGTH]
