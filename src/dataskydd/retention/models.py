"""The evidence of retention runs. Ids, counts, table names and category keys
only, never the data; they outlive what they describe, so subjects are referred to by id."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum
from dataskydd.messages_i18n import Msg
from dataskydd.retention.rules import read_rule


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    # The process stopped midway (kill -9, a crash, a lost connection): every batch it
    # committed is in its lines, nothing else was touched; the next run carries on.
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class RetentionRun(IdMixin, Base):
    """One retention run, kept as evidence and shown to the DPO."""

    __tablename__ = "retention_run"

    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # Written with every committed batch: a running run whose heartbeat is old was stopped.
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, length=20))
    today: Mapped[date] = mapped_column(Date)  # the day the rules were applied for
    by: Mapped[str] = mapped_column(String(100))
    rows_erased: Mapped[int] = mapped_column(Integer, default=0)
    # Why it failed or which system could not be reached: error kinds, never a value or URL.
    problem: Mapped[str | None] = mapped_column(String(300))
    # The runs this one found stopped midway and finished the work of.
    resumed: Mapped[str] = mapped_column(String(200), default="")


class RetentionLine(IdMixin, Base):
    """What one run did to one category in one table of one system."""

    __tablename__ = "retention_line"
    __table_args__ = (UniqueConstraint("run_id", "system", "table_name", "category"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_run.id"), index=True)
    system: Mapped[str] = mapped_column(String(63))
    table_name: Mapped[str] = mapped_column(String(63))
    category: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(200))  # the rule and the date that made rows due
    action: Mapped[str] = mapped_column(String(20))  # delete, blank, anonymise
    rows_due: Mapped[int] = mapped_column(Integer, default=0)
    rows_erased: Mapped[int] = mapped_column(Integer, default=0)
    subjects: Mapped[int] = mapped_column(Integer, default=0)
    rows_held: Mapped[int] = mapped_column(Integer, default=0)
    rows_restricted: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def rule_message(self) -> Msg:
        """The rule as the message that made it, for the reader's language."""
        return read_rule(self.rule)


class RetentionSubject(Base):
    """The subjects a subject-level rule had made due when a run started, per scope (rule kind
    and category). Kept while the run works, so erasing the evidence of a relationship's end
    (roles, contracts) cannot make the rest of a subject's data look current again; a run that
    carries on after a stopped one takes over its list."""

    __tablename__ = "retention_subject"

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_run.id"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
