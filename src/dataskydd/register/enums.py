"""Closed vocabularies stored in register tables."""

from enum import StrEnum


class SubjectKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class RoleKind(StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    VISITOR = "visitor"


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


class ServiceKind(StrEnum):
    CONNECTIVITY = "connectivity"
    IT = "it"
    VIEWING = "viewing"


class EquipmentKind(StrEnum):
    ROUTER = "router"
    SET_TOP_BOX = "set_top_box"
    OTHER = "other"


class AccessKind(StrEnum):
    FIBRE = "fibre"
    DSL = "dsl"
    CABLE = "cable"
    MOBILE = "mobile"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    OVERDUE = "overdue"
    CREDITED = "credited"


class PaymentMethod(StrEnum):
    AUTOGIRO = "autogiro"
    BANKGIRO = "bankgiro"
    CARD = "card"
    SWISH = "swish"


class CorrespondenceKind(StrEnum):
    EMAIL = "email"
    LETTER = "letter"
    FEEDBACK = "feedback"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class SupportChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"


class ActivityKind(StrEnum):
    SURVEY = "survey"
    PANEL = "panel"
    OFFER = "offer"


class UsageKind(StrEnum):
    VIEW = "view"
    NAVIGATION = "navigation"
    CONNECTION = "connection"
    DEVICE = "device"
