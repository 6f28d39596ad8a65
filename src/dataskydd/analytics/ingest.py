"""/collect and the tracking pixel: validate, drop bots, keep only what consent allows.

Which consent each event needs is the policy's: page views and leave events need every banner
choice marked `measures_visits`, the pixel the one marked `tracking_pixel` (no such choice: the
pixel stores nothing). Without it nothing about the visitor is stored; at most the page's
anonymous daily total goes up by one. Before anything is written, personal data is taken out
(`analytics.scrub`): e-mail addresses, Swedish identity and organisation numbers, telephone
numbers and tokens leave paths, campaign values and the previous path; every query pair but the
utm_* ones is dropped; a referrer from another site is cut to that site's host name; the
User-Agent header becomes a device and a browser class (`analytics.user_agents`); IP addresses
are cut to their network (IPv4 /24, IPv6 /48). The web layer writes events in batches
through `writer.GroupWriter`, answering each only after its batch has committed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, cast
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy import Table
from sqlalchemy.orm import Session

from dataskydd import validation
from dataskydd.analytics import scrub
from dataskydd.analytics.models import EventKind, PageEvent, PageTotal
from dataskydd.analytics.user_agents import browser_class
from dataskydd.analytics.user_agents import device_class as device_class
from dataskydd.analytics.user_agents import is_bot as is_bot
from dataskydd.clock import SWEDEN, utc_now
from dataskydd.consent import repository as consent_repository
from dataskydd.consent.schemas import VisitorId
from dataskydd.db.driver_writes import DriverWriter
from dataskydd.db.upsert import conflict_insert
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import ConsentBanner
from dataskydd.validation import WholeNumber

MAX_PATH = 300
MAX_PAGE = 2000
# Room for every valid event as compact JSON, even with each character of `page` and
# `previous` escaped as a surrogate pair (`\ud83d\ude00`, 12 bytes), so that a body the
# schema accepts is never refused for its size; more is refused (413) before it is parsed.
MAX_BODY_BYTES = 64 * 1024
# The campaign parameters the reports group by, then the two that only describe the campaign.
CAMPAIGN_KEYS = ("utm_source", "utm_medium", "utm_campaign")
UTM_KEYS = (*CAMPAIGN_KEYS, "utm_term", "utm_content")
MAX_UTM = 100
MAX_QUERY_KEYS = 50
# Events per transaction: the consent check reads at most this many visitors in one query.
MAX_BATCH = 500
# Control characters and lone surrogates: PostgreSQL refuses NUL in text, and a lone surrogate
# cannot be encoded for either database, so such input is a 422 and never reaches a write.
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
PageText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PAGE)]


class CollectedEvent(BaseModel):
    """The JSON body of POST /collect (consent.js sends it with navigator.sendBeacon)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    kind: Literal["view", "leave", "count"]
    page: PageText
    visitor_id: VisitorId | None = None
    visit_id: VisitorId | None = None
    previous: PageText | None = None
    # Where the visitor came from when it was another site: an address or a host name, of
    # which only the host name is kept (scrub.referrer_site).
    referrer: PageText | None = None
    seconds: Annotated[WholeNumber, Field(ge=0, le=24 * 3600)] | None = None

    _whole_seconds = field_validator("seconds", mode="before")(validation.whole_number)


Utm = tuple[str | None, str | None, str | None, str | None, str | None]
NO_UTM: Utm = (None, None, None, None, None)


@dataclass(frozen=True)
class Accepted:
    """A valid event with what the server adds: time, network, device and browser class, all of
    it already scrubbed of personal data. Not yet consent-checked."""

    kind: EventKind | None  # None: an anonymous count only
    path: str
    occurred_at: datetime
    device: str
    visitor_id: str | None = None
    visit_id: str | None = None
    previous: str | None = None
    seconds: int | None = None
    campaign: Utm = NO_UTM  # the values of UTM_KEYS, in that order
    ip_network: str | None = None
    browser: str | None = None
    referrer_site: str | None = None


# One IPv4 octet as ipaddress accepts it: 0-255, no leading zero.
_OCTET = re.compile(r"25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9]")


