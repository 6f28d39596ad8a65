"""Personal data out of page addresses and referrers, before anything about an event is stored.

What counts as personal here: an e-mail address; a personnummer, samordningsnummer or
organisationsnummer (python-stdnum's rules, through `register.identifiers`, never a home-made
checksum); a telephone number (phonenumbers, Swedish and international); a token (a JWT, a
UUID, a long hex string, or a long run of letters and digits mixed the way random values are,
not the way words are). The rules lean towards removing: a numeric id that happens to pass a
personnummer or phone check is removed too, and the analyst loses a path detail, not more.

- A path segment holding any of these is replaced by PLACEHOLDER, so `/konto/anna@x.se/order`
  is stored as `/konto/*/order` and such pages are counted together. Path parameters
  (`;jsessionid=…`) are dropped whatever they hold.
- A query pair is dropped whole (key and value) when its value or key holds any of these or its
  key names a secret or a contact detail (SENSITIVE_KEY_PARTS): a placeholder would keep no
  information an analyst can use. The collector keeps only the utm_* pairs that survive.
- Fragments are dropped.
- A referrer is reduced to its site: the host name without `www.`, port or user info; an IP
  address or a host holding personal data is no site and gives None.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from itertools import pairwise
from urllib.parse import parse_qsl, unquote, urlsplit

import phonenumbers
from stdnum.se import orgnr

from dataskydd.register.identifiers import normalise_personnummer

PLACEHOLDER = "*"
MAX_SITE = 100

# Parts of a query key (split at _ - . and camelCase) that name something personal or secret.
SENSITIVE_KEY_PARTS = frozenset(
    {
        "token", "key", "apikey", "code", "session", "sessionid", "sid", "jsessionid",
        "phpsessid", "password", "passwd", "pwd", "pass", "secret", "auth", "authorization",
        "sig", "signature", "hmac", "otp", "nonce", "ticket", "jwt", "bearer", "credential",
        "credentials", "email", "mail", "epost", "phone", "tel", "telefon", "mobil", "mobile",
        "pnr", "personnummer", "ssn", "orgnr", "name", "namn", "user", "username", "login",
        "gclid", "fbclid", "msclkid", "dclid", "wbraid", "gbraid", "mc_eid", "_hsenc", "hsenc",
    }
)  # fmt: skip
_KEY_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_EMAIL = re.compile(r"[^\s@/?#&=;,:]+@[^\s@/?#&=;,:]+\.[^\s@/?#&=;,:.]{2,}")
# 10 or 12 digits with an optional - or + before the last four: personnummer (YYMMDD-NNNN,
# YYYYMMDDNNNN, …), samordningsnummer, organisationsnummer (NNNNNN-NNNN, 16NNNNNNNNNN).
_SWEDISH_NUMBER = re.compile(r"(?<!\d)(\d{6}|\d{8})[-+]?\d{4}(?!\d)")
_DIGIT = re.compile(r"\d")
_MIN_PHONE_DIGITS = 7
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.?")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
_HEX = re.compile(
    r"(?<![0-9a-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{16,}(?![0-9a-z])", re.I
)
# A run of base64/base64url characters; '-' and '_' belong to it (base64url), '.' does not.
_RUN = re.compile(r"[A-Za-z0-9+/=_~-]{20,}")
_PIECE_BREAK = re.compile(r"[-_]")
_MIN_TOKEN_LENGTH = 12  # the shortest JWT the pattern takes: eyJ + 4 + . + 4
_MIN_TOKEN_BITS = 3.5  # Shannon entropy per character of the run's letters and digits


def scrub_path(path: str) -> str:
    """The path with each segment holding personal data replaced and path parameters gone."""
    segments = []
    for segment in path.split("/"):
        segment = segment.split(";", 1)[0]
        segments.append(PLACEHOLDER if has_personal_data(segment) else segment)
    return "/".join(segments)


def scrub_query(query: str, *, max_pairs: int | None = None) -> list[tuple[str, str]]:
    """The query's pairs without those that hold or name personal data (see the module)."""
    # keep_blank_values: an empty value is still a pair whose key is checked.
    # '+' is a space in a query, but it also starts an international number: check both.
    raw = parse_qsl(query, keep_blank_values=True, max_num_fields=max_pairs)
    plus_kept = (
        parse_qsl(query.replace("+", "%2B"), keep_blank_values=True, max_num_fields=max_pairs)
        if "+" in query
        else raw
    )
    kept = []
    for (key, value), (_, literal) in zip(raw, plus_kept, strict=True):
        if sensitive_key(key) or has_personal_data(key):
            continue
        if has_personal_data(value) or (literal != value and has_personal_data(literal)):
            continue
        kept.append((key, value))
    return kept


def scrub_value(value: str) -> str | None:
    """None when `value` holds personal data, else the value itself."""
    return None if has_personal_data(value) else value


def sensitive_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in SENSITIVE_KEY_PARTS:
        return True
    return any(part.lower() in SENSITIVE_KEY_PARTS for part in _KEY_PARTS.findall(key))


