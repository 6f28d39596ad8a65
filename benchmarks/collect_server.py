"""`dataskydd serve`'s app with four do-nothing endpoints beside the collector, for
bench_collect.py: the floors /collect and the pixel are measured against, in the same server.

    python benchmarks/collect_server.py PORT     (settings from DATASKYDD_* as for serve)

`POST /bench/noop` reads the body and answers 204; `GET /bench/noop.gif` answers the pixel's
GIF. `POST /bench/wait` and `GET /bench/wait.gif` do the same after waiting for one turn of the
event loop (`asyncio.sleep(0)`): the least that any endpoint pays which answers only after
something else has happened (a commit in the loop's next turn, in a thread or in another
process), since the no-op answers without ever suspending its task. All four are added to
the banner's own router before the app is built, so they are matched where /collect and the
pixel are and pass the same layers (security headers, admission, body limits, language); only
the collector's own work differs. Served by the function `serve` uses.
BENCH_COLLECT_WRITER=thread writes every batch in the writer thread instead of the loop.
"""

from __future__ import annotations

import asyncio
import os
import sys

from fastapi import Request, Response

from dataskydd.cli.serve import _run
from dataskydd.web.api import collect
from dataskydd.web.app import create_app


@collect.router.post("/bench/noop", include_in_schema=False)
async def noop(request: Request) -> Response:
    await request.body()
    return Response(status_code=204)


@collect.router.get("/bench/noop.gif", include_in_schema=False)
async def noop_pixel() -> Response:
    return Response(collect.GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})


@collect.router.post("/bench/wait", include_in_schema=False)
async def wait(request: Request) -> Response:
    await request.body()
    await asyncio.sleep(0)
    return Response(status_code=204)


@collect.router.get("/bench/wait.gif", include_in_schema=False)
async def wait_pixel() -> Response:
    await asyncio.sleep(0)
    return Response(collect.GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})


if os.environ.get("BENCH_COLLECT_WRITER") == "thread":
    # bench_collect.py --writer thread: every batch through the writer thread, as on
    # PostgreSQL, for the comparison with the in-loop writes SQLite gets.
    collect._write_in_loop = lambda app, banner: None  # type: ignore[assignment]

if __name__ == "__main__":
    _run(create_app(), "127.0.0.1", int(sys.argv[1]), 1)
