"""What a customer said and did: correspondence, support cases, surveys and panels,
newsletters, and the measured usage events (the high-volume table)."""

from __future__ import annotations

import json
from bisect import bisect
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from dataskydd.demo import draws
from dataskydd.demo.catalogue import NEWSLETTER_LISTS, consent_text_version
from dataskydd.demo.records import Batch, Customer, Held
from dataskydd.demo.texts import (
    CONNECTION_EVENTS,
    DEVICE_EVENTS,
    DIALOGUES,
    LETTERS,
    PAGES,
)
from dataskydd.demo.viewing import viewing_history
from dataskydd.register.enums import (
    ActivityKind,
    CorrespondenceKind,
    Direction,
    SupportChannel,
    UsageKind,
)

if TYPE_CHECKING:
    from dataskydd.demo.builder import DemoBuilder

_CORRESPONDENCE_COUNTS, _CORRESPONDENCE_WEIGHTS = (0, 1, 2, 3), (55, 25, 12, 8)
_SUPPORT_WINDOW = timedelta(days=730)  # support dialogue is kept for a shorter time
_USAGE_WINDOW = timedelta(days=395)  # thirteen months of measurement logs
_VIEW_DEVICES, _VIEW_DEVICE_WEIGHTS = ("tv", "mobil", "surfplatta", "dator"), (60, 15, 15, 10)
_WEB_DEVICES, _WEB_DEVICE_WEIGHTS = ("mobil", "dator", "surfplatta"), (50, 35, 15)
# `rng.choices(devices, weights=…)[0]` spelt out for the usage loop: the same single draw of
# random() against the cumulative weights (random.Random.choices), so the same rows, without
# summing the weights again for each of the demo's ~40 events per customer.
_VIEW_CUMULATIVE = list(accumulate(_VIEW_DEVICE_WEIGHTS))
_VIEW_TOTAL, _VIEW_LAST = _VIEW_CUMULATIVE[-1] + 0.0, len(_VIEW_DEVICES) - 1
_WEB_CUMULATIVE = list(accumulate(_WEB_DEVICE_WEIGHTS))
_WEB_TOTAL, _WEB_LAST = _WEB_CUMULATIVE[-1] + 0.0, len(_WEB_DEVICES) - 1
_AGE_BANDS = (
    (25, "18–24"),
    (35, "25–34"),
    (45, "35–44"),
    (55, "45–54"),
    (65, "55–64"),
    (200, "65+"),
)


def add_interactions(b: DemoBuilder, batch: Batch, customer: Customer, held: Held) -> None:
    _correspondence(b, batch, customer, held)
    _support(b, batch, customer, held)
    _participation(b, batch, customer, held)
    _newsletters(b, batch, customer)
    _usage(b, batch, customer, held)


def _fill(text: str, customer: Customer, held: Held, b: DemoBuilder) -> str:
    invoice = b.rng.choice(held.invoice_numbers) if held.invoice_numbers else "F000000000"
    return text.format(
        fornamn=customer.given_name,
        avtal=held.contract_number,
        faktura=invoice,
        ort=customer.town.name,
        tjanst=held.tv_name or held.broadband_name,
    )


def _last_day(b: DemoBuilder, customer: Customer) -> date:
    return customer.ended or b.reference_date


def _correspondence(b: DemoBuilder, batch: Batch, customer: Customer, held: Held) -> None:
    rng = b.rng
    for _ in range(rng.choices(_CORRESPONDENCE_COUNTS, weights=_CORRESPONDENCE_WEIGHTS)[0]):
        letter = rng.choice(LETTERS)
        received = b.moment(b.day_between(customer.since, _last_day(b, customer)))
        # Reminders are letters Omilon sends; everything else comes from the customer.
        outbound = letter.subject_line.startswith("Påminnelse")
        sender = None if letter.kind is CorrespondenceKind.LETTER or outbound else customer.email
        _letter(
            batch,
            customer,
            letter.kind,
            Direction.OUTBOUND if outbound else Direction.INBOUND,
            received,
            sender,
            _fill(letter.subject_line, customer, held, b),
            _fill(letter.body, customer, held, b),
        )
        if letter.reply is not None and rng.random() < 0.8:
            replied = received + timedelta(hours=rng.randrange(2, 72))
            _letter(
                batch,
                customer,
                CorrespondenceKind.EMAIL,
                Direction.OUTBOUND,
                replied,
                None,
                "Sv: " + _fill(letter.subject_line, customer, held, b),
                _fill(letter.reply, customer, held, b),
            )


