"""A DPO's and a customer service agent's access contexts from the policy under test, and a
breach as the DPO would describe it, with keys taken from that policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dataskydd.auth.access import AccessContext, Permission, staff_context
from dataskydd.breaches.records import BreachInput
from dataskydd.clock import SWEDEN, utc_now
from dataskydd.config import Settings
from dataskydd.datamap.entries import contact_category
from dataskydd.policy.schema import Policy
from tests.conftest import TEST_SECRET


def role_key(policy: Policy, *, manages: bool) -> str:
    return next(
        key
        for key, role in policy.roles.items()
        if (Permission.BREACHES_MANAGE in role.permissions) is manages
        and Permission.OWN_ACCOUNT in role.permissions
        and (manages or Permission.SUBJECT_READ in role.permissions)
    )


@pytest.fixture
def dpo(policy: Policy) -> AccessContext:
    return staff_context(
        policy=policy, username="dora", role=role_key(policy, manages=True), user_id=1
    )


@pytest.fixture
def agent(policy: Policy) -> AccessContext:
    return staff_context(
        policy=policy, username="anna", role=role_key(policy, manages=False), user_id=2
    )


def local(moment: datetime) -> str:
    return moment.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")


def record_options(policy: Policy, *, hours_ago: int = 2) -> list[str]:
    """`breaches record`'s options for one breach: a customer list sent to the wrong
    recipient, known `hours_ago` hours."""
    return [
        "--title", "Kundlista till fel mottagare",
        "--aware", local(utc_now() - timedelta(hours=hours_ago)),
        "--nature", "confidentiality",
        "--description", "Ett utskick gick till fel adress.",
        "--category", contact_category(),
        "--subject-kind", next(iter(policy.subject_kinds)),
        "--subjects", "3",
        "--records", "6",
        "--consequences", "Risk för nätfiske.",
        "--measures-taken", "Mottagaren har raderat filen.",
        "--measures-planned", "Granskning av utskick.",
    ]  # fmt: skip


def breach_input(policy: Policy, *, aware: datetime | None = None) -> BreachInput:
    aware = aware or utc_now() - timedelta(hours=2)
    return BreachInput(
        title="Kundlista skickad till fel mottagare",
        aware_at=local(aware),
        occurred_at=local(aware - timedelta(days=1)),
        occurred_approximate=True,
        nature=["confidentiality"],
        description="Ett e-postutskick gick med en bifogad kundlista till fel adress.",
        categories=[contact_category()],
        subject_kinds=[next(iter(policy.subject_kinds))],
        subjects_approx=120,
        records_approx=240,
        consequences="Risk för nätfiske mot de berörda kunderna.",
        measures_taken="Mottagaren har bekräftat att filen är raderad.",
        measures_planned="Utskick med bilagor kräver granskning av två personer.",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        key_file=tmp_path / "dataskydd.key",
        audit_checkpoint_file=tmp_path / "checkpoints.jsonl",
    )
