"""The typed shape of a policy file.

Every model forbids unknown keys so that a misspelt key in the YAML is an error rather than a
silently ignored promise. Fields that a policy *should* have but a published policy may lack
(retention, legal basis, agreement dates) are optional here on purpose: `checks.py` reports
them as findings with their place in the file, which is more useful than a parse failure.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from dataskydd.errors import NotFound

T = TypeVar("T")

Lang = Literal["sv", "en"]
LANGUAGES: tuple[Lang, ...] = ("sv", "en")

# Keys are referenced from code (datamap, services), so keep them identifier-like.
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]

# EU member states plus Iceland, Liechtenstein and Norway (the EEA agreement).
EEA_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "IS",
        "LI",
        "NO",
    ]
)
# Countries with an EU adequacy decision (art. 45). The United States is adequate only for
# organisations certified under the EU-US Data Privacy Framework, so it is not listed here.
ADEQUATE_COUNTRIES = frozenset(
    ["AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY"]
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(_Model):
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: Lang) -> str:
        return self.sv if lang == "sv" else self.en


class LegalBasis(StrEnum):
    """GDPR art. 6(1) a-f."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def point(self) -> str:
        return "abcdef"[list(LegalBasis).index(self)]


class RecipientRole(StrEnum):
    PROCESSOR = "processor"
    CONTROLLER = "controller"
    AUTHORITY = "authority"


class TransferMechanism(StrEnum):
    NONE = "none"
    ADEQUACY = "adequacy"
    EU_US_DPF = "eu_us_dpf"
    SCC = "scc"
    BCR = "bcr"
    # Invalid since 16 July 2020; parsed only so that `check` can say so.
    PRIVACY_SHIELD = "privacy_shield"


class DataSource(StrEnum):
    SUBJECT = "subject"
    GENERATED = "generated"
    THIRD_PARTY = "third_party"


class BookkeepingRetention(_Model):
    """Räkenskapsinformation: kept through the `years`-th year after the end of the calendar
    year in which the fiscal year ended (bokföringslagen 7 kap. 2 §)."""

    kind: Literal["bookkeeping"]
    years: int = Field(default=7, ge=1)
    fiscal_year_end: str = "12-31"

    @field_validator("fiscal_year_end")
    @classmethod
    def _month_day(cls, value: str) -> str:
        try:
            # 2001 is not a leap year: a fiscal year cannot end on 29 February every year.
            dt.date.fromisoformat(f"2001-{value}")
        except ValueError:
            raise ValueError("must be a month and day written MM-DD, e.g. 12-31") from None
        return value

    @property
    def fiscal_year_end_month_day(self) -> tuple[int, int]:
        month, day = self.fiscal_year_end.split("-")
        return int(month), int(day)


class WhileCustomerRetention(_Model):
    kind: Literal["while_customer"]
    grace_months: int = Field(default=24, ge=0)


class AfterCreationRetention(_Model):
    kind: Literal["after_creation"]
    months: int = Field(ge=1)


class WhileConsentRetention(_Model):
    kind: Literal["while_consent"]
    grace_months: int = Field(default=0, ge=0)


RetentionRule = Annotated[
    BookkeepingRetention | WhileCustomerRetention | AfterCreationRetention | WhileConsentRetention,
    Field(discriminator="kind"),
]


class PostalAddress(_Model):
    street: str
    postal_code: str
    city: str
    country: CountryCode = "SE"


class Controller(_Model):
    name: str
    organisationsnummer: str | None = None
    postal_address: PostalAddress
    phone: str
    email: str | None = None
    website: str | None = None


class Dpo(_Model):
    name: str
    # Optional so that `check` can report a DPO nobody can write to (art. 37.7, 13.1 b).
    email: str | None = None
    phone: str | None = None


class SupervisoryAuthority(_Model):
    name: LocalizedText
    website: str


class SubjectKind(_Model):
    title: LocalizedText


class Category(_Model):
    title: LocalizedText
    description: LocalizedText
    fields: tuple[LocalizedText, ...] = ()
    sensitive: bool = False
    source: DataSource = DataSource.SUBJECT
    retention: RetentionRule | None = None


class Purpose(_Model):
    title: LocalizedText
    description: LocalizedText
    legal_basis: LegalBasis | None = None
    legitimate_interest: LocalizedText | None = None
    legal_reference: LocalizedText | None = None
    categories: tuple[str, ...] = ()
    # Empty means every subject kind the policy declares.
    subject_kinds: tuple[str, ...] = ()
    objectable: bool = False
    profiling: bool = False
    automated_decision: bool = False
    aggregates_only: bool = False
    # GDPR art. 17.3 b: the data this purpose uses is kept (and restricted) after an erasure
    # request for as long as records under a legal retention duty exist, e.g. bookkeeping.
    kept_on_erasure: bool = False
    # GDPR art. 18.2: restricted data may still be used for this purpose (legal claims, the
    # subject's own requests, storage under a legal duty); every other purpose is refused.
    allowed_on_restricted: bool = False


