"""Input shapes for a subject's register rows (contracts, equipment, invoices …).

Identifiers go through dataskydd.register.identifiers; dates must be real and plausible, amounts
non-negative, and no field accepts more text than its column holds.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from dataskydd.register import identifiers
from dataskydd.register.enums import (
    AccessKind,
    ContractStatus,
    CorrespondenceKind,
    Direction,
    EquipmentKind,
    InvoiceStatus,
    PaymentMethod,
    SupportChannel,
    UsageKind,
)
from dataskydd.register.schemas import Email, PostalCode
from dataskydd.validation import (
    MAX_ROW_ID,
    InputModel,
    IsoDate,
    IsoDatetime,
    MultiLine,
    SchemaPattern,
    WholeNumber,
)

_FIRST_YEAR = 1900
_LAST_YEAR = 2200
# The years _FIRST_YEAR to _LAST_YEAR as the start of an ISO 8601 date or date and time, so
# that /openapi.json states the range (JSON Schema cannot bound a `date` string otherwise).
YEAR_PATTERN = "^(?:19[0-9]{2}|2[01][0-9]{2}|2200)-"


def _plausible_date(value: date) -> date:
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise ValueError(f"must be between the years {_FIRST_YEAR} and {_LAST_YEAR}")
    return value


def _plausible_time(value: datetime) -> datetime:
    _plausible_date(value.date())
    return value


# Strict: JSON numbers are not dates (0 is not 1970-01-01), only ISO 8601 text is. A time's
# year is the one written, in its own UTC offset.
Day = Annotated[IsoDate, AfterValidator(_plausible_date), SchemaPattern(YEAR_PATTERN)]
Moment = Annotated[IsoDatetime, AfterValidator(_plausible_time), SchemaPattern(YEAR_PATTERN)]
Mac = Annotated[
    str,
    AfterValidator(identifiers.normalise_mac),
    SchemaPattern(
        identifiers.MAC_PATTERN,
        "Six groups of one or two hexadecimal digits separated by `:` or `-` (spaces are"
        " ignored), e.g. 00:1A:2B:3C:4D:5E.",
    ),
]
Ip = Annotated[
    str,
    StringConstraints(max_length=45),
    AfterValidator(identifiers.normalise_ip),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "ipv4"}, {"type": "string", "format": "ipv6"}],
            "maxLength": 45,
            "description": "An IPv4 or IPv6 address (without an IPv6 zone).",
        }
    ),
]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=40)]
Number = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]+$", min_length=1, max_length=20)]

# Money: at most 10 digits before the decimal point and 2 after it, not negative. Sent as a
# JSON number or as text in plain decimal notation (no sign, exponent or separators).
AMOUNT_PATTERN = "^[0-9]{1,10}(?:[.][0-9]{1,2}0*)?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)
AMOUNT_MAXIMUM = Decimal("9999999999.99")


def _amount_text(value: Any) -> Any:
    if isinstance(value, str) and not _AMOUNT.fullmatch(value):
        raise ValueError(
            "must be a number of at most 10 digits and 2 decimals, written like 1234.50"
        )
    return value


Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    # After the bounds, so that pydantic applies them to the Decimal itself.
    BeforeValidator(_amount_text),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "number",
                    "minimum": 0,
                    "maximum": float(AMOUNT_MAXIMUM),
                    "multipleOf": 0.01,
                },
                {"type": "string", "pattern": AMOUNT_PATTERN},
            ],
            "description": "An amount of money, at most 9999999999.99, in whole hundredths.",
        }
    ),
]


Text60 = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Text100 = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text300 = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=20_000), MultiLine()]


def _not_before(value: Any, start: Any, start_name: str) -> Any:
    if value is not None and start is not None and value < start:
        raise ValueError(f"must not be before {start_name}")
    return value


class _Input(InputModel):
    """Unknown fields refused; no control characters, and none but line breaks in Body."""


class SubscriptionIn(_Input):
    service_code: Code
    starts_on: Day | None = None
    ends_on: Day | None = None

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_before(value, info.data.get("starts_on"), "starts_on")


class ContractCreate(_Input):
    contract_number: Number
    signed_on: Day
    starts_on: Day
    ends_on: Day | None = None
    status: ContractStatus = ContractStatus.ACTIVE
    services: list[SubscriptionIn] = Field(default_factory=list, max_length=20)

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_before(value, info.data.get("starts_on"), "starts_on")


class EquipmentCreate(_Input):
    kind: EquipmentKind
    model: Text100
    serial_number: Text60
    mac_address: Mac | None = None
    installed_on: Day
    returned_on: Day | None = None

    @field_validator("returned_on")
    @classmethod
    def _after_start(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_before(value, info.data.get("installed_on"), "installed_on")


class ConnectionCreate(_Input):
    access_kind: AccessKind
    contract_id: WholeNumber | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    street: Annotated[str, StringConstraints(min_length=2, max_length=200)]
    postal_code: PostalCode
    city: Text100
    activated_on: Day
    deactivated_on: Day | None = None

    @field_validator("deactivated_on")
    @classmethod
    def _after_start(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_before(value, info.data.get("activated_on"), "activated_on")


class IpAssignmentCreate(_Input):
    ip_address: Ip
    assigned_at: Moment
    released_at: Moment | None = None

    @field_validator("released_at")
    @classmethod
    def _after_start(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_before(value, info.data.get("assigned_at"), "assigned_at")


class InvoiceCreate(_Input):
    invoice_number: Number
    issued_on: Day
    due_on: Day
    amount: Amount
    vat_amount: Amount = Decimal(0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "SEK"
    status: InvoiceStatus = InvoiceStatus.OPEN

    @field_validator("due_on")
    @classmethod
    def _after_issue(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_before(value, info.data.get("issued_on"), "issued_on")

    @field_validator("vat_amount")
    @classmethod
    def _within_amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        amount = info.data.get("amount")
        if amount is not None and value > amount:
            raise ValueError("must not be larger than the amount")
        return value


class PaymentCreate(_Input):
    paid_on: Day
    amount: Amount
    method: PaymentMethod
    reference: Annotated[str, StringConstraints(max_length=40)] | None = None


class CorrespondenceCreate(_Input):
    kind: CorrespondenceKind
    direction: Direction = Direction.INBOUND
    received_at: Moment
    sender_address: Email | None = None
    subject_line: Text300
    body: Body


class SupportMessageIn(_Input):
    sent_at: Moment
    direction: Direction
    body: Body


class SupportCaseCreate(_Input):
    channel: SupportChannel
    topic: Text200
    opened_at: Moment
    closed_at: Moment | None = None
    messages: list[SupportMessageIn] = Field(default_factory=list, max_length=100)

    @field_validator("closed_at")
    @classmethod
    def _after_start(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_before(value, info.data.get("opened_at"), "opened_at")


Answer = Annotated[str, StringConstraints(max_length=500)] | int | float | bool | None


class ParticipationCreate(_Input):
    activity_code: Code
    consented_at: Moment
    answers: Annotated[
        dict[Annotated[str, StringConstraints(max_length=60)], Answer] | None,
        Field(max_length=50),
        MultiLine(),
    ] = None


class NewsletterSubscriptionCreate(_Input):
    list_code: Code
    subscribed_at: Moment
    consent_text_version: Code


class UsageEventCreate(_Input):
    occurred_at: Moment
    kind: UsageKind
    device_type: Annotated[str, StringConstraints(max_length=40)] | None = None
    item: Annotated[str, StringConstraints(max_length=200)] | None = None
    duration_seconds: WholeNumber | None = Field(default=None, ge=0, le=366 * 24 * 3600)
