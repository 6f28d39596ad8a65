"""The typed shape of a policy file.

Every model forbids unknown keys so that a misspelt key in the YAML is an error rather than a
silently ignored promise. Fields that a policy *should* have but a published policy may lack
(retention, legal basis, agreement dates) are optional here on purpose: `checks.py` reports
them as findings with their place in the file, which is more useful than a parse failure.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from dataskydd.errors import ConfigurationError, NotFound
from dataskydd.messages_i18n import Msg

T = TypeVar("T")

Lang = Literal["sv", "en"]
LANGUAGES: tuple[Lang, ...] = ("sv", "en")

# Keys are referenced from code (datamap, services), so keep them identifier-like.
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
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


class Permission(StrEnum):
    """What the software lets a staff role or an API key do. The vocabulary is the code's; which
    role gets which permission, and for which purposes, is the policy's (`roles`)."""

    SUBJECT_SEARCH = "subject.search"
    SUBJECT_READ = "subject.read"  # one subject's data, for a stated purpose
    SUBJECT_WRITE = "subject.write"  # create, rectify
    AUDIT_READ = "audit.read"
    POLICY_READ = "policy.read"
    STATISTICS_READ = "statistics.read"  # aggregates only
    REQUESTS_HANDLE = "requests.handle"  # the queue of subjects' requests (DPO)
    # Recipients' agreements and controlled exports to recipients (DPO, admins).
    RECIPIENTS_MANAGE = "recipients.manage"
    # The log of disclosures to authorities.
    DISCLOSURES_MANAGE = "disclosures.manage"
    # The breach register (art. 33-34).
    BREACHES_MANAGE = "breaches.manage"
    ACCOUNTS_ADMIN = "accounts.admin"
    API_KEYS_ADMIN = "api_keys.admin"
    OWN_ACCOUNT = "own_account"


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
    # Direct marketing (art. 21.2-3): an objection stops it absolutely; for other objectable
    # purposes the controller may record compelling legitimate grounds (art. 21.1).
    direct_marketing: bool = False
    # A read under this purpose must name its case: a subject request or a disclosure, e.g. for
    # legal claims, so that nobody opens a subject under it "just to look".
    case_required: bool = False
    # Profiling (art. 13.2 f, 15.1 h): the logic involved, and the significance and envisaged
    # consequences for the subject, in words; the notice and the registerutdrag show it.
    profiling_logic: LocalizedText | None = None


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


class StaffRole(_Model):
    """A staff role: what it may do (the code's permissions) and for which purposes."""

    title: LocalizedText
    permissions: tuple[Permission, ...] = ()
    purposes: tuple[str, ...] = ()


class ApiAccess(_Model):
    """Which purposes an integration's API key may be scoped to, and which of them may write."""

    read_purposes: tuple[str, ...] = ()
    write_purposes: tuple[str, ...] = ()


class SystemPurposes(_Model):
    """The purposes the software's own functions run under, named by the policy so that no
    purpose key is written in the code. `policy check` names any that is missing."""

    # Staff and API corrections of register data (art. 16).
    rectification: str | None = None
    # Requests, registerutdrag, erasure, restriction, objection, Mina sidor (art. 12-22).
    subject_rights: str | None = None
    # Aggregate reports for analysts.
    statistics: str | None = None
    # Consent given through a newsletter subscription, and through taking part in an activity.
    newsletters: str | None = None
    activities: str | None = None
    # Personal recommendations from viewing history (dataskydd.recommendations). Optional:
    # a company that makes none leaves it out; naming it asks for a profiling purpose.
    recommendations: str | None = None


SYSTEM_PURPOSE_NEEDS: dict[str, str] = {
    "rectification": "staff and API corrections of register data",
    "subject_rights": "the subject's requests, registerutdrag and Mina sidor",
    "statistics": "the analysts' aggregate reports",
    "newsletters": "newsletter subscriptions as consent",
    "activities": "taking part in surveys and offers as consent",
    "recommendations": "personal recommendations from viewing history",
}
# Functions a company may go without: `policy check` names them only where they are asked
# for (the function is used, or the mapping is given and wrong).
OPTIONAL_SYSTEM_PURPOSES: frozenset[str] = frozenset({"recommendations"})


