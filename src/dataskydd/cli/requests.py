"""`dataskydd requests list|remind|retry` and `dataskydd outbox [--send]`: the queue of
subjects' requests and the mail kept when no SMTP server is configured. Run `requests remind`
daily (cron or a systemd timer) so the DPO is told before due dates, and `requests retry`
every few minutes so requests waiting for another system go through once it is back."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.auth.access import AccessContext, operator_context
from dataskydd.cli import _, render
from dataskydd.cli._context import MAX_ID, cli_actor, cli_transaction, current_policy
from dataskydd.config import get_settings
from dataskydd.datamap.connections import SystemUnavailable
from dataskydd.errors import DataskyddError
from dataskydd.subject_requests import objections, outcomes
from dataskydd.subject_requests import outbox as outbox_service
from dataskydd.subject_requests import requests as request_service
from dataskydd.subject_requests import systems as request_systems
from dataskydd.subject_requests.models import RequestKind

app = typer.Typer(
    help=_("The queue of subjects' requests (GDPR art. 12–22)."), no_args_is_help=True
)
console = Console()


def _operator() -> AccessContext:
    return operator_context(cli_actor())


@app.command("list", help=_("Requests with status and due date; overdue ones are marked."))
def list_requests(
    view: Annotated[
        request_service.QueueView, typer.Option(help=_("open, overdue, closed or all."))
    ] = request_service.QueueView.OPEN,
    kind: Annotated[RequestKind | None, typer.Option(help=_("Only this kind."))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print a JSON array."))] = False,
) -> None:
    with cli_transaction() as session:
        items = request_service.list_queue(session, _operator(), view=view, kind=kind)
        rows = [
            {
                "id": i.request.id,
                "kind": i.request.kind.value,
                "status": i.request.status.value,
                "channel": i.request.channel.value,
                "received_at": i.request.received_at.isoformat(),
                "due_on": i.request.due_on.isoformat() if i.request.due_on else None,
                "overdue": i.overdue,
                "waiting_for": list(i.waiting),
            }
            for i in items
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        console.print(_("No requests."))
        return
    table = Table(_("id"), _("kind"), _("status"), _("channel"), _("received"), _("due"), "")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["kind"]),
            str(row["status"]),
            str(row["channel"]),
            str(row["received_at"])[:10],
            str(row["due_on"] or ""),
            " ".join([*([_("OVERDUE")] if row["overdue"] else []), *_waiting(row["waiting_for"])]),
        )
    console.print(table)


def _waiting(systems: object) -> list[str]:
    if not isinstance(systems, list) or not systems:
        return []
    return [_("waiting for {systems}").format(systems=", ".join(systems))]


@app.command(
    "remind",
    help=_(
        "Mail the DPO about requests due within a week (once per request), then send the "
        "outbox when DATASKYDD_SMTP_URL is set."
    ),
)
def remind(
    queue_url: Annotated[
        str | None,
        typer.Option(
            help=_("Link to the queue in the mail. Default: DATASKYDD_PUBLIC_BASE_URL + /requests.")
        ),
    ] = None,
) -> None:
    settings = get_settings()
    queue_url = queue_url or f"{settings.public_base_url or ''}/requests"
    with cli_transaction() as session:
        reminded = request_service.send_reminders(
            session, actor=cli_actor(), policy=current_policy(), queue_link=queue_url
        )
        sent = outbox_service.send_outbox(
            session, _operator(), smtp_url=settings.smtp_url, sender=settings.mail_sender
        )
    console.print(
        _("Reminded of {reminded} request(s); {sent} mail(s) sent.").format(
            reminded=len(reminded), sent=sent
        )
    )


@app.command(
    "retry",
    help=_(
        "Complete again every open request whose last try could not reach another system of "
        "the data map (docs/data-map.md). Each request in a transaction of its own; one that "
        "still waits stays open with a new receipt saying so. Exit 0 even then: waiting is not "
        "a fault of this command, and the DPO's queue shows it."
    ),
)
def retry(
    as_json: Annotated[bool, typer.Option("--json", help=_("Print a JSON object."))] = False,
) -> None:
    settings = get_settings()
    with cli_transaction() as session:
        waiting = request_systems.waiting_requests(session)
    outcome: dict[str, list[int]] = {"completed": [], "waiting": [], "failed": []}
    for request_id in sorted(waiting):
        try:
            with cli_transaction() as session:
                outcomes.complete_request(
                    session,
                    operator_context(f"{cli_actor()} (requests retry)"),
                    policy=current_policy(),
                    request_id=request_id,
                    link_base=settings.public_base_url or "",
                )
            outcome["completed"].append(request_id)
        except SystemUnavailable:
            outcome["waiting"].append(request_id)
        except DataskyddError as error:
            # Another reason (e.g. no public address for the link): said, and left open.
            outcome["failed"].append(request_id)
            if not as_json:
                console.print(
                    _("Request {id}: {message}").format(
                        id=request_id, message=render(error.message)
                    ),
                    markup=False,
                )
    if as_json:
        typer.echo(json.dumps(outcome))
        return
    console.print(
        _(
            "Completed {completed} request(s); {waiting} still waiting for another system; "
            "{failed} not done for another reason."
        ).format(
            completed=len(outcome["completed"]),
            waiting=len(outcome["waiting"]),
            failed=len(outcome["failed"]),
        )
    )


def outbox(
    send: Annotated[
        bool, typer.Option("--send", help=_("Send unsent mail over SMTP now."))
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help=_("Show at most this many."))] = 50,
) -> None:
    settings = get_settings()
    with cli_transaction() as session:
        if send:
            sent = outbox_service.send_outbox(
                session, _operator(), smtp_url=settings.smtp_url, sender=settings.mail_sender
            )
            if not settings.smtp_url:
                console.print(_("DATASKYDD_SMTP_URL is not set: mail stays in the outbox."))
            console.print(_("{sent} mail(s) sent.").format(sent=sent))
            return
        mails = outbox_service.show_outbox(
            session, _operator(), policy=current_policy(), limit=limit
        )
        for mail in mails:
            state = mail.sent_at.isoformat() if mail.sent_at else (mail.error or _("not sent"))
            when = mail.created_at.isoformat()
            console.print(f"#{mail.id} {when} → {mail.to_address} ({state})", markup=False)
            console.print(f"  {mail.subject_line}", markup=False)
            console.print("  " + mail.body.replace("\n", "\n  "), markup=False)
        if not mails:
            console.print(_("The outbox is empty."))


@app.command(
    "override-objection",
    help=_(
        "Record compelling grounds that let processing go on despite an objection (never for "
        "direct marketing). Kept with the objection and audited."
    ),
)
def override_objection(
    subject_id: Annotated[
        int, typer.Argument(min=1, max=MAX_ID, help=_("The subject who objected."))
    ],
    purpose: Annotated[str, typer.Option(help=_("The purpose objected to (a policy key)."))],
    reason: Annotated[
        str,
        typer.Option(help=_("The compelling legitimate grounds (GDPR art. 21.1), 10-500 chars.")),
    ],
) -> None:
    with cli_transaction() as session:
        row = objections.record_compelling_grounds(
            session,
            _operator(),
            policy=current_policy(),
            subject_id=subject_id,
            purpose=purpose,
            reason=reason,
        )
    console.print(_("Compelling grounds recorded on objection #{id}.").format(id=row.id))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="requests")
    root.command(
        "outbox",
        help=_("Show the outbox (audited: it holds correspondence), or send what is unsent."),
    )(outbox)
