"""The registry of promise checks: `@promise(key=..., title_sv=..., title_en=...)`.

A check is `(session, policy, ctx) -> Evidence`. With `each=`, a function of the policy that
lists items (purposes, categories, recipients), the check runs once per item and reads it from
`ctx.item`; its evidence keys are `<key>.<item>`. The registry knows no check: modules register
theirs when imported (service.py imports every `promises/checks_*.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dataskydd.policy.schema import Lang, LocalizedText, Policy

# Enough to find the cause; the evidence sentence gives the full count.
MAX_OFFENDING = 10


class Status(StrEnum):
    HOLDS = "holds"
    BROKEN = "broken"
    # Not checkable yet (the feature that would keep it is not built); printed, never hidden.
    NOT_CHECKED = "not_checked"


def text(sv: str, en: str) -> LocalizedText:
    return LocalizedText(sv=sv, en=en)


def localized(build: Callable[[Lang], str]) -> LocalizedText:
    """A text written once as a function of the language."""
    return LocalizedText(sv=build("sv"), en=build("en"))


@dataclass(frozen=True)
class Evidence:
    key: str
    title: LocalizedText
    # What the notice promises, in its words where it has them, built from the policy.
    promise: LocalizedText
    status: Status
    # What was checked, with the figures; for NOT_CHECKED, why not.
    evidence: LocalizedText
    # Ids only ("audit_entry:17 subject:4"), never personal values; at most MAX_OFFENDING.
    offending: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return self.status is Status.HOLDS

    @property
    def broken(self) -> bool:
        return self.status is Status.BROKEN

    def as_dict(self, lang: Lang) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title.get(lang),
            "promise": self.promise.get(lang),
            "status": self.status.value,
            "evidence": self.evidence.get(lang),
            "offending": list(self.offending),
        }


@dataclass(frozen=True)
class CheckContext:
    """What a check may need besides the session and the policy."""

    now: datetime
    today: date
    # The inactivity timeout the web app applies (settings override, else the policy's).
    inactivity_timeout: timedelta
    # The audit checkpoint file (audit/checkpoint_file.default_path of the settings).
    checkpoint_path: Path | None = None
    # Set by the registry for each run of a check.
    key: str = ""
    title: LocalizedText = field(default_factory=lambda: text("-", "-"))
    item: str | None = None

    @property
    def subject(self) -> str:
        """The item of an `each=` check (a purpose, category or recipient key)."""
        if self.item is None:
            raise ValueError(f"promise {self.key} was not registered with each=")
        return self.item

    def holds(self, promise: LocalizedText, evidence: LocalizedText) -> Evidence:
        return Evidence(self.key, self.title, promise, Status.HOLDS, evidence)

    def broken(
        self, promise: LocalizedText, evidence: LocalizedText, offending: Sequence[str]
    ) -> Evidence:
        return Evidence(
            self.key,
            self.title,
            promise,
            Status.BROKEN,
            evidence,
            tuple(offending[:MAX_OFFENDING]),
        )

    def not_checked(self, promise: LocalizedText, reason: LocalizedText) -> Evidence:
        return Evidence(self.key, self.title, promise, Status.NOT_CHECKED, reason)

    def verdict(
        self, promise: LocalizedText, evidence: LocalizedText, offending: Sequence[str]
    ) -> Evidence:
        """Holds when nothing offends, else broken."""
        if offending:
            return self.broken(promise, evidence, offending)
        return self.holds(promise, evidence)


Check = Callable[[Session, Policy, CheckContext], Evidence]
Items = Callable[[Policy], Iterable[str]]


@dataclass(frozen=True)
class RegisteredPromise:
    key: str
    title: LocalizedText
    check: Check
    each: Items | None
    order: int

    def run(self, session: Session, policy: Policy, ctx: CheckContext) -> list[Evidence]:
        if self.each is None:
            return [self._guarded(session, policy, replace(ctx, key=self.key, title=self.title))]
        return [
            self._guarded(
                session, policy, replace(ctx, key=f"{self.key}.{item}", title=self.title, item=item)
            )
            for item in self.each(policy)
        ]

    def _guarded(self, session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
        """A check the database cannot run (say, an audit detail edited into invalid JSON,
        which the JSON functions refuse) is reported broken, not skipped: the other checks
        still run, each in its own savepoint."""
        try:
            with session.begin_nested():
                return self.check(session, policy, ctx)
        except SQLAlchemyError as error:
            # The class only: a database's message may quote the data it choked on.
            kind = type(error).__name__
            return ctx.broken(
                self.title,
                text(
                    f"kontrollen kunde inte köras i databasen ({kind}); se loggkedjan",
                    f"the check could not run in the database ({kind}); see the audit chain",
                ),
                [f"check:{ctx.key}"],
            )


_REGISTRY: dict[str, RegisteredPromise] = {}


def promise(
    *, key: str, title_sv: str, title_en: str, each: Items | None = None, order: int = 100
) -> Callable[[Check], Check]:
    """Register a check. `order` places it in the report (lower first, then by key)."""

    def register(check: Check) -> Check:
        existing = _REGISTRY.get(key)
        if existing is not None and _name(existing.check) != _name(check):
            raise ValueError(f"promise key {key!r} is registered twice")
        _REGISTRY[key] = RegisteredPromise(key, text(title_sv, title_en), check, each, order)
        return check

    return register


def _name(check: Check) -> str:
    return f"{check.__module__}.{check.__qualname__}"


def registered() -> tuple[RegisteredPromise, ...]:
    return tuple(sorted(_REGISTRY.values(), key=lambda entry: (entry.order, entry.key)))


def run_all(session: Session, policy: Policy, ctx: CheckContext) -> list[Evidence]:
    return [evidence for entry in registered() for evidence in entry.run(session, policy, ctx)]
