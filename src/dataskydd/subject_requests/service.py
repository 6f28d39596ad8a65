"""Use cases of the subject's rights, for the CLI and the web: audited, never committing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from dataskydd.access.rules import Action
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext
from dataskydd.clock import today_in_sweden
from dataskydd.policy.schema import Lang, Policy
from dataskydd.subject_requests import erasure, rights_access
from dataskydd.subject_requests.extract import Collected, write_extract_json

PDF_NAME = "registerutdrag.pdf"
JSON_NAME = "registerutdrag.json"


@dataclass(frozen=True)
class ExportResult:
    pdf: Path
    json: Path
    rows: int


def export_extract(
    session: Session,
    *,
    caller: AccessContext,
    policy: Policy,
    subject_id: int,
    directory: Path,
    lang: Lang = "sv",
) -> ExportResult:
    _decide(session, policy, caller, subject_id, Action.EXPORT, "registerutdrag")
    json_path, pdf_path = directory / JSON_NAME, directory / PDF_NAME
    # One read for both files: the PDF is made from what the JSON's pass kept (Collected).
    collected = Collected()
    with json_path.open("w", encoding="utf-8") as handle:
        stats = write_extract_json(
            session, handle, policy=policy, subject_id=subject_id, lang=lang, collect=collected
        )
    # Imported here: reportlab is for the PDF only, not for every process that imports this.
    from dataskydd.subject_requests.extract_pdf import write_extract_pdf

    with pdf_path.open("wb") as handle:
        write_extract_pdf(
            session, handle, policy=policy, subject_id=subject_id, lang=lang, collected=collected
        )
    audit_service.record(
        session,
        actor=caller.actor,
        action="subject.export",
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"rows": stats.total, "tables": sorted(stats.rows)},
    )
    return ExportResult(pdf_path, json_path, stats.total)


def plan_erasure(
    session: Session, *, caller: AccessContext, policy: Policy, subject_id: int
) -> erasure.ErasurePlan:
    """Counts per category, no values; still a read of the subject's data, so decided."""
    _decide(session, policy, caller, subject_id, Action.READ, "erasure_plan")
    return erasure.plan_erasure(
        session, policy=policy, subject_id=subject_id, today=today_in_sweden()
    )


def erase(
    session: Session,
    *,
    caller: AccessContext,
    policy: Policy,
    subject_id: int,
    request_id: int | None = None,
    lang: Lang = "sv",
) -> erasure.ErasurePlan:
    _decide(session, policy, caller, subject_id, Action.WRITE, "erasure")
    return erasure.erase_subject(
        session,
        actor=caller.actor,
        policy=policy,
        subject_id=subject_id,
        today=today_in_sweden(),
        request_id=request_id,
        lang=lang,
    )


def _decide(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    subject_id: int,
    action: Action,
    view: str,
) -> None:
    rights_access.decide_rights(
        session,
        policy,
        caller,
        subject_id=subject_id,
        action=action,
        audit_action=f"subject.{action.value}",
        view=view,
    )
