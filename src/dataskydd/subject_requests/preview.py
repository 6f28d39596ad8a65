"""The registerutdrag as the subject will get it, for the handler to read before sending the
link (issue 15 item 6): the same PDF, read under the subject-rights purpose by the handler,
audited as a preview of that request."""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy.orm import Session

from dataskydd.access.rules import Action
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.errors import Conflict
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import service as register_service
from dataskydd.subject_requests import requests as queue
from dataskydd.subject_requests import rights_access
from dataskydd.subject_requests.models import RequestKind


def preview_extract(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    request_id: int,
    out: BinaryIO,
    lang: Lang = "sv",
) -> None:
    ctx.require(Permission.REQUESTS_HANDLE)
    request = queue.load_request(session, request_id)
    if request.kind is not RequestKind.ACCESS:
        raise Conflict(Msg("request {id} is not a request for a registerutdrag", id=request.id))
    subject_id = request.subject_id
    if subject_id is None:
        raise Conflict(Msg("request {id} has no verified subject", id=request.id))
    register_service.require_subject(session, subject_id)
    rights_access.decide_rights(
        session,
        policy,
        ctx,
        subject_id=subject_id,
        action=Action.READ,
        audit_action="subject_request.preview",
        view=f"registerutdrag_preview:{request.id}",
    )
    # Imported here: reportlab is for PDFs only (issue 13, start-up).
    from dataskydd.subject_requests.extract_pdf import write_extract_pdf

    write_extract_pdf(session, out, policy=policy, subject_id=subject_id, lang=lang)
