"""`dataskydd serve`: the staff web app and the API on the CLI's database, in one or more
worker processes (docs/scaling.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dataskydd.cli import _
from dataskydd.config import Settings, get_settings, is_loopback
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg

if TYPE_CHECKING:
    from fastapi import FastAPI

    from dataskydd.jobs.queue import InProcessWorker

# Each worker builds its own app from the same DATASKYDD_* environment.
APP_FACTORY = "dataskydd.web.app:create_app"
MAX_WORKERS = 16


def _check_public_address(host: str, settings: Settings) -> None:
    """Links in mail must lead where the public reaches this server, which a server reachable
    from elsewhere (or through a proxy) cannot tell from its requests."""
    if settings.public_base_url:
        return
    if not is_loopback(host):
        reason = Msg("it listens on {host}, beyond this machine", host=host)
    elif settings.trusted_proxy_list:
        reason = Msg("it is reached through a proxy (DATASKYDD_TRUSTED_PROXIES)")
    else:
        return
    raise ConfigurationError(
        Msg(
            "DATASKYDD_PUBLIC_BASE_URL is not set, and {reason}: set it "
            "to the address the public uses (e.g. "
            "https://dataskydd.example.se), which starts every link put "
            "in mail",
            reason=reason,
        )
    )


def serve(
    host: Annotated[str, typer.Option(help=_("Address to listen on."))] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help=_("Port to listen on."))] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_WORKERS,
            help=_(
                "Worker processes. All share the database, which holds sessions and rate "
                "limits; on PostgreSQL each opens up to DATASKYDD_CONCURRENT_REQUESTS + 4 "
                "connections."
            ),
        ),
    ] = 1,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker",
            help=_(
                "Also run the job queue (docs/jobs.md) in this process, in threads: for the "
                "demo and a single machine. Otherwise run `dataskydd worker` beside it."
            ),
        ),
    ] = False,
) -> None:
    # Imported here: the web app, huey and uvicorn are for this command only (cli/__init__.py).
    from dataskydd.web.app import create_app

    settings = get_settings()
    _check_public_address(host, settings)
    # Built once here so a bad key, policy or setting stops the command with one clear line,
    # before any worker starts; worker processes build their own, a single one serves this.
    web_app = create_app(settings)
    jobs = _job_worker(settings) if worker else None
    base = f"http://{host}:{port}"
    typer.echo(_("dataskydd is running on {base}/  (Ctrl+C stops it)").format(base=base))
    typer.echo(
        _("  staff sign-in:   {base}/login  (accounts: `dataskydd init`, `dataskydd demo`)").format(
            base=base
        )
    )
    typer.echo(
        _("  privacy notice:  {base}/integritetspolicy   API docs: {base}/docs").format(base=base)
    )
    if workers > 1:
        typer.echo(_("  worker processes: {workers}").format(workers=workers))
    if not settings.public_base_url:
        typer.echo(_("  links in mail: this machine's address (set DATASKYDD_PUBLIC_BASE_URL)"))
    if jobs is not None:
        typer.echo(
            _("  job queue: run here too, in {store}").format(store=jobs.queue.store.describe())
        )
        jobs.start()
    try:
        _run(web_app if workers == 1 else APP_FACTORY, host, port, workers)
    finally:
        if jobs is not None:
            # Runs still at work after a few seconds go back on the queue.
            jobs.stop()


def _job_worker(settings: Settings) -> InProcessWorker:
    from dataskydd.jobs.definitions import context_from_settings
    from dataskydd.jobs.queue import InProcessWorker, JobQueue, queue_store

    queue = JobQueue(context_from_settings(settings), queue_store(settings))
    return InProcessWorker(queue, workers=2, shutdown_timeout=5)


def _run(app: FastAPI | str, host: str, port: int, workers: int) -> None:
    import uvicorn

    from dataskydd.web.health_loop import LOOP_FACTORY
    from dataskydd.web.health_protocol import protocol

    uvicorn.run(
        app,
        factory=isinstance(app, str),
        host=host,
        port=port,
        workers=workers,
        # access_log off: request lines carry search queries and ids, which are personal data.
        access_log=False,
        log_level="warning",
        # The app decides which proxies to believe (DATASKYDD_TRUSTED_PROXIES); uvicorn's
        # own default would believe X-Forwarded-For from 127.0.0.1 whatever is configured.
        proxy_headers=False,
        # The app has no WebSocket routes: uvicorn then loads no WebSocket library either.
        ws="none",
        # A new connection's /healthz is answered by the accepting thread, whatever the loop
        # is doing (web/health_loop.py); on a kept-alive connection, as soon as it is read,
        # before any task (web/health_protocol.py).
        loop=LOOP_FACTORY,
        http=protocol(),
    )


def register(app: typer.Typer) -> None:
    app.command(
        "serve", help=_("Run the web app (staff pages, /api/v1, the public privacy notice).")
    )(serve)
