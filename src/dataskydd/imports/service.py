"""`import subjects`: a file's rows validated, matched to the subjects the register holds and
written, in batches, inside the caller's one transaction - so an import is whole or absent,
whatever stops it (kill -9 included). Memory is bounded by the batch, not the file: a row is
matched against the database (where the file's earlier batches already are, uncommitted, in
this transaction) and against the rows of its own batch.

Duplicates (docs/import.md): a row whose personnummer, organisationsnummer or an e-mail
address finds a subject - one already in the register or one an earlier row creates - is
merged into it: empty fields filled, new contact points, addresses and roles added; a value
that differs from the one held is kept as held and reported as a conflict. A row whose
identifiers find two different subjects is rejected. So a rerun finds every subject again
and adds nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.db.driver_writes import DriverWriter
from dataskydd.imports import decisions, store
from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import Mapping, check_against_header
from dataskydd.imports.merging import Held, Key, Keys, merge
from dataskydd.imports.models import ImportStatus, SubjectImport
from dataskydd.imports.reading import Source, SourceRow
from dataskydd.imports.rows import Candidate, Problem
from dataskydd.imports.validating import Result, validated
from dataskydd.policy.schema import Policy

# Problems and conflicts kept for the report; the rest are counted (and in the rejects file).
MAX_REPORTED = 1000


class Mode(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    SKIP_INVALID = "skip_invalid"
    DRY_RUN = "dry_run"


@dataclass
class Outcome:
    rows: int = 0
    imported: int = 0  # new subjects
    merged: int = 0  # rows that added to a subject held (or created earlier in the file)
    skipped: int = 0  # rows whose subject already held everything they have
    rejected: int = 0
    conflicts: int = 0
    problems: list[Problem] = field(default_factory=list)
    conflict_list: list[Problem] = field(default_factory=list)
    import_id: int | None = None

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "merged": self.merged,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "conflicts": self.conflicts,
        }


OnReject = Callable[[SourceRow, list[Problem]], None]
OnProgress = Callable[[int, int], None]  # rows read, bytes read


@dataclass
class Importer:
    session: Session | None  # None: a dry run, which reads no database
    policy: Policy | None
    caller: AccessContext
    source: Source
    mapping: Mapping
    mapping_sha256: str
    limits: ImportLimits
    mode: Mode
    on_reject: OnReject | None = None
    on_progress: OnProgress | None = None
    # Processes validating rows beside this one (imports/validating.py); 0: validated here.
    workers: int = 0
    outcome: Outcome = field(default_factory=Outcome)

    def run(self) -> Outcome:
        check_against_header(self.mapping, self.source.header)
        purpose = None
        writer = None
        if self.session is not None and self.mode is not Mode.DRY_RUN:
            assert self.policy is not None
            store.lock_imports(self.session)
            purpose = decisions.authorise_new_subjects(self.session, self.policy, self.caller)
            writer = DriverWriter(self.session)
        batches = validated(
            _batches(self.source.rows, self.limits.batch_size),
            mapping=self.mapping,
            header=self.source.header,
            limits=self.limits,
            workers=self.workers,
            indexer=crypto.current_keyring().indexer if writer is not None else None,
        )
        for number, (batch, results) in enumerate(batches, 1):
            candidates = self._sort(batch, results)
            writing = writer is not None and (
                self.mode is Mode.SKIP_INVALID or self.outcome.rejected == 0
            )
            if writing:
                assert writer is not None
                assert purpose is not None
                self._write(writer, purpose, number, candidates)
            else:
                # Nothing is written once a row failed (all or nothing) or in a dry run; the
                # rest is still read, so the report names every problem at once.
                self.outcome.imported += len(candidates)
            if self.on_progress:
                self.on_progress(self.outcome.rows, self.source.done_bytes())
        return self.outcome

    def _reject(self, row: SourceRow, problems: list[Problem]) -> None:
        self.outcome.rejected += 1
        room = MAX_REPORTED - len(self.outcome.problems)
        self.outcome.problems.extend(problems[: max(room, 0)])
        if self.on_reject:
            self.on_reject(row, problems)

    def _reject_candidate(self, candidate: Candidate, reason: str) -> None:
        self._reject(
            SourceRow(candidate.row, candidate.raw), [Problem(candidate.row, "row", reason)]
        )

    def _sort(self, batch: list[SourceRow], results: list[Result]) -> list[Candidate]:
        candidates = []
        for row, found in zip(batch, results, strict=True):
            self.outcome.rows += 1
            if isinstance(found, Candidate):
                candidates.append(found)
            else:
                self._reject(row, found)
        return candidates

    def _write(
        self, writer: DriverWriter, purpose: str, number: int, candidates: list[Candidate]
    ) -> None:
        assert self.session is not None
        assert self.policy is not None
        matches = store.find_matches(self.session, (c.data.keys for c in candidates))
        existing = {subject_id for ids in matches.values() for subject_id in ids}
        refused = decisions.decide_existing(
            self.session,
            self.policy,
            self.caller,
            purpose=purpose,
            subject_ids=sorted(existing),
            import_batch=number,
        )
        held_by_id = store.load_held(self.session, sorted(existing - set(refused)))
        pending: dict[tuple[str, str], Held] = {}
        touched: dict[int, Held] = {}
        today = today_in_sweden()
        for candidate in candidates:
            keys = candidate.data.keys
            targets = self._targets(keys, matches, held_by_id, pending)
            refusal = (
                next((refused[i] for i in _ids(keys, matches) if i in refused), None)
                if refused
                else None
            )
            if refusal is not None:
                self._reject_candidate(candidate, f"access refused: {refusal}")
                continue
            if len(targets) > 1:
                self._reject_candidate(candidate, "its identifiers find two different subjects")
                continue
            held = targets[0] if targets else Held.new(candidate.data.kind)
            changed, conflicts = merge(held, candidate.data, candidate.started_on or today)
            if "kind" in conflicts:
                self._reject_candidate(candidate, "finds a subject of the other kind")
                continue
            self._count(candidate, changed, conflicts, targets=targets)
            for key in keys:
                pending.setdefault(key, held)
            touched[id(held)] = held
        store.write_batch(
            self.session,
            writer,
            list(touched.values()),
            actor=self.caller.actor,
            reason="bulk import",
        )

    def _targets(
        self,
        keys: Keys,
        matches: dict[Key, set[int]],
        held_by_id: dict[int, Held],
        pending: dict[Key, Held],
    ) -> list[Held]:
        found: dict[int, Held] = {}
        for key in keys:
            if key in pending:
                found[id(pending[key])] = pending[key]
            for subject_id in matches.get(key, ()):
                if subject_id in held_by_id:
                    held = held_by_id[subject_id]
                    found[id(held)] = held
        return list(found.values())

    def _count(
        self,
        candidate: Candidate,
        changed: bool,
        conflicts: list[str],
        *,
        targets: list[Held],
    ) -> None:
        if not targets:
            self.outcome.imported += 1
        elif changed:
            self.outcome.merged += 1
        else:
            self.outcome.skipped += 1
        if conflicts:
            self.outcome.conflicts += 1
            room = MAX_REPORTED - len(self.outcome.conflict_list)
            self.outcome.conflict_list.extend(
                Problem(candidate.row, name, "differs from the register's value, which was kept")
                for name in conflicts[: max(room, 0)]
            )


def _ids(keys: Keys, matches: dict[Key, set[int]]) -> set[int]:
    return {subject_id for key in keys for subject_id in matches.get(key, ())}


def _batches(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def record_import(
    session: Session,
    *,
    actor: str,
    source: Source,
    mapping_sha256: str,
    outcome: Outcome,
    status: ImportStatus,
    started_at: object,
) -> SubjectImport:
    """The import's log row and its one audit entry: hashes, counts, by whom."""
    entry = SubjectImport(
        file_sha256=source.sha256,
        mapping_sha256=mapping_sha256,
        file_format=source.format,
        status=status,
        rows_total=outcome.rows,
        # A rejected import wrote nothing, whatever its first batches had counted.
        imported=outcome.imported if status is ImportStatus.FINISHED else 0,
        merged=outcome.merged if status is ImportStatus.FINISHED else 0,
        skipped=outcome.skipped if status is ImportStatus.FINISHED else 0,
        rejected=outcome.rejected,
        conflicts=outcome.conflicts,
        imported_by=actor,
        started_at=started_at,
        finished_at=utc_now(),
    )
    session.add(entry)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject.import" if status is ImportStatus.FINISHED else "subject.import.rejected",
        detail={
            "import": entry.id,
            "file_sha256": source.sha256,
            "mapping_sha256": mapping_sha256,
            "format": source.format,
            **outcome.counts(),
        },
    )
    outcome.import_id = entry.id
    return entry


def recent_imports(session: Session, limit: int = 100) -> list[SubjectImport]:
    return list(
        session.scalars(select(SubjectImport).order_by(SubjectImport.id.desc()).limit(limit))
    )
