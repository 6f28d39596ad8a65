"""Who the client is, and where the public reaches this server (docs/scaling.md).

The client's address is the connection's peer, or what X-Forwarded-For says when the peer is
one of the configured proxies (DATASKYDD_TRUSTED_PROXIES): anyone else could name any address
and so slip past the rate limits. Links put in mail start with DATASKYDD_PUBLIC_BASE_URL, never
with the request's Host header, which the client (or a proxy passing its own) chooses.
"""

from __future__ import annotations

import ipaddress

from fastapi import FastAPI, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from dataskydd.config import Settings, is_loopback
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg
from dataskydd.web import i18n

_ = i18n.gettext_
_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


def trust_proxies(app: FastAPI, settings: Settings) -> None:
    """Believe X-Forwarded-For/-Proto from the configured proxies only. The server's own proxy
    handling is off (cli/serve.py), so the decision is the same under any ASGI server."""
    if settings.trusted_proxy_list:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)


def client_key(request: Request) -> str:
    """The client that rate limits count: its address, or its /64 for IPv6, where one
    subscriber usually holds the whole network and could take a new address for each try."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def public_base_url(request: Request) -> str:
    """The start of links in mail: the configured public base URL. Without one, only a local
    demo (browser and server on this machine, no proxy between) uses the address in the
    browser; anything else is refused rather than mailing a link that may lead elsewhere."""
    settings: Settings = request.app.state.settings
    if settings.public_base_url:
        return settings.public_base_url
    peer = request.client.host if request.client else None
    proxied = any(name in request.headers for name in _FORWARDING_HEADERS)
    if is_loopback(request.url.hostname) and is_loopback(peer) and not proxied:
        return str(request.base_url).rstrip("/")
    raise ConfigurationError(
        Msg(
            "Links in mail need this server's public address: set DATASKYDD_PUBLIC_BASE_URL "
            "(for example https://dataskydd.example.se) and restart. Nothing was changed."
        )
    )
