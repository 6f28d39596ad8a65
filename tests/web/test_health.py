"""/healthz is answered by the outermost layer (web/health.py): at once, whatever the layers
inside are doing, with the usual answers to HEAD and to other methods."""

from __future__ import annotations

import anyio
import httpx

from dataskydd.web.health import Health
from tests.own_loop import in_own_loop


async def never_answers(scope: object, receive: object, send: object) -> None:
    await anyio.sleep_forever()


@in_own_loop
async def test_health_is_answered_without_the_app_inside() -> None:
    transport = httpx.ASGITransport(app=Health(never_answers))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with anyio.fail_after(2):
            got = await client.get("/healthz")
            head = await client.head("/healthz")
            post = await client.post("/healthz")
    assert got.status_code == 200
    assert got.json() == {"status": "ok"}
    assert got.headers["cache-control"] == "no-store"
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"


def test_the_app_answers_health_outside_admission(anonymous: httpx.Client) -> None:
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
