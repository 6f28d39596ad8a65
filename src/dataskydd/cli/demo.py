"""`dataskydd demo`: fill the register with a reproducible Swedish demo customer base, then
the company's other systems of the data map with rows for a share of those customers."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dataskydd import runtime
from dataskydd.cli import _, render
from dataskydd.cli._context import cli_actor, cli_transaction, current_policy
from dataskydd.config import get_settings
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg

console = Console()
# demo/generator.py's MAX_CUSTOMERS, for the option's help: the generator needs Faker, which
# `dataskydd demo --help` must not (tests/cli/test_startup.py keeps the two equal).
MAX_CUSTOMERS = 1_000_000


def _require_faker() -> None:
    """One clear line, not a traceback, when the demo's extra (Faker) is not installed."""
    try:
        import faker  # noqa: F401  (the one dependency only the demo has)
    except ImportError:
        raise ConfigurationError(
            Msg("the demo data needs Faker, which is not installed: pip install 'dataskydd[demo]'")
        ) from None


def demo(
    customers: Annotated[
        int, typer.Option(help=_("How many customers (1–{most:,}).").format(most=MAX_CUSTOMERS))
    ] = 1000,
    seed: Annotated[int, typer.Option(help=_("Same seed and date, same data."))] = 1,
    years: Annotated[int, typer.Option(help=_("Years of history before the reference date."))] = 5,
    reference_date: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help=_("'Today' of the demo data (default: today).")),
    ] = None,
    no_other_systems: Annotated[
        bool,
        typer.Option(
            "--no-other-systems",
            help=_("Fill only the register, not the other systems of the data map."),
        ),
    ] = False,
) -> None:
    _require_faker()
    from dataskydd.demo import agreements, consents, generator, staff, web_analytics

    # Checked before the database is opened, so bad input writes nothing.
    generator.validate_request(customers=customers, years=years)
    started = time.perf_counter()
    with cli_transaction() as session, _progress() as bar:
        task = bar.add_task(_("Customers"), total=customers)
        summary = generator.generate_demo(
            session,
            customers=customers,
            seed=seed,
            reference_date=reference_date.date() if reference_date else None,
            years=years,
            actor=cli_actor(),
            progress=lambda done, _total: bar.update(task, completed=done),
        )
        consents.record_demo_consents(session, policy=current_policy())
        logins = staff.create_demo_staff(session, policy=current_policy(), actor=cli_actor())
        agreements.record_demo_agreements(session, policy=current_policy(), actor=cli_actor())
        web_analytics.generate_web_analytics(
            session,
            policy=current_policy(),
            seed=seed,
            reference_date=reference_date.date() if reference_date else None,
        )
    elapsed = time.perf_counter() - started  # includes the commit
    table = Table(_("table"), _("rows"), title=_("Demo data written"))
    for name, count in summary.rows.items():
        table.add_row(name, f"{count:,}")
    table.add_section()
    table.add_row(_("total"), f"{summary.total_rows:,}")
    console.print(table)
    console.print(
        _(
            "{customers:,} customers, {suppliers} suppliers in {seconds:.1f} s "
            "({rate:,.0f} rows/s)."
        ).format(
            customers=summary.customers,
            suppliers=summary.suppliers,
            seconds=elapsed,
            rate=summary.total_rows / elapsed,
        ),
        highlight=False,
    )
    if logins:
        accounts = Table(
            _("username"), _("role"), _("password (shown only now)"), title=_("Demo staff")
        )
        for login in logins:
            accounts.add_row(login.username, login.role, login.password)
        console.print(accounts)
    if not no_other_systems:
        _fill_other_systems(
            seed=seed, reference_date=reference_date.date() if reference_date else None
        )


def _fill_other_systems(*, seed: int, reference_date: date | None) -> None:
    # A transaction of its own, after the register's has committed: a system that cannot be
    # written leaves the register's demo in place, and is reported instead.
    from dataskydd.demo import other_systems

    settings = get_settings()
    with cli_transaction() as session:
        data_map = runtime.install_data_map(settings)
        if not data_map.external:
            return
        summary = other_systems.fill_other_systems(
            session,
            data_map,
            settings=settings,
            seed=seed,
            reference_date=reference_date,
            actor=cli_actor(),
        )
    table = Table(_("system"), _("table"), _("rows"), title=_("Other systems"))
    for system, tables in summary.items():
        for name, count in tables.items():
            table.add_row(system, name, f"{count:,}")
    if any(system not in summary.skipped for system in summary):
        console.print(table)
    for system, reason in summary.skipped.items():
        console.print(
            _("{system}: skipped: {reason}").format(system=system, reason=render(reason)),
            highlight=False,
            markup=False,
        )


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def register(app: typer.Typer) -> None:
    app.command(
        "demo",
        help=_(
            "Add demo customers, suppliers and their history to the register (one "
            "transaction), then rows for a share of the customers to each other system of the "
            "data map with a URL."
        )
        + "\n\n"
        + _(
            "Running it again adds more customers; numbers and identifiers never collide, and a "
            "customer who already has rows in another system gets no more there."
        ),
    )(demo)
