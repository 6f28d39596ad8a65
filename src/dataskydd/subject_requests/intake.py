"""The subject's side of a request: ask on the public page, prove it is you with a code sent
to the e-mail address on file, and later download the answer (GDPR art. 12.2, 12.6, 15).

Whether an address is on file is never revealed: a ticket comes back either way, the same
work is done (the same reads, a code row, a mail row, an audit row) so that the answer takes
as long, and only a real subject's code is mailed (a decoy's mail row is rolled back).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.access.rules import Action
from dataskydd.audit import service as audit_service
from dataskydd.clock import today_in_sweden
from dataskydd.errors import Forbidden, InvalidInput, NotFound
from dataskydd.mail import service as mail_service
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import identifiers, lookup
from dataskydd.register import repository as register_repository
from dataskydd.register.enums import ContactKind
from dataskydd.subject_requests import (
    downloads,
    messages,
    portability,
    rights_access,
    service,
    verification,
)
from dataskydd.subject_requests import requests as queue
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.models import (
    CodePurpose,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)

WEB_IDENTITY_CHECK = "one-time code sent to the e-mail address on file"
PORTABILITY_NAME = "dataportabilitet.json"
FILES = {
    RequestKind.ACCESS: (service.PDF_NAME, service.JSON_NAME),
    RequestKind.PORTABILITY: (PORTABILITY_NAME,),
}
MEDIA_TYPES = {".pdf": "application/pdf", ".json": "application/json"}
MAX_CONTACT_LENGTH = 320
DECOY_ADDRESS = "decoy@invalid"


def _normalised(contact: str) -> tuple[ContactKind, str]:
    text = (contact or "").strip()
    if not text:
        raise InvalidInput("contact", Msg("is required"))
    if len(text) > MAX_CONTACT_LENGTH:
        raise InvalidInput(
            "contact",
            Msg(
                "is longer than {MAX_CONTACT_LENGTH} characters",
                MAX_CONTACT_LENGTH=MAX_CONTACT_LENGTH,
            ),
        )
    try:
        if "@" in text:
            return ContactKind.EMAIL, identifiers.normalise_email(text)
        return ContactKind.PHONE, identifiers.normalise_phone(text)
    except ValueError:
        raise InvalidInput(
            "contact", Msg("is neither a valid e-mail address nor a valid phone number")
        ) from None


def subject_for_contact(session: Session, contact: str) -> tuple[int, str] | None:
    """The one subject holding this e-mail address or phone number, with the e-mail address
    on file the code goes to; None when nobody, several subjects, or no e-mail on file."""
    kind, value = _normalised(contact)
    index = lookup.contact_index(kind, value)
    # Identity verification itself (art. 12.6), before anyone is known to be asking: no
    # purpose is served yet and nothing read is shown; the code goes to the address on file.
    with guard.internal():
        found = register_repository.ids_by_contact_index(session, kind, index, limit=2)
        # The same reads whether or not someone holds the address: no timing tells them apart.
        candidate = found[0] if len(found) == 1 else verification.NOBODY
        point = register_repository.primary_contact(session, candidate, ContactKind.EMAIL)
    if len(found) != 1 or point is None:
        return None
    return found[0], point.value


def _send_code(
    session: Session,
    *,
    policy: Policy,
    purpose: CodePurpose,
    target: tuple[int, str] | None,
    lang: Lang,
    request_id: int | None = None,
) -> verification.IssuedCode:
    issued = verification.issue_code(
        session,
        purpose=purpose,
        subject_id=target[0] if target else None,
        request_id=request_id,
    )
    real = issued.code is not None and target is not None
    # A decoy writes the same mail and takes it back, so it costs what a real code costs.
    minutes = int(verification.CODE_LIFETIME.total_seconds() // 60)
    code = issued.code or verification.new_code()
    mail = messages.code_mail(purpose, code, policy.controller.name, minutes, lang)
    with session.begin_nested() as savepoint:
        mail_service.queue_mail(
            session,
            to=target[1] if real and target else DECOY_ADDRESS,
            subject_line=mail.subject_line,
            body=mail.body,
            subject_id=target[0] if real and target else None,
        )
        if not real:
            savepoint.rollback()
    audit_service.record(
        session,
        actor="public",
        action="verification.code_issued",
        subject_id=target[0] if issued.code is not None and target else None,
        detail={"purpose": purpose.value, "sent": issued.code is not None},
    )
    return issued


def start_code(
    session: Session, *, policy: Policy, contact: str, purpose: CodePurpose, lang: Lang
) -> str:
    """A ticket for the code sent to the subject holding `contact` (request or sign-in);
    the same kind of ticket when nobody does."""
    if purpose not in (CodePurpose.REQUEST, CodePurpose.SIGN_IN):
        raise InvalidInput("purpose", Msg("is not a purpose started from a contact point"))
    target = subject_for_contact(session, contact)
    return _send_code(session, policy=policy, purpose=purpose, target=target, lang=lang).ticket


def confirm_access_request(
    session: Session, *, policy: Policy, ticket: str, code: str, lang: Lang = "sv"
) -> SubjectRequest:
    """The verified request enters the DPO's queue; an open one is not duplicated. `lang`:
    the language the subject asked in, for the outcome and the mails."""
    record = verification.verify_code(
        session, ticket=ticket, code=code, purpose=CodePurpose.REQUEST
    )
    existing = session.scalars(
        select(SubjectRequest).where(
            SubjectRequest.subject_id == record.subject_id,
            SubjectRequest.kind == RequestKind.ACCESS,
            SubjectRequest.status.in_(queue.OPEN_STATUSES),
        )
    ).first()
    if existing is not None:
        record.request_id = existing.id
        return existing
    request = queue.open_request(
        session,
        actor=f"subject:{record.subject_id}",
        policy=policy,
        subject_id=record.subject_id,
        kind=RequestKind.ACCESS,
        channel=RequestChannel.WEB,
        identity_check=WEB_IDENTITY_CHECK,
        received_at=record.created_at,
        lang=lang,
    )
    record.request_id = request.id
    return request


@dataclass(frozen=True)
class Download:
    request_id: int
    kind: RequestKind
    files: tuple[str, ...]


def download_of(session: Session, token: str, today: date | None = None) -> Download:
    """The completed request a download link is for; NotFound for forged or old links."""
    request_id = downloads.request_of_link(token, today or today_in_sweden())
    request = session.get(SubjectRequest, request_id) if request_id is not None else None
    if (
        request is None
        or request.status is not RequestStatus.COMPLETED
        or request.kind not in FILES
        or request.subject_id is None
    ):
        raise NotFound(Msg("the download link is not valid or has expired"))
    return Download(request.id, request.kind, FILES[request.kind])


def is_granted(download: Download, grant: str | None) -> bool:
    return downloads.grant_allows(grant, download.request_id)


def start_download(session: Session, *, policy: Policy, token: str, lang: Lang) -> str:
    """Send a fresh code to the e-mail on file of the request's subject; returns the ticket."""
    found = download_of(session, token)
    request = session.get(SubjectRequest, found.request_id)
    assert request is not None
    assert request.subject_id is not None
    # Identity verification (art. 12.6): the link alone fetches nothing, a code sent to the
    # address on file does; the address is read to send it and shown to no one.
    with guard.internal():
        point = register_repository.primary_contact(session, request.subject_id, ContactKind.EMAIL)
    target = (request.subject_id, point.value) if point else None
    issued = _send_code(
        session,
        policy=policy,
        purpose=CodePurpose.DOWNLOAD,
        target=target,
        lang=lang,
        request_id=request.id,
    )
    return issued.ticket


