"""What an export to a recipient may hold, from the policy alone: the categories the
recipient may receive (`recipients[].categories`) that the stated purpose may use, and the
subjects a selection names. Pure functions; the service applies them before anything is read."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy, Recipient

# Bounded before parsing: an export is a file for one recipient, not a copy of the register.
MAX_SUBJECTS = 10_000
MAX_SELECTION_CHARS = 12 * MAX_SUBJECTS
_ID = re.compile(r"^[0-9]{1,10}$")
_MAX_ID = 2**31 - 1


def recipient_of(policy: Policy, key: str) -> Recipient:
    for recipient in policy.recipients:
        if recipient.key == key:
            return recipient
    valid = ", ".join(r.key for r in policy.recipients) or Msg("none declared")
    raise InvalidInput(
        "recipient", Msg("not a recipient of the policy (valid: {valid})", valid=valid)
    )


def check_purpose(policy: Policy, key: str) -> None:
    if key not in policy.purposes:
        valid = ", ".join(policy.purposes)
        raise InvalidInput(
            "purpose", Msg("not a purpose of the policy (valid: {valid})", valid=valid)
        )


def allowed_categories(policy: Policy, recipient: Recipient, purpose: str) -> tuple[str, ...]:
    """The recipient's categories the purpose uses, in the policy's order."""
    shared = set(recipient.categories) & set(policy.purposes[purpose].categories)
    return tuple(key for key in policy.categories if key in shared)


def refused_categories(
    policy: Policy, recipient: Recipient, purpose: str, asked: Sequence[str]
) -> dict[str, str]:
    """Per asked category the export may not hold, why. Unknown keys are bad input."""
    unknown = [key for key in asked if key not in policy.categories]
    if unknown:
        valid = ", ".join(policy.categories)
        raise InvalidInput(
            "categories", Msg("not a category of the policy (valid: {valid})", valid=valid)
        )
    uses = policy.purposes[purpose].categories
    refused: dict[str, str] = {}
    for key in asked:
        if key not in recipient.categories:
            refused[key] = f"recipient {recipient.key} may not receive category {key}"
        elif key not in uses:
            refused[key] = f"purpose {purpose} may not use category {key}"
    return refused


def parse_categories(text: str | None) -> list[str] | None:
    """`a,b` -> ["a", "b"]; empty or None: every allowed category."""
    if text is None:
        return None
    if len(text) > 2000:
        raise InvalidInput("categories", Msg("at most 2000 characters"))
    keys = [part.strip() for part in text.split(",") if part.strip()]
    return list(dict.fromkeys(keys)) or None


def parse_subject_ids(text: str) -> list[int]:
    """Subject ids separated by commas, spaces or line breaks, each once, in the given order."""
    if len(text) > MAX_SELECTION_CHARS:
        raise InvalidInput(
            "subjects", Msg("at most {MAX_SUBJECTS} subject ids", MAX_SUBJECTS=MAX_SUBJECTS)
        )
    parts = [part for part in re.split(r"[\s,;]+", text) if part]
    return check_subject_ids(parts)


def check_subject_ids(parts: Sequence[str | int]) -> list[int]:
    if not parts:
        raise InvalidInput("subjects", Msg("name at least one subject id"))
    ids: dict[int, None] = {}
    for part in parts:
        text = str(part)
        if not _ID.fullmatch(text) or not 1 <= int(text) <= _MAX_ID:
            raise InvalidInput("subjects", Msg("each subject id is a whole number from 1"))
        ids[int(text)] = None
    if len(ids) > MAX_SUBJECTS:
        raise InvalidInput(
            "subjects", Msg("at most {MAX_SUBJECTS} subject ids", MAX_SUBJECTS=MAX_SUBJECTS)
        )
    return list(ids)
