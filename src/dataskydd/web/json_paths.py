"""Which paths answer JSON, errors included: the one predicate every layer that chooses between
a JSON problem and an HTML page asks (web/errors.py, web/body_limits.py, web/admission.py).

The JSON API under /api, the banner's endpoints (POST /consent, GET /consent/config, POST
/collect, the tracking pixel under /collect/) and the OpenAPI document. Everything else is a
page, and its errors are pages too.
"""

from __future__ import annotations

# Each a path or, followed by "/", a prefix of paths: "/consent" is the endpoint and
# "/consent/config" below it, but "/consent.js" (a script) is not.
JSON_PATHS = ("/api", "/collect", "/consent", "/openapi.json")


def answers_json(path: str) -> bool:
    """Whether a request for `path` is answered, and refused, in JSON."""
    return any(path == root or path.startswith(root + "/") for root in JSON_PATHS)