class Security(_Model):
    session_inactivity_minutes: int = Field(default=15, ge=1)
    k_anonymity: int = Field(default=10, ge=2)
    measures: tuple[LocalizedText, ...] = ()


# Newsletter lists are named as the mail system names them (hyphens allowed, "tv-tips").
ListCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,49}$")]


class NewsletterList(_Model):
    """A newsletter a subject can subscribe to: its name where subjects see it (Mina sidor)."""

    title: LocalizedText
    description: LocalizedText | None = None


class Analytics(_Model):
    cookies: LocalizedText
    tracking_pixel: LocalizedText
    browser_settings: LocalizedText | None = None


class BannerCookie(_Model):
    """A cookie (or stored value) a banner choice covers, as the banner lists it: the
    company's own, beside those dataskydd sets itself (listed without being declared)."""

    name: str = Field(min_length=1, max_length=100)
    # Who sets it; None: the website itself (first party).
    provider: str | None = Field(default=None, max_length=100)
    lifetime: LocalizedText
    description: LocalizedText


class BannerPurpose(_Model):
    """One choice in the banner. The flags tell the software what the choice governs, so that
    no choice key is written in the code: a policy names its choices as it likes."""

    title: LocalizedText
    description: LocalizedText
    # The policy purpose this choice is consent for; None only for the necessary choice.
    policy_purpose: Key | None = None
    # Strictly necessary (9 kap. 28 § second paragraph): always on, cannot be refused, needs
    # no consent. Exactly one choice is necessary; the consent cookie itself belongs to it.
    necessary: bool = False
    # Page views, leave events (time on page) and the visit id need this choice; with several
    # such choices, they need all of them.
    measures_visits: bool = False
    # The tracking pixel needs this choice. At most one; without one the pixel is off.
    tracking_pixel: bool = False
    # Global Privacy Control (Sec-GPC: 1) refuses this choice, whatever the toggles say.
    refused_under_gpc: bool = False
    # The company's cookies under this choice, listed in the banner with their lifetimes.
    cookies: tuple[BannerCookie, ...] = ()


# consent_record.granted / .refused hold the optional choice keys joined with commas.
BANNER_CHOICES_MAX_CHARS = 100


class BannerButtons(_Model):
    accept: LocalizedText
    reject: LocalizedText
    settings: LocalizedText
    save: LocalizedText
    reopen: LocalizedText


