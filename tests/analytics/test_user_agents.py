"""User agents become a device class and a browser class; the header itself is never kept."""

from __future__ import annotations

import pytest

from dataskydd.analytics.user_agents import BROWSER_CLASSES, browser_class, device_class

WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
IOS_WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
ANDROID = "Mozilla/5.0 (Linux; Android 10; K)"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)"

AGENTS = [
    (f"{WINDOWS} {WEBKIT} Chrome/131.0.0.0 Safari/537.36", "chrome", "desktop"),
    (f"{ANDROID} {WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36", "chrome", "mobile"),
    (f"{IPHONE} {IOS_WEBKIT} CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "chrome", "mobile"),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "firefox",
        "desktop",
    ),
    (f"{IPHONE} {IOS_WEBKIT} FxiOS/133.0 Mobile/15E148 Safari/605.1.15", "firefox", "mobile"),
    (
        f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {IOS_WEBKIT} Version/18.1 "
        "Safari/605.1.15",
        "safari",
        "desktop",
    ),
    (f"{IPHONE} {IOS_WEBKIT} Version/18.1 Mobile/15E148 Safari/604.1", "safari", "mobile"),
    (
        f"Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) {IOS_WEBKIT} Version/18.1 Mobile/15E148 "
        "Safari/604.1",
        "safari",
        "tablet",
    ),
    (f"{WINDOWS} {WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70", "edge", "desktop"),
    (
        f"{ANDROID} {WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.2903.87",
        "edge",
        "mobile",
    ),
    (f"{WINDOWS} {WEBKIT} Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582", "edge", "desktop"),
    (f"{WINDOWS} {WEBKIT} Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0", "opera", "desktop"),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        "samsung_internet",
        "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/27.0 Chrome/125.0.0.0 Safari/537.36",
        "samsung_internet",
        "tablet",
    ),
    (f"{WINDOWS} {WEBKIT} Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0", "other", "desktop"),
    (
        f"Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) {WEBKIT} Version/4.0 Chrome/131.0.0.0 "
        "Mobile Safari/537.36",
        "other",
        "mobile",
    ),
    (f"{IPHONE} {IOS_WEBKIT} Mobile/15E148 [FBAN/FBIOS;FBAV/485.0.0.45.110]", "other", "mobile"),
    ("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2)", "other", "desktop"),
]


@pytest.mark.parametrize(("agent", "browser", "device"), AGENTS)
def test_classes(agent: str, browser: str, device: str) -> None:
    assert (browser_class(agent), device_class(agent)) == (browser, device)


def test_every_class_is_met() -> None:
    assert {browser for _, browser, _ in AGENTS} == set(BROWSER_CLASSES)
