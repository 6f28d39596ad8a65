"""`dataskydd init`: database, migrations, secret key and the first admin account."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from dataskydd import crypto, runtime
from dataskydd.access import guard
from dataskydd.auth import service as auth_service
from dataskydd.cli import _, _context
from dataskydd.cli.maintenance import personal_columns
from dataskydd.config import get_settings
from dataskydd.db.maintenance import exclude_from_statistics
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Permission

console = Console()


def init(
    admin_username: Annotated[
        str, typer.Option(help=_("Username of the first admin account."))
    ] = "admin",
    admin_password: Annotated[
        str | None,
        typer.Option(
            envvar="DATASKYDD_ADMIN_PASSWORD",
            help=_(
                "Password of the first admin; when not given, one is generated and printed once."
            ),
        ),
    ] = None,
) -> None:
    settings = get_settings()
    if settings.secret_key is None and not settings.key_file.exists():
        crypto.write_key_file(settings.key_file, crypto.generate_secret())
        console.print(
            _(
                "Created secret key {key_file} (keep it out of database backups; without it "
                "the personnummer in the database cannot be read)."
            ).format(key_file=settings.key_file)
        )
    runtime.install_secret(settings)
    engine = runtime.engine_for(settings.database_url)
    # Migrations may copy tables of personal data: the operator changing the schema, for no
    # purpose of the policy and shown to no one, so outside the access decision (access.guard).
    with guard.internal():
        upgrade_to_head(engine)
    console.print(_("Database is at the latest schema."))
    if engine.dialect.name == "postgresql":
        # Before any data arrives, so ANALYZE never copies a personal value into
        # pg_statistic; again after every upgrade, for the columns a migration added.
        runtime.install_data_map(settings)
        for step in exclude_from_statistics(engine, personal_columns()):
            console.print(_("Statistics: {step}").format(step=step), highlight=False, markup=False)
    with _context.cli_transaction() as session:
        if auth_service.count_staff_users(session) > 0:
            console.print(_("Staff accounts exist already; no admin account created."))
            return
        policy = _context.current_policy()
        admin_roles = policy.roles_with(Permission.ACCOUNTS_ADMIN)
        if not admin_roles:
            raise ConfigurationError(
                Msg(
                    "the policy has no role with the permission accounts.admin; "
                    "add one under roles (see `dataskydd policy check`)"
                )
            )
        user, generated = auth_service.create_staff_user(
            session,
            policy=policy,
            username=admin_username,
            role=admin_roles[0],
            password=admin_password,
        )
    console.print(
        _("Created admin account [bold]{username}[/bold].").format(username=user.username)
    )
    if generated is not None:
        # Printed once and never stored in plain text: the operator must copy it now.
        console.print(
            _("Password (shown only now): [bold]{password}[/bold]").format(password=generated),
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command(
        "init",
        help=_("Create the database, its tables, the secret key and the first admin account.")
        + "\n\n"
        + _("Safe to run again: it migrates to the latest schema and creates nothing twice."),
    )(init)
