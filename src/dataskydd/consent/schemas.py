"""What the banner sends, and what it is told (its texts for one language)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import BANNER_CHOICES_MAX_CHARS, ConsentBanner
from dataskydd.validation import Line

# 128 random bits as 32 lowercase hex digits, made by the browser (crypto.getRandomValues).
VISITOR_ID_PATTERN = r"^[0-9a-f]{32}$"
VisitorId = Annotated[str, StringConstraints(pattern=VISITOR_ID_PATTERN)]
# The policy's banner choice keys (policy.schema.Key); which ones exist is the policy's.
ChoiceKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=50)]
USER_AGENT_LENGTH = 120
# The validation context key under which the banner's optional choices are passed.
CHOICES = "choices"


class ConsentChoice(BaseModel):
    """What the banner sends. Validated with `context=choice_context(banner)`, every granted
    key must be an optional choice of the policy's banner (an unknown key is a 422 naming it)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    visitor_id: VisitorId
    text_version: Annotated[Line, StringConstraints(max_length=32)]
    granted: Annotated[list[ChoiceKey], Field(max_length=BANNER_CHOICES_MAX_CHARS // 2)]
    gpc: bool = False

    @field_validator("granted")
    @classmethod
    def _offered_by_the_banner(cls, granted: list[str], info: ValidationInfo) -> list[str]:
        offered: Collection[str] | None = (info.context or {}).get(CHOICES)
        if offered is not None:
            unknown_choice(granted, offered)
        return granted


def choice_context(banner: ConsentBanner) -> dict[str, tuple[str, ...]]:
    return {CHOICES: banner.optional_choices}


def unknown_choice(granted: Collection[str], offered: Collection[str]) -> None:
    """Raises ValueError naming the first key the banner does not offer as an optional choice.
    The keys are identifier-shaped (ChoiceKey), so naming one cannot echo free text."""
    for key in granted:
        if key not in offered:
            valid = ", ".join(offered) or Msg("none")
            raise ValueError(
                Msg(
                    "unknown choice '{key}': the banner's optional choices are {valid}",
                    key=key,
                    valid=valid,
                )
            )


class CookieText(BaseModel):
    name: str
    provider: str | None
    lifetime: str
    description: str


class PurposeText(BaseModel):
    """One choice as the banner script sees it: its texts and what it governs."""

    key: str
    title: str
    description: str
    # The necessary choice: shown checked and disabled, never sent.
    required: bool
    measures_visits: bool
    tracking_pixel: bool
    refused_under_gpc: bool
    cookies: list[CookieText] = []


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
    # The software's own words around the policy's texts (the cookie table, the notice after
    # a choice), in the page's language.
    labels: dict[str, str] = {}


class ConsentRecorded(BaseModel):
    text_version: str
    granted: list[str]
    refused: list[str]
    gpc: bool


def truncate_user_agent(value: str | None) -> str:
    """Enough to tell browser and version apart as evidence, not enough to fingerprint."""
    printable = "".join(ch for ch in (value or "") if ch.isprintable())
    return printable[:USER_AGENT_LENGTH]
