"""Typed errors; each kind knows its exit code (CLI) and HTTP status (web).

Messages are shown to users and written to logs, so they must never contain personal data:
name the field and the rule, not the value. A message is a `Msg` (messages_i18n.py): English
for logs and the CLI, translated by the web layer into the reader's language.
"""

from dataskydd.messages_i18n import Msg, Param, as_msg


class DataskyddError(Exception):
    status_code = 400
    exit_code = 1
    # True when the work done before the error is evidence that must survive it (the audit
    # row of a refusal, an ended session): entry points commit instead of rolling back.
    keeps_work = False

    def __init__(self, message: Msg) -> None:
        self.message = as_msg(message)
        super().__init__(self.message)


class InvalidInput(DataskyddError):
    """Input broke rules; `problems` lists (field, reason) pairs, `field` names the first."""

    status_code = 422
    exit_code = 2

    def __init__(
        self, field: str, message: Msg, *, problems: list[tuple[str, Msg]] | None = None
    ) -> None:
        self.problems = [(where, as_msg(why)) for where, why in problems or [(field, message)]]
        self.field, self.reason = self.problems[0]
        # "field: reason; …", whose reasons are translated with it.
        template = "; ".join(f"{{field{n}}}: {{reason{n}}}" for n in range(len(self.problems)))
        values: dict[str, Param] = {}
        for n, (where, why) in enumerate(self.problems):
            values.update({f"field{n}": where, f"reason{n}": why})
        super().__init__(Msg(template, **values))


class NotFound(DataskyddError):
    status_code = 404
    exit_code = 3


class Forbidden(DataskyddError):
    status_code = 403
    exit_code = 4


class Conflict(DataskyddError):
    status_code = 409
    exit_code = 5


class ConfigurationError(DataskyddError):
    status_code = 500
    exit_code = 6


class AccessRefused(Forbidden):
    """A refused read of personal data. The service has written only the audit row of the
    refusal; entry points commit that row before reporting the error, so refusals are kept."""

    keeps_work = True


class AuthenticationRequired(DataskyddError):
    """No valid session or key; `reason` says why when the user should be told (inactivity)."""

    status_code = 401
    exit_code = 4
    keeps_work = True

    def __init__(self, message: Msg | None = None, *, reason: str | None = None) -> None:
        super().__init__(message or Msg("sign-in required"))
        self.reason = reason
