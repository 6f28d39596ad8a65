"""Which paths answer what, asked by every layer that chooses how to answer before a route does
(web/errors.py, which also answers for web/body_limits.py, and web/admission.py).

JSON: the API under /api, the banner's endpoints (POST /consent, GET /consent/config, POST
/collect, the tracking pixel under /collect/) and the OpenAPI document; their errors are JSON
problems. Public: the pages a customer or visitor reaches without staff sign-in; their error
pages wear the company's frame, with no way into the staff side. Everything else is a staff
page.
"""

from __future__ import annotations

# Each a path or, followed by "/", a prefix of paths: "/consent" is the endpoint and
# "/consent/config" below it, but "/consent.js" (a script) is not.
JSON_PATHS = ("/api", "/collect", "/consent", "/openapi.json")

ACCESS_REQUEST_PATH = "/registerutdrag"
HOME_PATH = "/"
PUBLIC_PATHS = (
    HOME_PATH,
    ACCESS_REQUEST_PATH,
    "/en/access-request",
    "/mina-sidor",
    "/integritetspolicy",
    "/en/privacy",
)


def _under(path: str, roots: tuple[str, ...]) -> bool:
    # The home page "/" is a path, not the prefix of every path.
    return any(
        path == root or (root != HOME_PATH and path.startswith(root + "/")) for root in roots
    )


def answers_json(path: str) -> bool:
    """Whether a request for `path` is answered, and refused, in JSON."""
    return _under(path, JSON_PATHS)


def is_public_path(path: str) -> bool:
    """Whether `path` is a customer's or visitor's page (the company's frame)."""
    return _under(path, PUBLIC_PATHS)
