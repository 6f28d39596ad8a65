"""Disclosures to authorities (a court, the police, Skatteverket): who asked, on which legal
ground, what was handed over, for whom; some confidential by law (docs/disclosures.md)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import cases
from dataskydd.disclosures.models import DisclosureSubject


def _disclosure_concerns(session: Session, disclosure_id: int, subject_id: int) -> bool:
    found = session.scalar(
        select(DisclosureSubject.subject_id).where(
            DisclosureSubject.disclosure_id == disclosure_id,
            DisclosureSubject.subject_id == subject_id,
        )
    )
    return found is not None


# A disclosure is a case that purposes marked `case_required` may name ("disclosure:7"): the
# data it hands over is read under it. Registered on import, and all_models imports this
# package wherever the app, the CLI or the worker starts.
cases.register_case_kind("disclosure", _disclosure_concerns)
