"""`dataskydd serve`: the staff web app and the API on the CLI's database."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from dataskydd.config import get_settings
from dataskydd.web.app import create_app


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Run the web app (staff pages, /api/v1, the public privacy notice)."""
    app = create_app(get_settings())
    base = f"http://{host}:{port}"
    typer.echo(f"dataskydd is running on {base}/  (Ctrl+C stops it)")
    typer.echo(f"  staff sign-in:   {base}/login  (accounts: `dataskydd init`, `dataskydd demo`)")
    typer.echo(f"  privacy notice:  {base}/integritetspolicy   API docs: {base}/docs")
    # access_log off: request lines carry search queries and ids, which are personal data.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
