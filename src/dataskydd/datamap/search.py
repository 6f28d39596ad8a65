"""Finding subjects, through the access decision: the search needs a purpose that may look up
by the query's kind of identifier, and each hit shows only the fields of categories some
searchable purpose may use for that subject now (consent, objection, restriction applied)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext
from dataskydd.datamap.entries import by_table
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service
from dataskydd.register.schemas import SubjectMatch

# Each field of a search hit, and the (table, column) of the data map it shows.
_FIELD_SOURCES = {
    "name": ("subject", "given_name"),
    "organisationsnummer": ("subject", "organisationsnummer"),
    "personnummer_masked": ("subject", "personnummer"),
    "email": ("contact_point", "value"),
    "city": ("postal_address", "city"),
}
# The column each kind of query is looked up in.
_LOOKUP_SOURCES = {
    "personnummer": ("subject", "personnummer_index"),
    "organisationsnummer": ("subject", "organisationsnummer"),
    "email": ("contact_point", "lookup_index"),
    "phone": ("contact_point", "lookup_index"),
    "name": ("subject", "search_name"),
}


def _category(source: tuple[str, str]) -> str:
    table, column = source
    return by_table(table).columns[column]


def find_subjects(
    session: Session, *, policy: Policy, caller: AccessContext, query: str, limit: int = 20
) -> list[SubjectMatch]:
    kind, value = register_service.classify_query(query)
    scope = access_service.decide_search(
        session, policy, caller, looks_up=_category(_LOOKUP_SOURCES[kind]), query_kind=kind
    )
    # Only the looked-up column is read before the decision on what each hit may show.
    found = register_service.lookup_subject_ids(session, kind, value, limit)
    visible = access_service.visible_in_search(session, policy, caller, scope, found)
    shown = {
        subject_id: {f for f, source in _FIELD_SOURCES.items() if _category(source) in categories}
        for subject_id, categories in visible.items()
    }
    # Hits without even a name to show are left out: they would only confirm a match.
    kept = [subject_id for subject_id in found if "name" in shown.get(subject_id, set())]
    # The query itself may be personal data, so only its kind and the hit count are logged.
    audit_service.record(
        session,
        actor=caller.actor,
        action="subject.find",
        detail={
            "decision": "allow",
            "query_kind": kind,
            "matches": len(kept),
            "purposes": list(scope.purposes),
        },
    )
    return register_service.match_rows(session, kept, shown=shown)
