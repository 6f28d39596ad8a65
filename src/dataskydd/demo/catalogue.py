"""Omilon's demo catalogue: services with net monthly prices, and activities (surveys, the
customer panel, offers). Catalogue rows hold no personal data; they are shared by all runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dataskydd.register.enums import ActivityKind, ServiceKind


@dataclass(frozen=True)
class CatalogueService:
    code: str
    name: str
    kind: ServiceKind
    is_addon: bool
    # Excluding VAT; consumer prices incl. 25 % VAT are round kronor (319, 379 …).
    monthly_price: Decimal


def _svc(
    code: str, name: str, kind: ServiceKind, price: str, *, addon: bool = False
) -> CatalogueService:
    return CatalogueService(code, name, kind, addon, Decimal(price))


_C, _IT, _TV = ServiceKind.CONNECTIVITY, ServiceKind.IT, ServiceKind.VIEWING

SERVICES: tuple[CatalogueService, ...] = (
    _svc("FIBER-100", "Fiber 100/100", _C, "255.20"),
    _svc("FIBER-250", "Fiber 250/250", _C, "303.20"),
    _svc("FIBER-500", "Fiber 500/500", _C, "359.20"),
    _svc("FIBER-1000", "Fiber 1000/1000", _C, "439.20"),
    _svc("DSL-24", "Bredband via DSL 24 Mbit/s", _C, "239.20"),
    _svc("FORETAG-FIBER-1000", "Företagsfiber 1000/1000", _C, "1196.00"),
    _svc("TV-BAS", "TV-paket Bas", _TV, "159.20"),
    _svc("TV-PLUS", "TV-paket Plus", _TV, "319.20"),
    _svc("TV-SPORT", "TV-paket Sport", _TV, "399.20"),
    _svc("IT-SUPPORT-HEM", "IT-support Hem", _IT, "79.20"),
    _svc("IT-SUPPORT-FORETAG", "IT-support Företag", _IT, "990.00"),
    _svc("MOLNBACKUP", "Molnbackup 1 TB", _IT, "39.20", addon=True),
    _svc("EXTRA-EPOST", "Extra e-postkonto", _IT, "15.20", addon=True),
    _svc("SAKERHETSPAKET", "Säkerhetspaket", _IT, "47.20", addon=True),
    _svc("FAST-IP", "Fast IP-adress", _C, "79.20", addon=True),
    _svc("WIFI-MESH", "Wifi-förstärkare (hyra)", _C, "39.20", addon=True),
    _svc("TV-EXTRABOX", "Extra tv-box (hyra)", _TV, "39.20", addon=True),
)

PRIVATE_BROADBAND = ("FIBER-100", "FIBER-250", "FIBER-500", "FIBER-1000", "DSL-24")
PRIVATE_BROADBAND_WEIGHTS = (20, 30, 25, 12, 13)
FIBRE_UPGRADES = {"FIBER-100": "FIBER-250", "FIBER-250": "FIBER-500", "FIBER-500": "FIBER-1000"}
TV_PACKAGES = ("TV-BAS", "TV-PLUS", "TV-SPORT")
PRIVATE_ADDONS = ("MOLNBACKUP", "EXTRA-EPOST", "SAKERHETSPAKET", "WIFI-MESH")
BUSINESS_ADDONS = ("FAST-IP", "MOLNBACKUP", "EXTRA-EPOST", "SAKERHETSPAKET")

ROUTER_MODELS = ("OmiRouter AX1800", "OmiRouter AX3000", "OmiRouter AX6000 Pro")
DSL_MODEMS = ("OmiDSL VDSL2 Modem",)
SET_TOP_BOXES = ("OmiBox HD", "OmiBox 4K", "OmiBox 4K Mini")


@dataclass(frozen=True)
class CatalogueActivity:
    code: str
    kind: ActivityKind
    title: str
    starts_on: date
    ends_on: date | None
    list_code: str | None = None


def activities(reference_date: date) -> tuple[CatalogueActivity, ...]:
    """Activities of the last few years, named by year so a later run adds the new ones."""
    year = reference_date.year
    found: list[CatalogueActivity] = []
    for back in (3, 2, 1):
        y = year - back
        found.append(
            CatalogueActivity(
                f"KNU-{y}",
                ActivityKind.SURVEY,
                f"Kundnöjdhetsundersökning {y}",
                date(y, 9, 1),
                date(y, 10, 15),
            )
        )
        found.append(
            CatalogueActivity(
                f"ERBJ-FIBER-{y}",
                ActivityKind.OFFER,
                f"Erbjudande: uppgradera till Fiber 1000 ({y})",
                date(y, 3, 1),
                date(y, 5, 31),
            )
        )
    found += [
        CatalogueActivity(
            "KUNDPANEL-TV",
            ActivityKind.PANEL,
            "Kundpanelen för tv och streaming",
            date(year - 3, 1, 15),
            None,
        ),
        CatalogueActivity(
            "KUNDPANEL-FORETAG",
            ActivityKind.PANEL,
            "Företagspanelen",
            date(year - 2, 2, 1),
            None,
        ),
        CatalogueActivity(
            f"ENKAT-SUPPORT-{year}",
            ActivityKind.SURVEY,
            "Enkät efter supportärende",
            date(year, 1, 1),
            None,
        ),
        CatalogueActivity(
            f"ERBJ-TVSPORT-{year}",
            ActivityKind.OFFER,
            "Erbjudande: TV-paket Sport tre månader",
            reference_date - timedelta(days=120),
            reference_date + timedelta(days=30),
        ),
    ]
    return tuple(found)


NEWSLETTER_LISTS = ("nyheter", "erbjudanden", "tv-tips", "driftinfo", "foretag")
# Which wording of the consent text a subscriber saw, by the date it took effect.
CONSENT_TEXT_VERSIONS = (
    (date(2000, 1, 1), "nyhetsbrev-2018-05"),
    (date(2021, 3, 1), "nyhetsbrev-2021-03"),
    (date(2024, 1, 15), "nyhetsbrev-2024-01"),
)


def consent_text_version(on: date) -> str:
    version = CONSENT_TEXT_VERSIONS[0][1]
    for since, name in CONSENT_TEXT_VERSIONS:
        if on >= since:
            version = name
    return version
