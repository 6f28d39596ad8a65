"""Case references for purposes marked `case_required`: "request:12" (a subject's request) or,
as later packages register them, other kinds ("disclosure:7"). The packages that own the cases
register a resolver here, so this low layer needs no import of theirs."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy.orm import Session

from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg

# (session, case id, subject id) -> whether that case exists and concerns the subject.
Resolver = Callable[[Session, int, int], bool]
_RESOLVERS: dict[str, Resolver] = {}
_CASE = re.compile(r"^([a-z_]{1,20}):([0-9]{1,12})$")


def register_case_kind(kind: str, resolver: Resolver) -> None:
    _RESOLVERS[kind] = resolver


def case_kinds() -> tuple[str, ...]:
    return tuple(sorted(_RESOLVERS))


def check_case(session: Session, case: str, subject_id: int) -> Msg | None:
    """None when the case exists and concerns the subject, else why not. A bare number is a
    request id, the case kind staff meet every day."""
    text = case.strip()
    if text.isdigit() and len(text) <= 12:
        text = f"request:{text}"
    match = _CASE.fullmatch(text)
    if match is None:
        kinds = ", ".join(f"{kind}:<id>" for kind in case_kinds()) or "none registered"
        raise InvalidInput("case", Msg("must look like {kinds}", kinds=kinds))
    kind, number = match.group(1), int(match.group(2))
    resolver = _RESOLVERS.get(kind)
    if resolver is None:
        raise InvalidInput("case", Msg("unknown kind of case '{kind}'", kind=kind))
    if not resolver(session, number, subject_id):
        return Msg(
            "case {kind}:{number} does not exist or does not concern this subject",
            kind=kind,
            number=number,
        )
    return None
