"""Run every registered promise check: the report `dataskydd promises` prints and the DPO's
page shows. Reading it is audited ("promises.check")."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.audit import checkpoint_file
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import SWEDEN, utc_now
from dataskydd.config import Settings, get_settings
from dataskydd.policy.schema import Lang, Policy
from dataskydd.promises.registry import CheckContext, Evidence, Status, run_all

AUDIT_ACTION = "promises.check"


@dataclass(frozen=True)
class PromiseReport:
    checked_at: datetime
    policy_version: str
    promises: tuple[Evidence, ...]

    def with_status(self, status: Status) -> tuple[Evidence, ...]:
        return tuple(evidence for evidence in self.promises if evidence.status is status)

    @property
    def broken(self) -> tuple[Evidence, ...]:
        return self.with_status(Status.BROKEN)

    @property
    def not_checked(self) -> tuple[Evidence, ...]:
        return self.with_status(Status.NOT_CHECKED)

    @property
    def holding(self) -> tuple[Evidence, ...]:
        return self.with_status(Status.HOLDS)

    @property
    def ok(self) -> bool:
        """No promise is broken (promises not checked yet do not fail the report)."""
        return not self.broken

    def counts(self) -> dict[str, int]:
        return {status.value: len(self.with_status(status)) for status in Status}

    def as_dict(self, lang: Lang) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at.isoformat(),
            "policy_version": self.policy_version,
            "ok": self.ok,
            "counts": self.counts(),
            "promises": [evidence.as_dict(lang) for evidence in self.promises],
        }


@cache
def load_checks() -> tuple[str, ...]:
    """Import every `dataskydd.promises.checks_*` module, which registers its checks."""
    package = importlib.import_module("dataskydd.promises")
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("checks_")
    )
    for name in names:
        importlib.import_module(f"dataskydd.promises.{name}")
    return tuple(names)


def applied_inactivity_timeout(settings: Settings, policy: Policy) -> timedelta:
    """The timeout the web app applies (web/app.py): the setting's override, else the policy's."""
    return timedelta(
        seconds=settings.session_inactivity_seconds
        or policy.security.session_inactivity_minutes * 60
    )


def check_promises(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    settings: Settings | None = None,
    inactivity_timeout: timedelta | None = None,
    now: datetime | None = None,
) -> PromiseReport:
    """Every promise, checked now. `inactivity_timeout` is the running web app's, when the
    caller is the web app; otherwise what the web app would apply with these settings."""
    caller.require(Permission.AUDIT_READ)
    settings = settings or get_settings()
    now = now or utc_now()
    ctx = CheckContext(
        now=now,
        today=now.astimezone(SWEDEN).date(),
        inactivity_timeout=inactivity_timeout or applied_inactivity_timeout(settings, policy),
        checkpoint_path=checkpoint_file.default_path(settings),
    )
    load_checks()
    report = PromiseReport(now, policy.version, tuple(run_all(session, policy, ctx)))
    audit_service.record(
        session,
        actor=caller.actor,
        action=AUDIT_ACTION,
        detail={
            "counts": report.counts(),
            "broken": [evidence.key for evidence in report.broken],
        },
    )
    return report
