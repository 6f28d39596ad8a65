"""`dataskydd recommendations train|show`: train the recommendation model now (as the nightly
job does), or show one subject's recommendations under a stated purpose (docs/recommendations.md).
The command line holds every permission; the access decision still rules the subject's data."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dataskydd.auth.access import operator_context
from dataskydd.cli import _
from dataskydd.cli._context import MAX_ID, Language, cli_actor, cli_transaction, current_policy
from dataskydd.formatting import format_moment
from dataskydd.recommendations import serving, training

app = typer.Typer(
    help=_("Personal recommendations from viewing history: train the model, show a subject's."),
    no_args_is_help=True,
)


@app.command(
    "train", help=_("Train the model from the viewing events the recommendations purpose may use.")
)
def train(
    as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON."))] = False,
) -> None:
    policy = current_policy()
    with cli_transaction() as session:
        done = training.train(session, policy, actor=cli_actor())
        summary = {
            "training_id": done.id,
            "started_at": done.started_at.isoformat(),
            "finished_at": done.finished_at.isoformat() if done.finished_at else None,
            "subjects_used": done.subjects_used,
            "subjects_excluded": done.subjects_excluded,
            "events_used": done.events_used,
            "items": done.items,
        }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(
        _(
            "Training {id}: {events} viewing events of {subjects} subjects, {items} titles; "
            "{excluded} subjects left out (objection or restriction)."
        ).format(
            id=summary["training_id"],
            events=summary["events_used"],
            subjects=summary["subjects_used"],
            items=summary["items"],
            excluded=summary["subjects_excluded"],
        )
    )


@app.command(
    "show", help=_("Show a subject's recommendations now, each with its reason (audited).")
)
def show(
    subject_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help=_("The subject's id."))],
    purpose: Annotated[str, typer.Option(help=_("The purpose of the read (policy key)."))],
    limit: Annotated[int, typer.Option(min=1, max=serving.MAX_LIMIT, help=_("How many."))] = 10,
    lang: Annotated[Language, typer.Option("--lang", help=_("Language of the reasons."))] = (
        Language.SV
    ),
    as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON."))] = False,
) -> None:
    policy = current_policy()
    with cli_transaction() as session:
        found = serving.recommend(
            session,
            policy,
            operator_context(cli_actor()),
            subject_id=subject_id,
            purpose=purpose,
            limit=limit,
            lang=lang.as_lang(),
        )
    if as_json:
        typer.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2, default=str))
        return
    if found.training_id is None or found.trained_at is None:
        typer.echo(_("No model has been trained yet: run `dataskydd recommendations train`."))
        return
    typer.echo(
        _("Model: training {id}, {at}").format(
            id=found.training_id, at=format_moment(found.trained_at)
        )
    )
    if not found.items:
        typer.echo(_("No recommendations: no viewing of this subject to start from."))
    for number, item in enumerate(found.items, start=1):
        typer.echo(f"{number:>2}. {item.title}  ({item.score:.3f}) — {item.reason}")