def referrer_site(referrer: str, *, own_site: str | None = None) -> str | None:
    """The referrer's site (`google.se`), from an address or a bare host name; None for the
    site itself (the previous path says more), for no host, an IP address or a host with
    personal data in it."""
    site = site_of(referrer.strip())
    if site is None or (own_site is not None and site == site_of(own_site)):
        return None
    return site


def site_of(address: str | None) -> str | None:
    """The site of an Origin or Referer header (or a host name), for comparing referrers."""
    if not address:
        return None
    text = address if "://" in address or address.startswith("//") else "//" + address
    try:
        return _site(urlsplit(text).hostname)
    except ValueError:
        return None


def _site(host: str | None) -> str | None:
    if not host:
        return None
    host = host.rstrip(".").lower()
    host = host.removeprefix("www.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None  # an address, not a site: it may point at one person's machine
    if (
        not host
        or len(host) > MAX_SITE
        or not all(ch.isalnum() or ch in ".-" for ch in host)
        or any(has_personal_data(label) for label in host.split("."))
    ):
        return None
    return host


# Path segments and campaign values found to hold nothing personal, remembered so that the
# collector checks each distinct one once rather than once per event: a site's pages and
# campaigns are few, and checking a segment costs more than the rest of an event's work
# (benchmarks/bench_collect.py). Only clean texts are kept, so no personal data stays here;
# bounded, emptied when full.
_CLEAN: set[str] = set()
_CLEAN_LIMIT = 4096
_CLEAN_LONGEST = 200


def has_personal_data(text: str) -> bool:
    """Whether `text` is or holds an e-mail address, a Swedish identity or organisation number,
    a telephone number or a token. Cheap checks first: most paths have no digit and no '@'."""
    if not text or text in _CLEAN:
        return False
    if _holds_personal_data(text):
        return True
    if len(text) <= _CLEAN_LONGEST:
        if len(_CLEAN) >= _CLEAN_LIMIT:
            _CLEAN.clear()
        _CLEAN.add(text)
    return False


def _holds_personal_data(text: str) -> bool:
    if "%" in text:
        text = unquote(text)  # also what a browser would show: anna%40x.se is anna@x.se
    if "@" in text and _EMAIL.search(text):
        return True
    if len(text) >= _MIN_TOKEN_LENGTH and _is_token(text):
        return True
    digits = len(_DIGIT.findall(text))
    if digits >= 10 and _has_swedish_number(text):
        return True
    return digits >= _MIN_PHONE_DIGITS and _has_phone_number(text)


def _has_swedish_number(text: str) -> bool:
    for match in _SWEDISH_NUMBER.finditer(text):
        number = match.group()
        try:
            normalise_personnummer(number)
        except ValueError:
            pass
        else:
            return True
        digits = number.replace("-", "").replace("+", "")
        if len(digits) == 12 and digits.startswith("16"):
            digits = digits[2:]  # the century form of an organisationsnummer
        if len(digits) == 10 and orgnr.is_valid(digits):
            return True
    return False


def _has_phone_number(text: str) -> bool:
    try:
        for _ in phonenumbers.PhoneNumberMatcher(text, "SE", phonenumbers.Leniency.VALID):
            return True
    except Exception:  # phonenumbers refuses odd input its own way; such text holds no number
        return False
    return False


def _is_token(text: str) -> bool:
    if _JWT.search(text) or _UUID.search(text) or _HEX.search(text):
        return True
    return any(_looks_random(run) for run in _RUN.findall(text))


def _looks_random(run: str) -> bool:
    """Random values switch between letters and digits, and from lower to upper case, at
    about every second character and use many different ones; words, slugs and CamelCase
    (`vinter-erbjudande-2026`, `SommarKampanj`) switch seldom."""
    chars = [ch for ch in run if ch.isalnum()]
    # A random value is mostly one piece; a slug is short words between - and _.
    if len(chars) < 16 or max(len(piece) for piece in _PIECE_BREAK.split(run)) < 8:
        return False
    mixed_case = any(ch.islower() for ch in chars) and any(ch.isupper() for ch in chars)
    switches = sum(
        1 for a, b in pairwise(run) if a.isalnum() and b.isalnum() and _switch(a, b, mixed_case)
    )
    # Random mixed case switches at about 0.6 of its pairs, CamelCase at 0.25; random lower
    # case and digits at 0.4, slugs with numbers (`h264-1080p`) below 0.2.
    if switches < max(4, len(chars) / (3 if mixed_case else 5)):
        return False
    counts = Counter(chars)
    entropy = -sum(n / len(chars) * math.log2(n / len(chars)) for n in counts.values())
    return entropy >= _MIN_TOKEN_BITS


def _switch(a: str, b: str, mixed_case: bool) -> bool:
    if a.isdigit() != b.isdigit():
        return True
    # Upper after lower, or two upper in a row among lower case: not how words are written.
    return mixed_case and b.isupper() and (a.islower() or a.isupper())
