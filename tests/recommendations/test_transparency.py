"""The registerutdrag (JSON and PDF) shows the subject's recommendations as they stand, with
their reasons and the policy's words on the logic (art. 15.1 h), and says none are made
after an objection; the notice states the logic and consequences (art. 13.2 f)."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader
from sqlalchemy.orm import Session

from dataskydd.policy.notice import render_notice
from dataskydd.policy.schema import Lang, Policy
from dataskydd.recommendations import training
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.extract_pdf import write_extract_pdf
from dataskydd.subject_requests.objections import record_objections
from tests.recommendations.conftest import CRIME


def _extract(session: Session, policy: Policy, subject_id: int, lang: Lang) -> dict[str, Any]:
    out = io.StringIO()
    write_extract_json(session, out, policy=policy, subject_id=subject_id, lang=lang)
    document: dict[str, Any] = json.loads(out.getvalue())
    shown: dict[str, Any] = document["processing"]["recommendations"]
    return shown


def _pdf_text(session: Session, policy: Policy, subject_id: int) -> str:
    out = io.BytesIO()
    write_extract_pdf(session, out, policy=policy, subject_id=subject_id, lang="en")
    reader = PdfReader(io.BytesIO(out.getvalue()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_extract_shows_them_with_reasons_and_the_logic(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    training.train(session, policy, actor="test")
    subject = viewers["newcomer"]
    logic = policy.purpose(purpose).profiling_logic or policy.purpose(purpose).description
    shown = _extract(session, policy, subject, "en")
    assert shown["intro"].startswith(logic.en)
    assert "These are your recommendations right now" in shown["intro"]
    assert {item["title"] for item in shown["items"][:2]} == {CRIME[1], CRIME[2]}
    assert shown["items"][0]["reason"] == f"Because you watched {CRIME[0]}"
    swedish = _extract(session, policy, subject, "sv")
    assert swedish["intro"].startswith(logic.sv)
    assert swedish["items"][0]["reason"] == f"Eftersom du tittade på {CRIME[0]}"
    text = _pdf_text(session, policy, subject)
    assert "Your personal recommendations" in text
    assert f"Because you watched {CRIME[0]}" in text


def test_after_an_objection_the_extract_says_none_are_made(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    training.train(session, policy, actor="test")
    subject = viewers["crime2"]
    record_objections(session, policy=policy, actor="test", subject_id=subject, purposes=[purpose])
    shown = _extract(session, policy, subject, "en")
    assert shown["items"] == []
    assert shown["total"] == 0
    assert "We make no personal recommendations for you: you objected to them on" in shown["intro"]
    assert "We make no personal recommendations for you" in _pdf_text(session, policy, subject)


def test_the_notice_states_the_logic_and_consequences(policy: Policy, purpose: str) -> None:
    logic = policy.purpose(purpose).profiling_logic
    assert logic is not None
    languages: tuple[Lang, ...] = ("sv", "en")
    for lang in languages:
        notice = " ".join(render_notice(policy, lang=lang, fmt="md").split())
        assert " ".join(logic.get(lang).split()) in notice
