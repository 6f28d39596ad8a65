"""The subject's processing state for the registerutdrag: the requests they made, the
restrictions, objections and consents that stand or stood (GDPR art. 15.1 with 7, 18, 21).

These tables refer to the subject by id only, outside the data map, because they are the
evidence of what the subject asked and what we did; so the generic walk of the data map does
not see them and they are read here. Read-only. A subject has a handful of each, but the
extract must stay bounded whatever the database holds: every list is the newest `LIMIT` rows,
newest first, with the total count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection, SubjectConsent
from dataskydd.disclosures import registerutdrag as disclosure_extract
from dataskydd.policy.schema import Lang, Policy
from dataskydd.recipient_exports import registerutdrag as received_extract
from dataskydd.recommendations import registerutdrag as recommendations_extract
from dataskydd.register.models import LegalHold, Restriction
from dataskydd.subject_requests.messages import kind_label
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestStatus,
    SubjectRequest,
)

LIMIT = 1000

_Pair = tuple[str, str]


def _pick(pair: _Pair, lang: Lang) -> str:
    return pair[0] if lang == "sv" else pair[1]


_STATUS: dict[RequestStatus, _Pair] = {
    RequestStatus.AWAITING_VERIFICATION: ("Väntar på bekräftelse", "Awaiting confirmation"),
    RequestStatus.OPEN: ("Under handläggning", "Being handled"),
    RequestStatus.EXTENDED: ("Förlängd handläggningstid", "Time extended"),
    RequestStatus.COMPLETED: ("Besvarad", "Answered"),
    RequestStatus.REFUSED: ("Avslagen", "Refused"),
}
_REQUEST_CHANNEL: dict[RequestChannel, _Pair] = {
    RequestChannel.WEB: ("Webben", "Web"),
    RequestChannel.LETTER: ("Brev", "Letter"),
    RequestChannel.PHONE: ("Telefon", "Phone"),
    RequestChannel.EMAIL: ("E-post", "E-mail"),
    RequestChannel.IN_PERSON: ("På plats", "In person"),
}
# subject_consent.channel is free text; these are the values the application writes.
_CONSENT_CHANNEL: dict[str, _Pair] = {
    "mina_sidor": ("Mina sidor", "My pages"),
    "staff": ("Via vår personal", "Through our staff"),
    "api": ("Via vårt system", "Through our systems"),
    "import": ("Överfört från tidigare system", "Moved from an earlier system"),
}

_TITLES: dict[str, _Pair] = {
    "requests": ("Dina begäranden", "Your requests"),
    "restrictions": ("Begränsad behandling", "Restricted processing"),
    "objections": ("Dina invändningar", "Your objections"),
    "consents": ("Dina samtycken", "Your consents"),
    "holds": ("Uppgifter som bevaras på grund av rättsligt krav", "Data kept under a legal hold"),
    "disclosures": disclosure_extract.TITLE,
    "received": received_extract.TITLE,
    "recommendations": recommendations_extract.TITLE,
}
# Per list, the fields a reader is shown (the PDF), in order, with their labels.
_COLUMNS: dict[str, tuple[tuple[str, _Pair], ...]] = {
    "requests": (
        ("id", ("Ärende", "Case")),
        ("kind_text", ("Begäran", "Request")),
        ("status_text", ("Status", "Status")),
        ("channel_text", ("Kanal", "Channel")),
        ("received_at", ("Mottagen", "Received")),
        ("due_on", ("Svar senast", "Due")),
        ("completed_at", ("Avslutad", "Completed")),
        ("outcome", ("Resultat", "Outcome")),
    ),
    "restrictions": (
        ("category_title", ("Slag av uppgift", "Kind of data")),
        ("reason", ("Skäl", "Reason")),
        ("restricted_at", ("Begränsad sedan", "Restricted since")),
        ("until", ("Sparas till och med", "Kept until")),
        ("lifted_at", ("Upphävd", "Lifted")),
    ),
    "objections": (
        ("purpose_title", ("Ändamål", "Purpose")),
        ("objected_at", ("Invändning gjord", "Objected")),
        ("withdrawn_at", ("Återkallad", "Withdrawn")),
        ("overridden_at", ("Tvingande skäl fastställda", "Compelling grounds recorded")),
        ("override_reason", ("Våra tvingande skäl", "Our compelling grounds")),
    ),
    "consents": (
        ("purpose_title", ("Ändamål", "Purpose")),
        ("given_at", ("Lämnat", "Given")),
        ("withdrawn_at", ("Återkallat", "Withdrawn")),
        ("channel_text", ("Hur", "How")),
        ("text_version", ("Samtyckestext", "Consent text")),
        ("via", ("Gäller", "Given for")),
    ),
    "holds": (
        ("category_title", ("Slag av uppgift", "Kind of data")),
        ("reason", ("Skäl", "Reason")),
        ("reference", ("Referens", "Reference")),
        ("placed_at", ("Gäller sedan", "Since")),
        ("lifted_at", ("Upphävd", "Lifted")),
    ),
    "disclosures": disclosure_extract.COLUMNS,
    "received": received_extract.COLUMNS,
    "recommendations": recommendations_extract.COLUMNS,
}


@dataclass(frozen=True)
class StateList:
    """One list of the processing state: the newest rows (newest first) and how many in all."""

    key: str
    title: str
    columns: list[tuple[str, str]]  # (field, label) shown to a reader
    total: int
    items: list[dict[str, Any]]  # typed values: datetimes, dates, codes and their texts
    # What a reader needs before the items, e.g. the logic of profiling (art. 15.1 h).
    intro: str = ""


# The subject's id, bound at execution: each list's statement is built once.
_SUBJECT = bindparam("subject_id", type_=Integer)


@lru_cache(maxsize=64)
def _newest_statement(name: str, limit: int) -> Select[Any]:
    """The newest `limit` rows of the subject, newest first, each with the count of all of
    them (a window over the whole match, taken before the LIMIT): one statement per list,
    where a count and a page took two."""
    table = _MODELS[name].__table__
    newest_first = (table.c[_TIME_OF[name]].desc(), table.c.id.desc())
    return (
        select(*table.c, func.count().over().label("total_of_all"))
        .where(table.c.subject_id == _SUBJECT)
        .order_by(*newest_first)
        .limit(limit)
    )


_MODELS: dict[str, type[Any]] = {
    model.__name__: model
    for model in (SubjectRequest, Restriction, LegalHold, Objection, SubjectConsent)
}
# Each list's time, newest first (ties by id).
_TIME_OF = {
    "SubjectRequest": "received_at",
    "Restriction": "restricted_at",
    "LegalHold": "placed_at",
    "Objection": "objected_at",
    "SubjectConsent": "given_at",
}


def _newest(
    session: Session, model: type[Any], subject_id: int, limit: int
) -> tuple[int, list[Any]]:
    """How many rows of the list the subject has, and the newest `limit` (Core rows: plain
    column values, read on the session's connection; nothing here needs ORM objects)."""
    session.flush()  # a Core read does not flush what the session holds
    rows = (
        session.connection()
        .execute(_newest_statement(model.__name__, limit), {"subject_id": subject_id})
        .all()
    )
    return (rows[0].total_of_all if rows else 0), list(rows)


def requests_of(session: Session, subject_id: int, *, limit: int = LIMIT) -> tuple[int, list[Any]]:
    return _newest(session, SubjectRequest, subject_id, limit)


def restrictions_of(
    session: Session, subject_id: int, *, limit: int = LIMIT
) -> tuple[int, list[Any]]:
    return _newest(session, Restriction, subject_id, limit)


def holds_of(session: Session, subject_id: int, *, limit: int = LIMIT) -> tuple[int, list[Any]]:
    return _newest(session, LegalHold, subject_id, limit)


def objections_of(
    session: Session, subject_id: int, *, limit: int = LIMIT
) -> tuple[int, list[Any]]:
    return _newest(session, Objection, subject_id, limit)


def consents_of(session: Session, subject_id: int, *, limit: int = LIMIT) -> tuple[int, list[Any]]:
    return _newest(session, SubjectConsent, subject_id, limit)


def standing_restrictions(session: Session, subject_id: int) -> dict[str, Restriction]:
    """Per category, the restriction that governs it now (not lifted): the one kept longest,
    since data under a legal duty stays until the last duty ends; one without an end date
    (the subject's own art. 18 request) only when none has one."""
    statement = select(Restriction).where(
        Restriction.subject_id == subject_id, Restriction.lifted_at.is_(None)
    )
    governing: dict[str, Restriction] = {}
    for row in session.scalars(statement.order_by(Restriction.restricted_at, Restriction.id)):
        held = governing.get(row.category)
        if held is None or _longer(row.until, held.until):
            governing[row.category] = row
    return governing


def _longer(candidate: date | None, held: date | None) -> bool:
    if candidate is None:
        return False
    return held is None or candidate > held


def _title(titles: dict[str, Any], key: str, lang: Lang) -> str:
    """The policy's title of a purpose or category; the stored key when the policy no longer
    has it (the row is evidence and outlives a policy change)."""
    item = titles.get(key)
    return item.title.get(lang) if item is not None else key


def _request(row: Any, lang: Lang) -> dict[str, Any]:
    kind = kind_label(row.kind, lang)  # made to stand in a sentence; here it heads a cell
    return {
        "id": row.id,
        "kind": row.kind.value,
        "kind_text": kind[:1].upper() + kind[1:],
        "status": row.status.value,
        "status_text": _pick(_STATUS[row.status], lang),
        "channel": row.channel.value,
        "channel_text": _pick(_REQUEST_CHANNEL[row.channel], lang),
        "received_at": row.received_at,
        "due_on": row.due_on,
        "completed_at": row.completed_at,
        "outcome": row.outcome,
    }


def _restriction(row: Any, policy: Policy, lang: Lang) -> dict[str, Any]:
    return {
        "id": row.id,
        "category": row.category,
        "category_title": _title(policy.categories, row.category, lang),
        "reason": row.reason,
        "restricted_at": row.restricted_at,
        "until": row.until,
        "lifted_at": row.lifted_at,
    }


def _hold(row: Any, policy: Policy, lang: Lang) -> dict[str, Any]:
    # placed_by and lifted_by name members of staff: their data, not the subject's.
    everything = _pick(("Alla dina uppgifter", "All your data"), lang)
    return {
        "id": row.id,
        "category": row.category,
        "category_title": _title(policy.categories, row.category, lang)
        if row.category
        else everything,
        "reason": row.reason,
        "reference": row.reference,
        "placed_at": row.placed_at,
        "lifted_at": row.lifted_at,
    }


def _objection(row: Any, policy: Policy, lang: Lang) -> dict[str, Any]:
    # overridden_by names a member of staff: their data, not the subject's, so it is left out.
    return {
        "id": row.id,
        "purpose": row.purpose,
        "purpose_title": _title(policy.purposes, row.purpose, lang),
        "objected_at": row.objected_at,
        "withdrawn_at": row.withdrawn_at,
        "overridden_at": row.overridden_at,
        "override_reason": row.override_reason,
    }


def _consent(row: Any, policy: Policy, lang: Lang) -> dict[str, Any]:
    channel = _CONSENT_CHANNEL.get(row.channel)
    return {
        "id": row.id,
        "purpose": row.purpose,
        "purpose_title": _title(policy.purposes, row.purpose, lang),
        "given_at": row.given_at,
        "withdrawn_at": row.withdrawn_at,
        "channel": row.channel,
        "channel_text": _pick(channel, lang) if channel else row.channel,
        "text_version": row.text_version,
        "via": row.via,
    }


def _state(
    key: str, total: int, items: list[dict[str, Any]], lang: Lang, intro: str = ""
) -> StateList:
    columns = [(name, _pick(label, lang)) for name, label in _COLUMNS[key]]
    return StateList(key, _pick(_TITLES[key], lang), columns, total, items, intro)


def processing_state(
    session: Session, *, policy: Policy, subject_id: int, lang: Lang, limit: int = LIMIT
) -> list[StateList]:
    """Requests, restrictions, objections, consents and legal holds, in that order."""
    total, requests = requests_of(session, subject_id, limit=limit)
    lists = [_state("requests", total, [_request(r, lang) for r in requests], lang)]
    total, restrictions = restrictions_of(session, subject_id, limit=limit)
    items = [_restriction(r, policy, lang) for r in restrictions]
    lists.append(_state("restrictions", total, items, lang))
    total, objections = objections_of(session, subject_id, limit=limit)
    items = [_objection(r, policy, lang) for r in objections]
    lists.append(_state("objections", total, items, lang))
    total, consents = consents_of(session, subject_id, limit=limit)
    items = [_consent(r, policy, lang) for r in consents]
    lists.append(_state("consents", total, items, lang))
    total, held = holds_of(session, subject_id, limit=limit)
    lists.append(_state("holds", total, [_hold(h, policy, lang) for h in held], lang))
    # Confidential disclosures are left out, and that is kept as evidence (disclosures/).
    total, items = disclosure_extract.disclosures_for_extract(
        session, policy=policy, subject_id=subject_id, lang=lang, limit=limit
    )
    lists.append(_state("disclosures", total, items, lang))
    # The recipients that received the subject's data in an export, and when (art. 15.1 c).
    total, items = received_extract.received_for_extract(
        session, policy=policy, subject_id=subject_id, lang=lang, limit=limit
    )
    lists.append(_state("received", total, items, lang))
    # Profiling (art. 15.1 h): its logic, and the recommendations as they stand now.
    profiled = recommendations_extract.for_extract(
        session, policy=policy, subject_id=subject_id, lang=lang
    )
    if profiled is not None:
        items = profiled.items
        lists.append(_state("recommendations", len(items), items, lang, profiled.intro))
    return lists
