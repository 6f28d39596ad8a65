"""`dataskydd import subjects|list`: bulk import of an existing customer base from CSV or
XLSX (docs/import.md). One transaction: the import is whole or absent. The report names rows,
columns and rules, never a value from the file."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dataskydd.auth.access import operator_context
from dataskydd.cli import _, render
from dataskydd.cli._context import JsonOption, cli_actor, cli_transaction, current_policy
from dataskydd.cli._files import atomic_file
from dataskydd.clock import utc_now
from dataskydd.config import build_settings
from dataskydd.errors import InvalidInput
from dataskydd.imports import service
from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import load_mapping
from dataskydd.imports.models import ImportStatus
from dataskydd.imports.reading import Source, SourceRow, open_source
from dataskydd.imports.rows import Problem, text_of
from dataskydd.imports.service import Importer, Mode, Outcome
from dataskydd.imports.suggest import suggest as suggest_mapping
from dataskydd.messages_i18n import Msg

app = typer.Typer(
    help=_("Bulk import of an existing customer base from CSV or XLSX (docs/import.md)."),
    no_args_is_help=True,
)
console = Console(width=160)
_SHOWN_PROBLEMS = 50


class _Rejected(Exception):
    """Invalid rows without --skip-invalid: the transaction is rolled back."""


def _limits() -> ImportLimits:
    return build_settings(ImportLimits)


class _RejectsFile:
    """The rejected rows as they were, each with its reasons in a last column."""

    def __init__(self, handle: IO[str], header: list[str]) -> None:
        self._writer = csv.writer(handle, delimiter=";")
        self._writer.writerow([*header, "dataskydd_reasons"])

    def __call__(self, row: SourceRow, problems: list[Problem]) -> None:
        reasons = "; ".join(f"{p.column}: {p.reason}" for p in problems)
        self._writer.writerow(
            [text_of(cell) for cell in row.cells] + [f"row {row.number}: {reasons}"]
        )


@contextmanager
def _rejects(target: Path | None, header: list[str]) -> Iterator[_RejectsFile | None]:
    if target is None:
        yield None
        return
    if target.is_dir():
        raise InvalidInput("skip-invalid", Msg("is a folder; name the file to write"))
    with atomic_file(target) as temp, temp.open("w", encoding="utf-8-sig", newline="") as handle:
        yield _RejectsFile(handle, header)


def _progress(source: Source, quiet: bool) -> tuple[Any, Any]:
    """A progress bar on a terminal (by bytes of the file read); nothing otherwise."""
    if quiet or not sys.stderr.isatty():
        return nullcontext(), None
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn(_("{task.fields[rows]:,} rows")),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(_("Importing"), total=source.size, rows=0)

    def update(rows: int, done: int) -> None:
        bar.update(task, completed=done, rows=rows)

    return bar, update


def _print_report(outcome: Outcome, *, header: str) -> None:
    console.print(header, highlight=False, markup=False)
    for title, items in (
        (_("Problems"), outcome.problems),
        (_("Conflicts"), outcome.conflict_list),
    ):
        if not items:
            continue
        table = Table(_("row"), _("column"), _("what is wrong"), title=title)
        for item in items[:_SHOWN_PROBLEMS]:
            table.add_row(str(item.row), item.column, render(item.reason))
        console.print(table)
        if len(items) > _SHOWN_PROBLEMS:
            console.print(
                _("… and {more} more (--json lists up to {most})").format(
                    more=len(items) - _SHOWN_PROBLEMS, most=service.MAX_REPORTED
                ),
                highlight=False,
            )


def _as_json(outcome: Outcome, source: Source, mapping_sha256: str, status: str) -> str:
    return json.dumps(
        {
            "status": status,
            "import": outcome.import_id,
            "file_sha256": source.sha256,
            "mapping_sha256": mapping_sha256,
            "format": source.format,
            "encoding": source.encoding,
            "delimiter": source.delimiter,
            **outcome.counts(),
            "problems": [p.__dict__ for p in outcome.problems],
            "conflicts_found": [p.__dict__ for p in outcome.conflict_list],
        }
    )


def _counts_line(outcome: Outcome) -> str:
    return _(
        "{rows} row(s): {imported} new subject(s), {merged} merged, {skipped} already held, "
        "{rejected} rejected, {conflicts} with conflicts"
    ).format(
        rows=outcome.rows,
        imported=outcome.imported,
        merged=outcome.merged,
        skipped=outcome.skipped,
        rejected=outcome.rejected,
        conflicts=outcome.conflicts,
    )


@app.command(
    "subjects",
    help=_("Import subjects from a CSV or XLSX file, all rows or none (see docs/import.md)."),
)
def subjects(
    file: Annotated[Path, typer.Argument(help=_("The CSV or XLSX file to import."))],
    mapping: Annotated[
        Path | None, typer.Option(help=_("The mapping file (YAML): column → register field."))
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Validate every row and report; write nothing."))
    ] = False,
    skip_invalid: Annotated[
        Path | None,
        typer.Option(
            "--skip-invalid",
            help=_("Import the valid rows; write the rejected ones with their reasons here."),
        ),
    ] = None,
    suggest: Annotated[
        bool, typer.Option("--suggest", help=_("Print a proposed mapping for this file."))
    ] = False,
    as_json: JsonOption = False,
) -> None:
    limits = _limits()
    if suggest:
        source = open_source(file, limits)
        _plan, text = suggest_mapping(source)
        typer.echo(text, nl=False)
        return
    if mapping is None:
        raise InvalidInput("mapping", Msg("give --mapping MAP.yaml (or --suggest to propose one)"))
    if dry_run and skip_invalid is not None:
        raise InvalidInput(
            "skip-invalid", Msg("a dry run writes nothing; leave out --skip-invalid")
        )
    plan, mapping_sha256 = load_mapping(mapping)
    source = open_source(file, limits, sheet=plan.sheet)
    caller = operator_context(cli_actor())
    if dry_run:
        outcome = Importer(
            None,
            None,
            caller,
            source,
            plan,
            mapping_sha256,
            limits,
            Mode.DRY_RUN,
            workers=limits.worker_count(),
        ).run()
        if as_json:
            typer.echo(_as_json(outcome, source, mapping_sha256, "dry_run"))
        else:
            _print_report(
                outcome,
                header=_(
                    "Dry run, nothing written. {rows} row(s): {valid} valid, {invalid} invalid."
                ).format(rows=outcome.rows, valid=outcome.imported, invalid=outcome.rejected),
            )
        if outcome.rejected:
            raise typer.Exit(1)
        return
    mode = Mode.SKIP_INVALID if skip_invalid is not None else Mode.ALL_OR_NOTHING
    started = utc_now()
    bar, update = _progress(source, as_json)
    try:
        with _rejects(skip_invalid, source.header) as on_reject, bar, cli_transaction() as session:
            policy = current_policy()
            outcome = Importer(
                session,
                policy,
                caller,
                source,
                plan,
                mapping_sha256,
                limits,
                mode,
                on_reject=on_reject,
                on_progress=update,
                workers=limits.worker_count(),
            ).run()
            if outcome.rejected and mode is Mode.ALL_OR_NOTHING:
                raise _Rejected
            service.record_import(
                session,
                actor=caller.actor,
                source=source,
                mapping_sha256=mapping_sha256,
                outcome=outcome,
                status=ImportStatus.FINISHED,
                started_at=started,
            )
    except _Rejected:
        # Rolled back whole; the attempt itself is kept as evidence, with its counts.
        with cli_transaction() as session:
            service.record_import(
                session,
                actor=caller.actor,
                source=source,
                mapping_sha256=mapping_sha256,
                outcome=outcome,
                status=ImportStatus.REJECTED,
                started_at=started,
            )
        if as_json:
            typer.echo(_as_json(outcome, source, mapping_sha256, "rejected"))
        else:
            _print_report(
                outcome,
                header=_(
                    "Nothing imported: {rejected} of {rows} row(s) are invalid. Fix them, or "
                    "import the valid rows with --skip-invalid FILE."
                ).format(rejected=outcome.rejected, rows=outcome.rows),
            )
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(_as_json(outcome, source, mapping_sha256, "finished"))
        return
    lines = [
        _("Import {id}: {counts}.").format(id=outcome.import_id, counts=_counts_line(outcome)),
        _("File SHA-256 {sha256}").format(sha256=source.sha256),
    ]
    if skip_invalid and outcome.rejected:
        lines.append(_("Rejected rows written to {file}").format(file=skip_invalid))
    _print_report(outcome, header="\n".join(lines))


@app.command(
    "list", help=_("Past imports, newest first: when, by whom, the file's hash and the counts.")
)
def list_imports(
    limit: Annotated[int, typer.Option(min=1, max=1000, help=_("At most this many."))] = 100,
    as_json: JsonOption = False,
) -> None:
    with cli_transaction() as session:
        rows: list[dict[str, Any]] = [
            {
                "import": item.id,
                "status": item.status.value,
                "format": item.file_format,
                "file_sha256": item.file_sha256,
                "mapping_sha256": item.mapping_sha256,
                "rows": item.rows_total,
                "imported": item.imported,
                "merged": item.merged,
                "skipped": item.skipped,
                "rejected": item.rejected,
                "conflicts": item.conflicts,
                "imported_by": item.imported_by,
                "finished_at": item.finished_at.isoformat(),
            }
            for item in service.recent_imports(session, limit)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(
        _("import"),
        _("when"),
        _("by"),
        _("status"),
        _("rows"),
        _("new"),
        _("merged"),
        _("held"),
        _("rejected"),
        _("file SHA-256"),
    )
    for row in rows:
        table.add_row(
            str(row["import"]),
            row["finished_at"][:16],
            row["imported_by"],
            row["status"],
            str(row["rows"]),
            str(row["imported"]),
            str(row["merged"]),
            str(row["skipped"]),
            str(row["rejected"]),
            row["file_sha256"][:16] + "…",
        )
    console.print(table)