class Recipient(_Model):
    key: Key
    name: str
    role: RecipientRole
    description: LocalizedText
    categories: tuple[str, ...] = ()
    agreement_date: dt.date | None = None
    country: CountryCode
    transfer_mechanism: TransferMechanism | None = None
    review_date: dt.date | None = None

    @property
    def in_third_country(self) -> bool:
        return self.country not in EEA_COUNTRIES


class Security(_Model):
    session_inactivity_minutes: int = Field(default=15, ge=1)
    k_anonymity: int = Field(default=10, ge=2)
    measures: tuple[LocalizedText, ...] = ()


class Analytics(_Model):
    cookies: LocalizedText
    tracking_pixel: LocalizedText
    browser_settings: LocalizedText | None = None


class BannerPurpose(_Model):
    title: LocalizedText
    description: LocalizedText
    # The policy purpose this choice is consent for; None only for strictly necessary cookies.
    policy_purpose: Key | None = None


class BannerPurposes(_Model):
    necessary: BannerPurpose
    analytics: BannerPurpose
    marketing: BannerPurpose
    personalisation: BannerPurpose

    def items(self) -> tuple[tuple[str, BannerPurpose], ...]:
        return tuple((key, getattr(self, key)) for key in BannerPurposes.model_fields)


class BannerButtons(_Model):
    accept: LocalizedText
    reject: LocalizedText
    settings: LocalizedText
    save: LocalizedText
    reopen: LocalizedText


class ConsentBanner(_Model):
    """The cookie banner's texts (lagen om elektronisk kommunikation 9 kap. 28 §).

    Changing any text means a new `text_version`: visitors are asked again, and each recorded
    choice names the version it was given under.
    """

    text_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    title: LocalizedText
    body: LocalizedText
    buttons: BannerButtons
    purposes: BannerPurposes
    gpc_note: LocalizedText
    policy_link: LocalizedText
    # A page total per day and path without any identifier, also without consent.
    count_anonymous_page_views: bool = True


class NoticeTexts(_Model):
    """Free texts of the public notice; `notice.py` supplies a neutral default for each."""

    title: LocalizedText | None = None
    intro: LocalizedText | None = None
    provision_requirement: LocalizedText | None = None
    profiling: LocalizedText | None = None
    sources: LocalizedText | None = None
    accuracy: LocalizedText | None = None
    external_links: LocalizedText | None = None


class Policy(_Model):
    version: str
    controller: Controller
    dpo: Dpo | None = None
    supervisory_authority: SupervisoryAuthority
    subject_kinds: dict[Key, SubjectKind]
    categories: dict[Key, Category]
    purposes: dict[Key, Purpose]
    recipients: tuple[Recipient, ...] = ()
    security: Security = Security()
    analytics: Analytics | None = None
    consent_banner: ConsentBanner | None = None
    notice: NoticeTexts = NoticeTexts()

    def category(self, key: str) -> Category:
        return _lookup(self.categories, key, "category")

    def purpose(self, key: str) -> Purpose:
        return _lookup(self.purposes, key, "purpose")

    def recipient(self, key: str) -> Recipient:
        by_key = {recipient.key: recipient for recipient in self.recipients}
        return _lookup(by_key, key, "recipient")

    def allows(self, purpose: str, category: str) -> bool:
        """Whether `purpose` may use `category`.

        Unknown keys raise NotFound instead of answering False: a typo in calling code must
        show up as a bug, not as a silently refused (or, after a "fix", granted) read.
        """
        self.category(category)
        return category in self.purpose(purpose).categories

    def purposes_using(self, category: str) -> tuple[str, ...]:
        self.category(category)
        return tuple(key for key, p in self.purposes.items() if category in p.categories)

    def recipients_of(self, categories: tuple[str, ...]) -> tuple[Recipient, ...]:
        wanted = set(categories)
        return tuple(r for r in self.recipients if wanted.intersection(r.categories))


def _lookup(items: dict[str, T], key: str, kind: str) -> T:
    try:
        return items[key]
    except KeyError:
        valid = ", ".join(sorted(items)) or "none declared"
        raise NotFound(f"unknown {kind} {key!r} in the policy (valid: {valid})") from None