def _letter(
    batch: Batch,
    customer: Customer,
    kind: CorrespondenceKind,
    direction: Direction,
    at: datetime,
    sender: str | None,
    subject_line: str,
    body: str,
) -> None:
    batch.add(
        "correspondence",
        {
            "subject_id": customer.subject_id,
            "kind": kind,
            "direction": direction,
            "received_at": at,
            "sender_address": sender,
            "subject_line": subject_line,
            "body": body,
        },
    )


def _support(b: DemoBuilder, batch: Batch, customer: Customer, held: Held) -> None:
    rng = b.rng
    first = max(customer.since, b.reference_date - _SUPPORT_WINDOW)
    last = _last_day(b, customer)
    if first >= last or rng.random() >= 0.35:
        return
    now = datetime.combine(b.reference_date, time(0), UTC)
    for _ in range(1 if rng.random() < 0.75 else 2):
        dialogue = rng.choice(DIALOGUES)
        case_id = b.new_id("support_case")
        opened = b.moment(b.day_between(first, last))
        sent, closed = opened, None
        for position, text in enumerate(dialogue.messages):
            if sent >= now:
                break
            direction = Direction.INBOUND if position % 2 == 0 else Direction.OUTBOUND
            batch.add(
                "support_message",
                {
                    "case_id": case_id,
                    "sent_at": sent,
                    "direction": direction,
                    "body": _fill(text, customer, held, b),
                },
            )
            sent += timedelta(minutes=rng.randrange(5, 2 * 24 * 60))
        if sent < now:
            closed = sent
        batch.add(
            "support_case",
            {
                "id": case_id,
                "subject_id": customer.subject_id,
                "channel": rng.choice(tuple(SupportChannel)),
                "topic": dialogue.topic,
                "opened_at": opened,
                "closed_at": closed,
            },
        )


def _participation(b: DemoBuilder, batch: Batch, customer: Customer, held: Held) -> None:
    rng = b.rng
    if rng.random() >= (0.1 if customer.is_business else 0.22):
        return
    last = _last_day(b, customer)
    open_to_them = [
        (activity_id, activity)
        for activity_id, activity in b.activities
        if activity.starts_on <= min(last, b.reference_date)
        and (activity.ends_on is None or activity.ends_on >= customer.since)
        and (activity.code == "KUNDPANEL-FORETAG") == customer.is_business
    ]
    if not open_to_them:
        return
    for activity_id, activity in rng.sample(
        open_to_them, min(len(open_to_them), rng.randint(1, 2))
    ):
        start = max(activity.starts_on, customer.since)
        stop = min(activity.ends_on or b.reference_date, last, b.reference_date)
        consented = b.moment(b.day_between(start, stop))
        withdrawn = None
        if activity.kind is ActivityKind.PANEL and rng.random() < 0.15:
            withdrawn = b.moment(b.day_between(consented.date(), b.reference_date))
            withdrawn = max(withdrawn, consented + timedelta(minutes=1))
        batch.add(
            "participation",
            {
                "subject_id": customer.subject_id,
                "activity_id": activity_id,
                "consented_at": consented,
                "withdrawn_at": withdrawn,
                "answers": json.dumps(
                    _answers(b, customer, held, activity.kind), ensure_ascii=False, sort_keys=True
                ),
            },
        )


def _answers(
    b: DemoBuilder, customer: Customer, held: Held, kind: ActivityKind
) -> dict[str, object]:
    rng = b.rng
    given: dict[str, object] = {"region": customer.town.region}
    if customer.born is not None:
        age = (b.reference_date - customer.born).days // 365
        given["age_band"] = next(band for limit, band in _AGE_BANDS if age < limit)
        given["household_size"] = customer.household_size
    if kind is ActivityKind.SURVEY:
        given["answers"] = {
            "nöjdhet_1_5": rng.randint(1, 5),
            "rekommendera_0_10": rng.randint(0, 10),
            "viktigast": rng.choice(("pris", "stabilitet", "kundservice", "hastighet", "tv-utbud")),
        }
    elif kind is ActivityKind.PANEL:
        given["answers"] = {
            "tittar_mest_på": rng.choice(_VIEW_DEVICES),
            "timmar_tv_per_vecka": rng.randint(0, 30) if held.has_tv else 0,
            "streamingtjänster": rng.randint(0, 5),
        }
    else:
        given["answers"] = {"tackat_ja": rng.random() < 0.4}
    return given


