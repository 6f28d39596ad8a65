"""The subject's rights (GDPR art. 12–22): registerutdrag, rectification, erasure, restriction,
objection, portability — every one of them by walking the data map."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import cases
from dataskydd.subject_requests.models import SubjectRequest


def _request_concerns(session: Session, request_id: int, subject_id: int) -> bool:
    found = session.scalar(select(SubjectRequest.subject_id).where(SubjectRequest.id == request_id))
    return found == subject_id


# A subject's request is a case that purposes marked `case_required` may name ("request:12").
cases.register_case_kind("request", _request_concerns)
