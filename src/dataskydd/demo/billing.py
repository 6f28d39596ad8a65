"""Invoices and payments that follow from a customer's subscriptions (billed in advance, 25 %
moms on the net price), with the odd unpaid or credited invoice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from dataskydd.demo import identities
from dataskydd.demo.records import Batch, Customer
from dataskydd.register.enums import InvoiceStatus, PaymentMethod

if TYPE_CHECKING:
    from dataskydd.demo.builder import DemoBuilder

VAT_RATE = Decimal("0.25")
_CENT = Decimal("0.01")
_METHODS = (PaymentMethod.AUTOGIRO, PaymentMethod.BANKGIRO, PaymentMethod.CARD, PaymentMethod.SWISH)
_PRIVATE_METHOD_WEIGHTS = (45, 25, 15, 15)
_BUSINESS_METHOD_WEIGHTS = (20, 75, 5, 0)

SubscriptionSpan = tuple[str, date, date | None]  # service code, starts_on, ends_on


def net_for_period(
    prices: Mapping[str, Decimal],
    subscriptions: Iterable[SubscriptionSpan],
    period_start: date,
    months: int,
) -> Decimal:
    """Services active on the period's first day, each billed for the whole period."""
    monthly = sum(
        (
            prices[code]
            for code, starts_on, ends_on in subscriptions
            if starts_on <= period_start and (ends_on is None or ends_on >= period_start)
        ),
        Decimal(0),
    )
    return monthly * months


def vat_on(net: Decimal) -> Decimal:
    return (net * VAT_RATE).quantize(_CENT, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """`day` is always the first of a month here, so no day-of-month clipping is needed."""
    month_index = day.year * 12 + day.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def add_invoices(
    b: DemoBuilder, batch: Batch, customer: Customer, subscriptions: list[SubscriptionSpan]
) -> list[str]:
    rng = b.rng
    monthly_share = 0.9 if customer.is_business else 0.6
    months = 1 if rng.random() < monthly_share else 3
    weights = _BUSINESS_METHOD_WEIGHTS if customer.is_business else _PRIVATE_METHOD_WEIGHTS
    method = rng.choices(_METHODS, weights=weights)[0]
    # The part-month before the first full period is free (the welcome offer), so billing
    # starts on the first of the following month.
    period = add_months(customer.since.replace(day=1), 1)
    # Active customers already have next period's invoice when it is issued before the
    # reference date; that is where the open (not yet due) invoices come from.
    last_day = customer.ended or b.reference_date + timedelta(days=14)
    numbers: list[str] = []
    while period <= last_day:
        issued = max(period - timedelta(days=14), customer.since)
        if issued > b.reference_date:
            break
        net = net_for_period(b.service_prices, subscriptions, period, months)
        if net:
            numbers.append(_invoice(b, batch, customer.subject_id, issued, net, method))
        period = add_months(period, months)
    return numbers


def _invoice(
    b: DemoBuilder,
    batch: Batch,
    subject_id: int,
    issued: date,
    net: Decimal,
    method: PaymentMethod,
) -> str:
    invoice_id = b.new_id("invoice")
    # Derived from the id, so numbers stay unique when the demo runs again on the same database.
    number = f"F{invoice_id:09d}"
    vat = vat_on(net)
    due = issued + timedelta(days=20)
    status, paid_on = _settle(b, issued, due, method)
    batch.add(
        "invoice",
        {
            "id": invoice_id,
            "subject_id": subject_id,
            "invoice_number": number,
            "issued_on": issued,
            "due_on": due,
            "amount": net + vat,
            "vat_amount": vat,
            "currency": "SEK",
            "status": status,
        },
    )
    if paid_on is not None:
        reference = (
            identities.ocr_reference(invoice_id)
            if method in (PaymentMethod.AUTOGIRO, PaymentMethod.BANKGIRO)
            else None
        )
        batch.add(
            "payment",
            {
                "invoice_id": invoice_id,
                "paid_on": paid_on,
                "amount": net + vat,
                "method": method,
                "reference": reference,
            },
        )
    return number


def _settle(
    b: DemoBuilder, issued: date, due: date, method: PaymentMethod
) -> tuple[InvoiceStatus, date | None]:
    rng = b.rng
    if due > b.reference_date:
        return InvoiceStatus.OPEN, None
    draw = rng.random()
    if draw < 0.02:
        return InvoiceStatus.OVERDUE, None
    if draw < 0.025:
        return InvoiceStatus.CREDITED, None
    if draw < 0.06:  # paid late, after a reminder
        paid_on = due + timedelta(days=rng.randrange(1, 25))
        if paid_on > b.reference_date:
            return InvoiceStatus.OVERDUE, None
        return InvoiceStatus.PAID, paid_on
    if method is PaymentMethod.AUTOGIRO:
        return InvoiceStatus.PAID, due
    return InvoiceStatus.PAID, max(issued, due - timedelta(days=rng.randrange(0, 12)))