def _newsletters(b: DemoBuilder, batch: Batch, customer: Customer) -> None:
    rng = b.rng
    if rng.random() >= 0.35:
        return
    lists = ("foretag", "driftinfo") if customer.is_business else NEWSLETTER_LISTS[:4]
    for list_code in rng.sample(lists, rng.randint(1, 2)):
        subscribed = b.moment(b.day_between(customer.since, _last_day(b, customer)))
        unsubscribed = None
        if rng.random() < 0.2 or customer.ended is not None:
            end = customer.ended or b.reference_date
            unsubscribed = b.moment(b.day_between(subscribed.date(), end))
            unsubscribed = max(unsubscribed, subscribed + timedelta(minutes=1))
        batch.add(
            "newsletter_subscription",
            {
                "subject_id": customer.subject_id,
                "list_code": list_code,
                "subscribed_at": subscribed,
                "consent_text_version": consent_text_version(subscribed.date()),
                "unsubscribed_at": unsubscribed,
            },
        )


def _usage(b: DemoBuilder, batch: Batch, customer: Customer, held: Held) -> None:
    rng = b.rng
    window_end = datetime.combine(_last_day(b, customer), time(0), UTC)
    window_start = max(datetime.combine(customer.since, time(0), UTC), window_end - _USAGE_WINDOW)
    seconds = int((window_end - window_start).total_seconds())
    if seconds <= 0:
        return
    share = seconds / _USAGE_WINDOW.total_seconds()
    count = round(rng.randint(20, 70) * share)
    kinds, weights = (
        (
            (UsageKind.VIEW, UsageKind.NAVIGATION, UsageKind.CONNECTION, UsageKind.DEVICE),
            (55, 22, 14, 9),
        )
        if held.has_tv
        else ((UsageKind.NAVIGATION, UsageKind.CONNECTION, UsageKind.DEVICE), (55, 30, 15))
    )
    add = batch.rows["usage_event"].append  # the hot loop of the whole demo
    below, random = draws.below_function(rng), rng.random
    views: list[dict[str, Any]] = []
    for kind in rng.choices(kinds, weights=weights, k=count):
        at = window_start + timedelta(seconds=below(seconds))
        if kind is UsageKind.VIEW:
            device = _VIEW_DEVICES[bisect(_VIEW_CUMULATIVE, random() * _VIEW_TOTAL, 0, _VIEW_LAST)]
            # The title is given below, once the views are in time order.
            item, duration = None, 120 + below(7080)
        elif kind is UsageKind.NAVIGATION:
            device = _WEB_DEVICES[bisect(_WEB_CUMULATIVE, random() * _WEB_TOTAL, 0, _WEB_LAST)]
            item, duration = PAGES[below(len(PAGES))], 3 + below(597)
        elif kind is UsageKind.CONNECTION:
            device = _VIEW_DEVICES[below(len(_VIEW_DEVICES))]
            item, duration = CONNECTION_EVENTS[below(len(CONNECTION_EVENTS))], 60 + below(86340)
        else:
            device = _VIEW_DEVICES[below(len(_VIEW_DEVICES))]
            item, duration = DEVICE_EVENTS[below(len(DEVICE_EVENTS))], None
        row = {
            "subject_id": customer.subject_id,
            "occurred_at": at,
            "kind": kind,
            "device_type": device,
            "item": item,
            "duration_seconds": duration,
        }
        add(row)
        if kind is UsageKind.VIEW:
            views.append(row)
    # What the customer watched, in the order they watched it (series episode by episode).
    views.sort(key=lambda view: view["occurred_at"])
    for view, title in zip(views, viewing_history(rng, len(views)), strict=True):
        view["item"] = title
