"""Demo web analytics: months of banner choices and consented visits to /demo-site/.

Visitors choose in the policy's banner (most accept, many reject, some pick choices); only
those who granted the choices that measure visits get page events, only those who granted the
tracking pixel's choice get pixel events, and every page view adds to the anonymous daily
totals. The choice keys are the policy's. Seeded, so the same seed and date give
the same rows. Times follow a plausible week: lunch and evening peaks, quieter weekends.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from dataskydd.analytics import ingest
from dataskydd.analytics.models import PageEvent
from dataskydd.clock import SWEDEN, today_in_sweden
from dataskydd.consent.models import ConsentRecord
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import ConsentBanner, Policy

SITE = "/demo-site/"
PAGES = {
    "": 40,
    "bredband": 20,
    "tv": 15,
    "kundservice": 12,
    "om-oss": 5,
    "erbjudande": 8,
}
NEXT = {
    "": {"bredband": 5, "tv": 4, "erbjudande": 3, "kundservice": 2, "om-oss": 1},
    "bredband": {"kundservice": 4, "": 3, "tv": 2, "erbjudande": 1},
    "tv": {"erbjudande": 4, "": 2, "bredband": 2, "kundservice": 1},
    "kundservice": {"": 2, "bredband": 1},
    "om-oss": {"": 3, "kundservice": 1},
    "erbjudande": {"bredband": 6, "tv": 3, "kundservice": 1},
}
CAMPAIGNS = (
    ("nyhetsbrev", "email", "halva-priset", 5),
    ("facebook", "social", "halva-priset", 3),
    ("google", "cpc", "fiber-hosten", 4),
    ("partner", "referral", "fiber-hosten", 1),
)
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 9, 10, 13, 11, 9, 9, 10, 11, 14, 17, 18, 15, 9, 4]
WEEKDAY_WEIGHTS = [10, 10, 10, 10, 9, 6, 7]
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0"
MOBILE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148 Safari/604.1"


@dataclass(frozen=True)
class WebAnalyticsSummary:
    visitors: int
    consent_records: int
    page_events: int
    page_totals: int


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(rng: random.Random, start: date, days: int) -> datetime:
    while True:
        day = start + timedelta(days=rng.randrange(days))
        if rng.random() * 10 < WEEKDAY_WEIGHTS[day.weekday()]:
            break
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), SWEDEN)
    return local.astimezone(UTC)


def _choice_sets(banner: ConsentBanner) -> tuple[list[str], list[str], list[str], list[str]]:
    """Everything; visit statistics only; statistics and the pixel; nothing."""
    visits = set(banner.visit_choices)
    pixel = {banner.pixel_choice} if banner.pixel_choice else set()
    return (
        sorted(banner.optional_choices),
        sorted(visits),
        sorted(visits | pixel),
        [],
    )


def generate_web_analytics(
    session: Session,
    *,
    policy: Policy | None = None,
    seed: int = 1,
    visitors: int = 2500,
    months: int = 4,
    reference_date: date | None = None,
    text_version: str | None = None,
) -> WebAnalyticsSummary:
    """Consent records and events under the banner of `policy` (default: the bundled one),
    recorded under its current text version unless `text_version` is given."""
    banner = (policy or load_bundled_policy()).consent_banner
    if banner is None:
        return WebAnalyticsSummary(0, 0, 0, 0)
    version = text_version or banner.text_version
    everything, visits_only, with_pixel, nothing = _choice_sets(banner)
    rng = random.Random(f"web-analytics-{seed}")
    end = reference_date or today_in_sweden()
    days = months * 30
    start = end - timedelta(days=days - 1)
    consents: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    totals: Counter[tuple[date, str]] = Counter()
    for _ in range(visitors):
        visitor = _hex(rng)
        roll = rng.random()
        granted = (
            everything
            if roll < 0.55
            else visits_only
            if roll < 0.7
            else with_pixel
            if roll < 0.75
            else nothing
        )
        mobile = rng.random() < 0.45
        first = _moment(rng, start, days)
        consents.append(
            {
                "visitor_id": visitor,
                "granted": ",".join(granted),
                "refused": ",".join(p for p in everything if p not in granted),
                "text_version": version,
                "recorded_at": first,
                "user_agent": MOBILE_UA if mobile else DESKTOP_UA,
                "gpc": False,
            }
        )
        for visit_no in range(rng.choices([1, 2, 3, 4, 6], weights=[45, 25, 15, 10, 5])[0]):
            at = first if visit_no == 0 else _moment(rng, start, days)
            if at < first:
                at = first + timedelta(hours=rng.randrange(1, 48))
            if at.astimezone(SWEDEN).date() > end:
                continue
            events.extend(_visit(rng, visitor, at, granted, mobile, totals, banner))
    session.execute(insert(ConsentRecord), consents)
    if events:
        session.execute(insert(PageEvent), events)
    ingest.add_totals(session, dict(totals))
    session.flush()
    return WebAnalyticsSummary(visitors, len(consents), len(events), len(totals))


def _visit(
    rng: random.Random,
    visitor: str,
    at: datetime,
    granted: list[str],
    mobile: bool,
    totals: Counter[tuple[date, str]],
    banner: ConsentBanner,
) -> list[dict[str, Any]]:
    measured = bool(banner.visit_choices) and banner.visit_choices <= set(granted)
    pixel = banner.pixel_choice is not None and banner.pixel_choice in granted
    visit = _hex(rng)
    network = "192.0.2.0/24" if rng.random() < 0.5 else f"198.51.{rng.randrange(100)}.0/24"
    campaign: tuple[str | None, str | None, str | None] = (None, None, None)
    page = _pick(rng, PAGES)
    if page == "erbjudande" or rng.random() < 0.08:
        page = "erbjudande"
        source, medium, name, _w = rng.choices(CAMPAIGNS, weights=[c[3] for c in CAMPAIGNS])[0]
        campaign = (source, medium, name)
    rows: list[dict[str, Any]] = []
    previous: str | None = None
    for step in range(rng.choices([1, 2, 3, 4, 5, 7], weights=[30, 25, 20, 12, 8, 5])[0]):
        path = SITE + page
        totals[(at.astimezone(SWEDEN).date(), path)] += 1
        seconds = min(1800, int(rng.lognormvariate(3.4, 1.0)))
        base = {
            "visitor_id": visitor,
            "visit_id": visit,
            "path": path,
            "ip_network": network,
            "device": "mobile" if mobile else "desktop",
            "utm_source": campaign[0] if step == 0 else None,
            "utm_medium": campaign[1] if step == 0 else None,
            "utm_campaign": campaign[2] if step == 0 else None,
        }
        if measured:
            rows.append(
                {
                    **base,
                    "kind": "view",
                    "occurred_at": at,
                    "referrer_path": previous,
                    "seconds_on_page": None,
                }
            )
            rows.append(
                {
                    **base,
                    "kind": "leave",
                    "occurred_at": at + timedelta(seconds=seconds),
                    "referrer_path": None,
                    "seconds_on_page": seconds,
                }
            )
        if step == 0 and campaign[0] and pixel:
            rows.append(
                {
                    **base,
                    "kind": "pixel",
                    "occurred_at": at,
                    "referrer_path": None,
                    "seconds_on_page": None,
                }
            )
        previous = path
        at += timedelta(seconds=seconds + rng.randrange(1, 5))
        page = _pick(rng, NEXT[page])
    return rows