class ConsentBanner(_Model):
    """The cookie banner's texts and choices (lagen om elektronisk kommunikation 9 kap. 28 §).

    Changing any text means a new `text_version`: visitors are asked again, and each recorded
    choice names the version it was given under.
    """

    text_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    title: LocalizedText
    body: LocalizedText
    buttons: BannerButtons
    # The choices in the order shown; the keys are what cookies and consent records hold.
    purposes: dict[Key, BannerPurpose]
    gpc_note: LocalizedText
    policy_link: LocalizedText
    # A page total per day and path without any identifier, also without consent.
    count_anonymous_page_views: bool = True
    # Page events keep the visitor's truncated IP network (for bot and abuse checks) this
    # many days; retention runs then empty it, while the rest of the event keeps the rule of
    # its category. None: the network is kept as long as the event.
    ip_network_days: int | None = Field(default=None, ge=1, le=400)

    @field_validator("purposes")
    @classmethod
    def _choices_the_software_can_follow(
        cls, purposes: dict[str, BannerPurpose]
    ) -> dict[str, BannerPurpose]:
        necessary = [key for key, p in purposes.items() if p.necessary]
        if len(necessary) != 1:
            found = ", ".join(necessary) or "none"
            raise ValueError(
                f"exactly one choice must be `necessary: true` (the strictly necessary cookies, "
                f"which cannot be refused); found: {found}"
            )
        essential = purposes[necessary[0]]
        flags = [
            name
            for name in ("measures_visits", "tracking_pixel", "refused_under_gpc")
            if getattr(essential, name)
        ]
        if flags or essential.policy_purpose is not None:
            wrong = ", ".join([*flags, *(["policy_purpose"] if essential.policy_purpose else [])])
            raise ValueError(
                f"the necessary choice {necessary[0]!r} needs no consent and cannot be refused, "
                f"so it takes no {wrong}"
            )
        if not any(p.measures_visits for p in purposes.values()):
            raise ValueError(
                "no choice is `measures_visits: true`, so page views could never be recorded; "
                "mark the choice that consents to visit statistics"
            )
        pixels = [key for key, p in purposes.items() if p.tracking_pixel]
        if len(pixels) > 1:
            raise ValueError(
                f"at most one choice may be `tracking_pixel: true`; found: {', '.join(pixels)}"
            )
        optional = ",".join(key for key in purposes if key not in necessary)
        if len(optional) > BANNER_CHOICES_MAX_CHARS:
            raise ValueError(
                f"the optional choice keys joined with commas are {len(optional)} characters; "
                f"a consent record holds at most {BANNER_CHOICES_MAX_CHARS}: use shorter keys"
            )
        return purposes

    @property
    def necessary_choice(self) -> str:
        return next(key for key, choice in self.purposes.items() if choice.necessary)

    @property
    def optional_choices(self) -> tuple[str, ...]:
        """The choices a visitor may grant or refuse, in the banner's order."""
        return tuple(key for key, choice in self.purposes.items() if not choice.necessary)

    @property
    def visit_choices(self) -> frozenset[str]:
        """The choices that page views and leave events all need."""
        return frozenset(key for key, choice in self.purposes.items() if choice.measures_visits)

    @property
    def pixel_choice(self) -> str | None:
        """The choice the tracking pixel needs; None: the pixel is off."""
        return next((key for key, c in self.purposes.items() if c.tracking_pixel), None)

    @property
    def refused_under_gpc(self) -> frozenset[str]:
        return frozenset(key for key, c in self.purposes.items() if c.refused_under_gpc)


class NoticeTexts(_Model):
    """Free texts of the public notice; `notice.py` supplies a neutral default for each."""

    title: LocalizedText | None = None
    intro: LocalizedText | None = None
    provision_requirement: LocalizedText | None = None
    profiling: LocalizedText | None = None
    sources: LocalizedText | None = None
    accuracy: LocalizedText | None = None
    external_links: LocalizedText | None = None


# --- branding of the public pages --------------------------------------------------------------
HexColour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
# WCAG 2.1 AA (1.4.3): normal text needs a contrast ratio of at least 4.5:1.
MIN_CONTRAST = 4.5
_UNSAFE_URL_CHARACTERS = re.compile(r"[\s\"'<>\\]")


def _https_url(value: str) -> str:
    # Only https: a javascript: or data: address in a public page's link is a script.
    if not value.startswith("https://") or len(value) <= len("https://"):
        raise ValueError("must be an https:// address")
    if _UNSAFE_URL_CHARACTERS.search(value):
        raise ValueError("must not contain spaces, quotes, angle brackets or backslashes")
    return value


def _logo_address(value: str) -> str:
    """An https address or a file the app itself serves under /static/."""
    if value.startswith("/static/") and ".." not in value and "//" not in value:
        if _UNSAFE_URL_CHARACTERS.search(value):
            raise ValueError("must not contain spaces, quotes, angle brackets or backslashes")
        return value
    if value.startswith("/"):
        raise ValueError("a path must be a file under /static/ (no '..')")
    return _https_url(value)