def verify_download(session: Session, *, token: str, ticket: str, code: str) -> str:
    """A grant to download this request's files for a short while."""
    found = download_of(session, token)
    record = verification.verify_code(
        session, ticket=ticket, code=code, purpose=CodePurpose.DOWNLOAD
    )
    if record.request_id != found.request_id:
        raise verification.CodeRejected()
    return downloads.grant_for(found.request_id)


def render_download(
    session: Session, *, policy: Policy, token: str, grant: str | None, name: str, lang: Lang
) -> tuple[bytes, str]:
    """One file of a completed request, made from the current data; audited."""
    found = download_of(session, token)
    if not downloads.grant_allows(grant, found.request_id):
        raise Forbidden(Msg("confirm with a code sent to your e-mail address first"))
    if name not in found.files:
        raise NotFound(Msg("no such file"))
    request = session.get(SubjectRequest, found.request_id)
    assert request is not None
    assert request.subject_id is not None
    subject_id = request.subject_id
    rights_access.decide_own(
        session,
        policy,
        subject_id,
        action=Action.EXPORT,
        audit_action="subject.export",
        view=name,
    )
    if name == service.PDF_NAME:
        # Imported here: reportlab is for the PDF only, not for the web app's start-up.
        from dataskydd.subject_requests.extract_pdf import write_extract_pdf

        binary = io.BytesIO()
        write_extract_pdf(session, binary, policy=policy, subject_id=subject_id, lang=lang)
        content = binary.getvalue()
    else:
        text = io.StringIO()
        if name == service.JSON_NAME:
            write_extract_json(session, text, policy=policy, subject_id=subject_id, lang=lang)
        else:
            portability.write_portability_json(session, text, policy=policy, subject_id=subject_id)
        content = text.getvalue().encode("utf-8")
    audit_service.record(
        session,
        actor=f"subject:{subject_id}",
        action="subject_request.download",
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"request": request.id, "file": name},
    )
    return content, MEDIA_TYPES[name[name.rfind(".") :]]
