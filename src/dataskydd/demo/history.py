"""A customer's commercial history: contracts, subscriptions, equipment, connections with IP
leases, and the invoices and payments those subscriptions produce."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from dataskydd.demo import billing, identities
from dataskydd.demo.catalogue import (
    BUSINESS_ADDONS,
    DSL_MODEMS,
    FIBRE_UPGRADES,
    PRIVATE_ADDONS,
    PRIVATE_BROADBAND,
    PRIVATE_BROADBAND_WEIGHTS,
    ROUTER_MODELS,
    SET_TOP_BOXES,
    TV_PACKAGES,
)
from dataskydd.demo.records import Batch, Customer, Held
from dataskydd.register.enums import AccessKind, ContractStatus, EquipmentKind

if TYPE_CHECKING:
    from dataskydd.demo.builder import DemoBuilder

_DAY = timedelta(days=1)
# Business customers with a fixed address get it from the documentation ranges (RFC 5737).
_STATIC_V4 = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
_V6_DOC_PREFIX = 0x20010DB8 << 96  # 2001:db8::/32 (RFC 3849)


@dataclass
class _Sub:
    code: str
    starts_on: date
    ends_on: date | None


def add_history(b: DemoBuilder, batch: Batch, customer: Customer) -> Held:
    rng = b.rng
    since, ended = customer.since, customer.ended
    last_day = ended or b.reference_date
    subs: list[_Sub] = []
    if customer.is_business:
        base = "FORETAG-FIBER-1000"
        subs.append(_Sub(base, since, ended))
        addons, addon_chance = BUSINESS_ADDONS, 0.35
        if rng.random() < 0.4:
            subs.append(_Sub("IT-SUPPORT-FORETAG", since, ended))
    else:
        base = rng.choices(PRIVATE_BROADBAND, weights=PRIVATE_BROADBAND_WEIGHTS)[0]
        addons, addon_chance = PRIVATE_ADDONS, 0.12
        if base in FIBRE_UPGRADES and (last_day - since).days > 400 and rng.random() < 0.25:
            upgraded_on = b.day_between(since + timedelta(days=180), last_day - _DAY)
            subs.append(_Sub(base, since, upgraded_on - _DAY))
            base = FIBRE_UPGRADES[base]
            subs.append(_Sub(base, upgraded_on, ended))
        else:
            subs.append(_Sub(base, since, ended))
        if rng.random() < 0.08:
            subs.append(_Sub("IT-SUPPORT-HEM", b.day_between(since, last_day), ended))
    for code in addons:
        if rng.random() < addon_chance:
            start = b.day_between(since, last_day)
            stop = b.day_between(start, last_day) if rng.random() < 0.3 else ended
            subs.append(_Sub(code, start, stop))
    tv: list[_Sub] = []
    if not customer.is_business and rng.random() < 0.45:
        tv_start = since if rng.random() < 0.6 else b.day_between(since, last_day)
        tv.append(_Sub(rng.choice(TV_PACKAGES), tv_start, ended))
        if rng.random() < 0.1:
            tv.append(_Sub("TV-EXTRABOX", tv_start, ended))
    # A package ordered with the broadband shares its contract; one added later gets its own.
    together = bool(tv) and tv[0].starts_on == since
    main_id, main_number = _contract(
        b, batch, customer, since, ended, subs + tv if together else subs
    )
    if tv and not together:
        _contract(b, batch, customer, tv[0].starts_on, ended, tv)
    _equipment(b, batch, customer, base, tv)
    fixed_ip = any(s.code == "FAST-IP" for s in subs)
    _connections(b, batch, customer, main_id, base, fixed_ip=fixed_ip)
    invoice_numbers = billing.add_invoices(
        b, batch, customer, [(s.code, s.starts_on, s.ends_on) for s in subs + tv]
    )
    return Held(
        contract_number=main_number,
        broadband_name=b.service_names[base],
        invoice_numbers=invoice_numbers,
        has_tv=bool(tv),
        tv_name=b.service_names[tv[0].code] if tv else None,
    )


def _contract(
    b: DemoBuilder,
    batch: Batch,
    customer: Customer,
    starts: date,
    ended: date | None,
    subs: list[_Sub],
) -> tuple[int, str]:
    contract_id = b.new_id("contract")
    # Derived from the id, so numbers stay unique when the demo runs again on the same database.
    number = f"A{contract_id:09d}"
    status = ContractStatus.ACTIVE if ended is None else ContractStatus.ENDED
    batch.add(
        "contract",
        {
            "id": contract_id,
            "subject_id": customer.subject_id,
            "contract_number": number,
            "signed_on": starts - timedelta(days=b.rng.randrange(3, 22)),
            "starts_on": starts,
            "ends_on": ended,
            "status": status,
            "created_at": b.moment(starts),
            "updated_at": b.moment(ended or starts),
        },
    )
    for sub in subs:
        batch.add(
            "subscription",
            {
                "contract_id": contract_id,
                "service_id": b.service_ids[sub.code],
                "starts_on": sub.starts_on,
                "ends_on": sub.ends_on,
            },
        )
    return contract_id, number


def _equipment(b: DemoBuilder, batch: Batch, customer: Customer, base: str, tv: list[_Sub]) -> None:
    rng = b.rng
    returned = _return_day(b, customer.ended)
    installed = customer.since
    last_day = customer.ended or b.reference_date
    models = DSL_MODEMS if base == "DSL-24" else ROUTER_MODELS
    if (last_day - installed).days > 500 and rng.random() < 0.15:
        swapped_on = b.day_between(installed + timedelta(days=200), last_day)
        _device(b, batch, customer, EquipmentKind.ROUTER, rng.choice(models), installed, swapped_on)
        installed = swapped_on
    _device(b, batch, customer, EquipmentKind.ROUTER, rng.choice(models), installed, returned)
    for sub in tv:  # the package brings one box, each extra-box add-on one more
        _device(
            b,
            batch,
            customer,
            EquipmentKind.SET_TOP_BOX,
            rng.choice(SET_TOP_BOXES),
            sub.starts_on,
            returned,
        )


def _return_day(b: DemoBuilder, ended: date | None) -> date | None:
    if ended is None:
        return None
    back = ended + timedelta(days=b.rng.randrange(3, 30))
    return back if back <= b.reference_date else None


def _device(
    b: DemoBuilder,
    batch: Batch,
    customer: Customer,
    kind: EquipmentKind,
    model: str,
    installed: date,
    returned: date | None,
) -> None:
    prefix = "OR" if kind is EquipmentKind.ROUTER else "OB"
    batch.add(
        "equipment",
        {
            "subject_id": customer.subject_id,
            "kind": kind,
            "model": model,
            "serial_number": identities.serial_number(b.rng, prefix),
            "mac_address": identities.mac_address(b.rng),
            "installed_on": installed,
            "returned_on": returned,
        },
    )


def _connections(
    b: DemoBuilder,
    batch: Batch,
    customer: Customer,
    contract_id: int,
    base: str,
    *,
    fixed_ip: bool,
) -> None:
    access = AccessKind.DSL if base == "DSL-24" else AccessKind.FIBRE
    last_day = customer.ended or b.reference_date
    start = customer.since
    if not customer.is_business and (last_day - start).days > 400 and b.rng.random() < 0.07:
        # Moved house: the old installation address is kept with its connection and leases.
        moved_on = b.day_between(start + timedelta(days=180), last_day - _DAY)
        town = b.town()
        old = (
            f"{b.rng.choice(b.names.streets)} {b.rng.randrange(1, 60)}",
            identities.postal_code(b.rng, town),
            town.name,
        )
        _connection(b, batch, customer, contract_id, access, old, start, moved_on, fixed_ip)
        start = moved_on
    here = (customer.street, customer.postal_code, customer.town.name)
    _connection(b, batch, customer, contract_id, access, here, start, customer.ended, fixed_ip)


def _connection(
    b: DemoBuilder,
    batch: Batch,
    customer: Customer,
    contract_id: int,
    access: AccessKind,
    address: tuple[str, str, str],
    activated: date,
    deactivated: date | None,
    fixed_ip: bool,
) -> None:
    connection_id = b.new_id("connection")
    street, postal_code, city = address
    batch.add(
        "connection",
        {
            "id": connection_id,
            "subject_id": customer.subject_id,
            "contract_id": contract_id,
            "access_kind": access,
            "street": street,
            "postal_code": postal_code,
            "city": city,
            "activated_on": activated,
            "deactivated_on": deactivated,
        },
    )
    _leases(b, batch, connection_id, access, activated, deactivated, fixed_ip=fixed_ip)


def _leases(
    b: DemoBuilder,
    batch: Batch,
    connection_id: int,
    access: AccessKind,
    activated: date,
    deactivated: date | None,
    *,
    fixed_ip: bool,
) -> None:
    """Consecutive leases: each is released exactly when the next is assigned, never after.

    Some fibre connections move to DS-Lite (IPv6 only, IPv4 shared behind CGNAT) part-way, so
    a connection holds one address at a time in both eras.
    """
    rng = b.rng
    at = datetime.combine(activated, time(10, rng.randrange(60)), UTC)
    end = datetime.combine(deactivated, time(16, 0), UTC) if deactivated else None
    horizon = end or datetime.combine(b.reference_date, time(0), UTC)
    ipv6_from = None
    if access is AccessKind.FIBRE and not fixed_ip and rng.random() < 0.2:
        ipv6_from = at + (horizon - at) * rng.random()
    static = str(rng.choice(_STATIC_V4)[rng.randrange(1, 255)]) if fixed_ip else None
    while True:
        nxt = (
            None
            if static
            else at + timedelta(days=rng.randrange(20, 240), minutes=rng.randrange(1440))
        )
        released = nxt if nxt is not None and nxt < horizon else end
        if static:
            address = static
        elif ipv6_from is not None and at >= ipv6_from:
            address = str(ipaddress.IPv6Address(_V6_DOC_PREFIX | rng.getrandbits(24) << 72 | 1))
        else:  # CGNAT shared space 100.64.0.0/10 (RFC 6598)
            r = rng.getrandbits(22)
            address = f"100.{64 + (r >> 16)}.{(r >> 8) & 255}.{1 + (r & 255) % 254}"
        batch.add(
            "ip_assignment",
            {
                "connection_id": connection_id,
                "ip_address": address,
                "assigned_at": at,
                "released_at": released,
            },
        )
        if nxt is None or nxt >= horizon:
            return
        at = nxt