def _luminance(colour: str) -> float:
    """Relative luminance as WCAG defines it (sRGB channels linearised)."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start : start + 2], 16) / 255
        linear = value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
        channels.append(linear)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


class BrandingColours(_Model):
    """The public pages' colours, as CSS custom properties. The defaults are the app's own."""

    accent: HexColour = "#0b5cad"
    # Text on the accent: the header band and the buttons.
    accent_text: HexColour = "#ffffff"
    background: HexColour = "#f7f8fb"
    text: HexColour = "#1d2433"

    @model_validator(mode="after")
    def _readable(self) -> BrandingColours:
        # Refused here rather than reported by `check`: an unreadable public page is not a
        # policy that can be published with a finding.
        pairs = (
            ("accent_text", self.accent_text, "accent", self.accent),
            ("text", self.text, "background", self.background),
            ("accent", self.accent, "background", self.background),
            # Links and secondary buttons also sit on the white of cards and forms.
            ("accent", self.accent, "white", "#ffffff"),
        )
        for name, colour, against, base in pairs:
            ratio = contrast_ratio(colour, base)
            if ratio < MIN_CONTRAST:
                raise ValueError(
                    f"{name} {colour} on {against} {base} has contrast {ratio:.2f}:1; "
                    f"at least {MIN_CONTRAST}:1 is needed (WCAG 1.4.3)"
                )
        return self


class BrandingLink(_Model):
    label: LocalizedText
    url: str

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        return _https_url(value)


class Branding(_Model):
    """How the public pages (registerutdrag, Mina sidor, the notice) present the company."""

    # Defaults to controller.name.
    name: str | None = Field(default=None, min_length=1)
    logo: str | None = None
    # Where the company's name or logo in the header leads; without it, Mina sidor.
    website: str | None = None
    colours: BrandingColours = BrandingColours()
    # The footer's links: customer service, contact, terms.
    links: tuple[BrandingLink, ...] = ()

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        return None if value is None else _logo_address(value)

    @field_validator("website")
    @classmethod
    def _website(cls, value: str | None) -> str | None:
        return None if value is None else _https_url(value)

    def display_name(self, controller: Controller) -> str:
        return self.name or controller.name

    def home_href(self, public_start: str) -> str:
        return self.website or public_start


class Policy(_Model):
    version: str
    controller: Controller
    # How the public pages present the company (optional: the controller's name, app colours).
    branding: Branding = Branding()
    dpo: Dpo | None = None
    supervisory_authority: SupervisoryAuthority
    subject_kinds: dict[Key, SubjectKind]
    categories: dict[Key, Category]
    purposes: dict[Key, Purpose]
    recipients: tuple[Recipient, ...] = ()
    roles: dict[Key, StaffRole] = Field(default_factory=dict)
    api_access: ApiAccess = ApiAccess()
    system_purposes: SystemPurposes = SystemPurposes()
    security: Security = Security()
    # The newsletters by the code the register keeps (newsletter_subscription.list_code).
    newsletter_lists: dict[ListCode, NewsletterList] = Field(default_factory=dict)
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

    def role(self, key: str) -> StaffRole:
        return _lookup(self.roles, key, "role")

    def system_purpose(self, function: str) -> str:
        """The purpose a function of the software runs under (`system_purposes`)."""
        key: str | None = getattr(self.system_purposes, function)
        if key is None:
            raise ConfigurationError(
                Msg(
                    "the policy names no purpose for system_purposes.{function} "
                    "({SYSTEM_PURPOSE_NEEDS}); add it and run `dataskydd policy "
                    "check`",
                    function=function,
                    SYSTEM_PURPOSE_NEEDS=SYSTEM_PURPOSE_NEEDS[function],
                )
            )
        return key

    def roles_with(self, permission: Permission) -> tuple[str, ...]:
        return tuple(key for key, role in self.roles.items() if permission in role.permissions)

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
        valid = ", ".join(sorted(items)) or Msg("none declared")
        # A key-shaped name is echoed (a typo is easier to see); anything else is input that
        # may be anything, and messages never repeat input.
        named = f" {key!r}" if len(key) <= 50 and re.fullmatch(KEY_PATTERN, key) else ""
        raise NotFound(_unknown(kind, named=named, valid=valid)) from None


def _unknown(kind: str, **values: str) -> Msg:
    # One message per kind: the Swedish words differ in gender (okänt ändamål, okänd roll).
    return {
        "category": Msg("unknown category{named} in the policy (valid: {valid})", **values),
        "purpose": Msg("unknown purpose{named} in the policy (valid: {valid})", **values),
        "recipient": Msg("unknown recipient{named} in the policy (valid: {valid})", **values),
        "role": Msg("unknown role{named} in the policy (valid: {valid})", **values),
    }.get(kind) or Msg("unknown {kind}{named} in the policy (valid: {valid})", kind=kind, **values)