def truncate_ip(address: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network; the host part is gone before storage."""
    if not address:
        return None
    octets = address.split(".")
    if len(octets) == 4 and all(_OCTET.fullmatch(octet) for octet in octets):
        # The common case without building an address object (it costs ten times as much).
        return f"{octets[0]}.{octets[1]}.{octets[2]}.0/24"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def split_page(page: str, field: str = "page") -> tuple[str, tuple[str | None, ...]]:
    """The scrubbed path and the values of CAMPAIGN_KEYS of a page address (read_page)."""
    path, utm = read_page(page, field)
    return path, utm[: len(CAMPAIGN_KEYS)]


def read_page(page: str, field: str = "page") -> tuple[str, Utm]:
    """The path and utm_* values of a page address, personal data taken out (scrub.py); every
    other query pair and the fragment are dropped. Raises InvalidInput naming `field` for what
    is no page address (also what urllib cannot parse)."""
    if _UNSTORABLE.search(page):
        raise InvalidInput(field, Msg("must not contain control characters"))
    try:
        parts = urlsplit(page)
    except ValueError:  # e.g. an unclosed IPv6 host: "http://[::1/a"
        raise InvalidInput(field, Msg("is not a valid address")) from None
    path = parts.path
    if not path.startswith("/") or len(path) > MAX_PATH or any(ch.isspace() for ch in path):
        raise InvalidInput(
            field,
            Msg(
                "must be a path starting with / of at most {MAX_PATH} characters", MAX_PATH=MAX_PATH
            ),
        )
    try:
        pairs = parse_qsl(parts.query, max_num_fields=MAX_QUERY_KEYS) if parts.query else []
    except ValueError:
        raise InvalidInput(
            field,
            Msg(
                "may have at most {MAX_QUERY_KEYS} query parameters", MAX_QUERY_KEYS=MAX_QUERY_KEYS
            ),
        ) from None
    query = dict(pairs)
    if any(_UNSTORABLE.search(query.get(key) or "") for key in UTM_KEYS):
        raise InvalidInput(field, Msg("campaign parameters must not contain control characters"))
    # A utm_* value holding personal data is dropped (scrub.scrub_query), not the event.
    has_utm = any(key in query for key in UTM_KEYS)
    kept = dict(scrub.scrub_query(parts.query, max_pairs=MAX_QUERY_KEYS)) if has_utm else {}
    utm = cast(Utm, tuple((kept.get(key) or "")[:MAX_UTM] or None for key in UTM_KEYS))
    return scrub.scrub_path(path), utm


def accept_event(
    event: CollectedEvent,
    *,
    user_agent: str | None,
    client_ip: str | None,
    site: str | None = None,
) -> Accepted | None:
    """None for a bot. Raises InvalidInput for rule breaks the JSON schema cannot express.
    `site`: the Origin (or Referer) of the request, so that a referrer from the site itself is
    not counted as another site."""
    if is_bot(user_agent):
        return None
    assert user_agent is not None
    path, campaign = read_page(event.page)
    previous = read_page(event.previous, "previous")[0] if event.previous else None
    if event.kind == "count":
        if event.visitor_id or event.visit_id:
            raise InvalidInput("visitor_id", Msg("an anonymous count carries no identifier"))
        return Accepted(None, path, utc_now(), device_class(user_agent))
    if event.visitor_id is None:
        raise InvalidInput("visitor_id", Msg("is required for view and leave events"))
    if event.kind == "leave" and event.seconds is None:
        raise InvalidInput("seconds", Msg("is required for leave events"))
    return Accepted(
        kind=EventKind(event.kind),
        path=path,
        occurred_at=utc_now(),
        device=device_class(user_agent),
        visitor_id=event.visitor_id,
        visit_id=event.visit_id,
        previous=previous,
        seconds=event.seconds if event.kind == "leave" else None,
        campaign=campaign,
        ip_network=truncate_ip(client_ip),
        browser=browser_class(user_agent),
        referrer_site=_referrer_site(event.referrer, site, previous),
    )


def _referrer_site(referrer: str | None, site: str | None, previous: str | None) -> str | None:
    # A page reached from the same site has its previous path; a referrer beside it is the site.
    if not referrer or previous is not None:
        return None
    return scrub.referrer_site(referrer, own_site=site)


def accept_pixel(
    *,
    visitor_id: str | None,
    visit_id: str | None,
    page: str | None,
    user_agent: str | None,
    client_ip: str | None,
    referrer: str | None = None,
    site: str | None = None,
) -> Accepted | None:
    """None for a bot, and for a browser that sent no visitor id (nothing to store). Raises
    InvalidInput naming `p` for a page read_page refuses, with or without a visitor id."""
    if is_bot(user_agent):
        return None
    assert user_agent is not None
    path, campaign = read_page("/" if page is None else page, "p")
    if not visitor_id:
        return None
    return Accepted(
        kind=EventKind.PIXEL,
        path=path,
        occurred_at=utc_now(),
        device=device_class(user_agent),
        visitor_id=visitor_id,
        visit_id=visit_id,
        campaign=campaign,
        ip_network=truncate_ip(client_ip),
        browser=browser_class(user_agent),
        referrer_site=_referrer_site(referrer, site, None),
    )


def needed_choices(banner: ConsentBanner) -> dict[EventKind, frozenset[str] | None]:
    """The banner choices each kind of event needs, all of them; None: never stored."""
    visits = banner.visit_choices or None
    pixel = banner.pixel_choice
    return {
        EventKind.VIEW: visits,
        EventKind.LEAVE: visits,
        EventKind.PIXEL: frozenset({pixel}) if pixel else None,
    }


def store(session: Session, events: Sequence[Accepted], *, banner: ConsentBanner) -> int:
    """Write what consent allows; returns the number of PageEvent rows written.

    The consent check reads each visitor's latest choice once per batch, so a withdrawal
    takes effect for every event that arrives after it. The anonymous totals are counted when
    the banner's `count_anonymous_page_views` is on.
    """
    needs = needed_choices(banner)
    visitors = {e.visitor_id for e in events if e.visitor_id}
    granted = consent_repository.latest_granted(session, visitors)
    rows = [_row(e) for e in events if _consented(e, needs, granted)]
    # Through the driver (executemany of tuples, COPY): Core's executemany of dicts cost
    # more than SQLite's own insert (0.85 against 0.54 ms for 23 events, bench_collect.py).
    DriverWriter(session).write(_EVENTS, _EVENT_COLUMNS, rows)
    if banner.count_anonymous_page_views:
        totals: dict[tuple[Any, str], int] = {}
        for e in events:
            if e.kind is None or e.kind is EventKind.VIEW:
                key = (e.occurred_at.astimezone(SWEDEN).date(), e.path)
                totals[key] = totals.get(key, 0) + 1
        add_totals(session, totals)
    session.flush()
    return len(rows)


def _consented(
    event: Accepted,
    needs: dict[EventKind, frozenset[str] | None],
    granted: dict[str, frozenset[str]],
) -> bool:
    if event.kind is None or event.visitor_id is None:
        return False
    needed = needs[event.kind]
    return needed is not None and needed <= granted.get(event.visitor_id, frozenset())


def _row(event: Accepted) -> dict[str, Any]:
    source, medium, campaign, term, content = event.campaign
    return {
        "visitor_id": event.visitor_id,
        "visit_id": event.visit_id,
        "occurred_at": event.occurred_at,
        "kind": event.kind.value if event.kind else None,
        "path": event.path,
        "referrer_path": event.previous,
        "seconds_on_page": event.seconds,
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "utm_term": term,
        "utm_content": content,
        "referrer_site": event.referrer_site,
        "ip_network": event.ip_network,
        "device": event.device,
        "browser": event.browser,
    }


def add_totals(session: Session, totals: dict[tuple[Any, str], int]) -> None:
    if not totals:
        return
    upsert = _totals_upsert(session.get_bind().dialect.name)
    # One executemany; sorted, so concurrent writers lock the rows in the same order.
    rows = [
        {"day": day, "path": path, "count": count} for (day, path), count in sorted(totals.items())
    ]
    session.connection().execute(upsert, rows)


_EVENTS = cast(Table, PageEvent.__table__)
_EVENT_COLUMNS = (
    "visitor_id",
    "visit_id",
    "occurred_at",
    "kind",
    "path",
    "referrer_path",
    "seconds_on_page",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer_site",
    "ip_network",
    "device",
    "browser",
)


@lru_cache(maxsize=2)
def _totals_upsert(dialect: str) -> Any:
    """Built once per dialect: building it costs more than running it for a batch."""
    statement = conflict_insert(dialect, PageTotal)
    return statement.on_conflict_do_update(
        index_elements=[PageTotal.day, PageTotal.path],
        set_={"count": PageTotal.count + statement.excluded.count},
    )
