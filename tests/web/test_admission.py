"""Admission control: requests past the limit queue without a thread, a full queue or a long
wait answers 503 with Retry-After at once, and the health check is never queued."""

from __future__ import annotations

import json
import time

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from dataskydd.web.admission import Admission
from dataskydd.web.health import Health
from tests.own_loop import in_own_loop


def slow_app(release: anyio.Event, started: list[str]) -> Starlette:
    async def slow(request: Request) -> PlainTextResponse:
        started.append(request.url.path)
        await release.wait()
        return PlainTextResponse("done")

    return Starlette(
        routes=[
            Route("/work", slow),
            Route("/api/v1/x", slow),
            Route("/collect", slow, methods=["POST"]),
        ]
    )


@in_own_loop
async def test_past_the_limit_requests_wait_then_run_in_order() -> None:
    release, started = anyio.Event(), []
    admission = Admission(slow_app(release, started), limit=1, queue=5, wait_seconds=5)
    transport = httpx.ASGITransport(app=admission)
    statuses: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def call() -> None:
            statuses.append((await client.get("/work")).status_code)

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(call)
            await anyio.sleep(0.05)
            assert started == ["/work"], "one at work, the others wait without running"
            assert admission.state()["waiting"] == 2
            release.set()
    assert statuses == [200, 200, 200]
    assert admission.state() == {
        "collecting": 0,
        "working": 0,
        "waiting": 0,
        "limit": 1,
        "queue": 5,
        "refused": 0,
    }


@in_own_loop
async def test_a_full_queue_answers_503_at_once_with_retry_after() -> None:
    release, started = anyio.Event(), []
    admission = Admission(slow_app(release, started), limit=1, queue=1, wait_seconds=30)
    # As in the app: the health check is answered outside admission (web/health.py).
    transport = httpx.ASGITransport(app=Health(admission))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(client.get, "/work")
        group.start_soon(client.get, "/work")
        await anyio.sleep(0.05)
        began = time.monotonic()
        refused = await client.get("/api/v1/x")
        page = await client.get("/work", params={"lang": "en"})
        assert time.monotonic() - began < 1
        health = await client.get("/healthz")
        release.set()
    assert refused.status_code == 503
    assert refused.headers["retry-after"].isdigit()
    assert json.loads(refused.text)["error"] == "ServiceUnavailable"
    assert "Tjänsten är hårt belastad" in json.loads(refused.text)["detail"]
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "The service is busy" in page.text
    assert health.status_code == 200, "the health check is never queued"
    assert health.json() == {"status": "ok"}
    assert admission.refused == 2


@in_own_loop
async def test_a_wait_longer_than_allowed_answers_503() -> None:
    release, started = anyio.Event(), []
    admission = Admission(slow_app(release, started), limit=1, queue=10, wait_seconds=0.2)
    transport = httpx.ASGITransport(app=admission)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(client.get, "/work")
        await anyio.sleep(0.05)
        began = time.monotonic()
        waited = await client.get("/work")
        elapsed = time.monotonic() - began
        release.set()
    assert waited.status_code == 503
    assert 0.15 < elapsed < 1.5
    assert admission.state()["waiting"] == 0


@in_own_loop
async def test_the_collector_has_a_lane_of_its_own() -> None:
    """Events wait for the group commit holding no thread or connection: they neither wait
    behind the limited requests nor take their places; past their own limit, 503 at once."""
    release, started = anyio.Event(), []
    admission = Admission(
        slow_app(release, started), limit=1, queue=0, wait_seconds=5, collector_limit=2
    )
    transport = httpx.ASGITransport(app=admission)
    statuses: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def call(method: str, path: str) -> None:
            statuses.append((await client.request(method, path)).status_code)

        async with anyio.create_task_group() as group:
            group.start_soon(call, "GET", "/work")  # takes the one slot
            await anyio.sleep(0.05)
            group.start_soon(call, "POST", "/collect")
            group.start_soon(call, "POST", "/collect")
            await anyio.sleep(0.05)
            assert started == ["/work", "/collect", "/collect"]
            assert admission.state()["collecting"] == 2
            refused = await client.post("/collect")  # past the collector's own limit
            assert refused.status_code == 503
            assert refused.headers["retry-after"].isdigit()
            page = await client.get("/work")  # the slot is still the one request's
            assert page.status_code == 503
            release.set()
    assert sorted(statuses) == [200, 200, 200]
    assert admission.state()["collecting"] == 0
