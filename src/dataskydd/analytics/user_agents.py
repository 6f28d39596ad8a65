"""What the collector keeps of a User-Agent header: a device class and a browser class.

The header itself is never stored: with the other request headers it is close to a fingerprint.
Seven browser classes are enough for the analyst's "devices and browsers" table; a full parser
(ua-parser and its regex file of several hundred patterns) would name versions and models the
reports must not show anyway, so a few ordered checks do it. Order matters because nearly every
browser claims to be several others: Edge, Opera and Samsung Internet say "Chrome" and "Safari",
Chrome says "Safari", so the most specific marker is looked for first.
"""

from __future__ import annotations

import re
from functools import lru_cache

_BOT = re.compile(
    r"bot|crawl|spider|slurp|headless|lighthouse|pingdom|monitor|preview|scan|fetch|"
    r"curl|wget|python|httpx|java/|go-http|okhttp|axios|node-fetch|libwww|phantomjs|selenium",
    re.IGNORECASE,
)

# Each class is a function of the header alone, and a site's visitors send a few hundred
# distinct headers: the answers are kept for the most recent ones, so the collector's regular
# expressions run once per header rather than once per event (benchmarks/bench_collect.py).
_SEEN_AGENTS = 1024

DEVICE_CLASSES = ("desktop", "mobile", "tablet")
BROWSER_CLASSES = ("chrome", "firefox", "safari", "edge", "opera", "samsung_internet", "other")

# (class, markers), most specific first. In-app browsers and other Chromium browsers are
# "other": counting them as Chrome would overstate it. Plain substrings: this runs for every
# event, and a regular expression with as many alternatives costs ten times as much.
_BROWSERS = (
    ("edge", ("Edg/", "EdgA/", "EdgiOS/", "Edge/")),
    ("opera", ("OPR/", "OPiOS/", "OPT/", "Opera")),
    ("samsung_internet", ("SamsungBrowser/",)),
    (
        "other",
        (
            "YaBrowser/", "Vivaldi/", "UCBrowser/", "DuckDuckGo/", " Ddg/", "FBAN/", "FBAV/",
            "Instagram", " Line/", "MiuiBrowser/", "HuaweiBrowser/", "Whale/", "; wv)",
        ),
    ),
    ("firefox", ("Firefox/", "FxiOS/")),
    ("chrome", ("Chrome/", "CriOS/", "Chromium/")),
)  # fmt: skip


@lru_cache(maxsize=_SEEN_AGENTS)
def is_bot(user_agent: str | None) -> bool:
    return not user_agent or not user_agent.startswith("Mozilla/") or bool(_BOT.search(user_agent))


@lru_cache(maxsize=_SEEN_AGENTS)
def device_class(user_agent: str) -> str:
    if re.search(r"iPad|Tablet", user_agent) or (
        "Android" in user_agent and "Mobile" not in user_agent
    ):
        return "tablet"
    if re.search(r"Mobi|iPhone|Android", user_agent):
        return "mobile"
    return "desktop"


@lru_cache(maxsize=_SEEN_AGENTS)
def browser_class(user_agent: str) -> str:
    """One of BROWSER_CLASSES."""
    for name, markers in _BROWSERS:
        if any(marker in user_agent for marker in markers):
            return name
    # Safari names its version; on iOS, apps that show pages in Safari's engine name Mobile/.
    if "Safari/" in user_agent and ("Version/" in user_agent or "Mobile/" in user_agent):
        return "safari"
    return "other"
