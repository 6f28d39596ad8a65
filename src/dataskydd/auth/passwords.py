"""Password hashing with argon2id, generated passwords and the minimum strength rules."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg

# RFC 9106's second recommended profile (argon2id, t=3, m=64 MiB, p=4) rather than the first
# (2 GiB): dataskydd runs on small servers where several staff may log in at once, and 64 MiB
# per attempt still makes offline guessing expensive. Stored hashes carry their parameters, so
# raising them later only needs needs_rehash() at the next log-in.
_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)

MIN_LENGTH = 12
# Long enough for any passphrase, short enough that nobody can make us hash megabytes.
MAX_LENGTH = 256
# No 0/O, 1/l/I: generated passwords are read aloud and typed from paper.
_READABLE = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
_GENERATED_LENGTH = 20


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """About 115 bits from a readable alphabet, with lower, upper and digit guaranteed."""
    while True:
        candidate = "".join(secrets.choice(_READABLE) for _ in range(_GENERATED_LENGTH))
        if len(_classes(candidate)) == 3:
            return candidate


def validate_password_strength(password: str, *, username: str | None = None) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            "password", Msg("must be at least {MIN_LENGTH} characters", MIN_LENGTH=MIN_LENGTH)
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            "password", Msg("must be at most {MAX_LENGTH} characters", MAX_LENGTH=MAX_LENGTH)
        )
    if len(_classes(password)) < 2:
        raise InvalidInput(
            "password", Msg("must mix at least two of: lower case, upper case, digits, symbols")
        )
    if len(set(password)) < 6:
        raise InvalidInput("password", Msg("must use at least 6 different characters"))
    if username and username.lower() in password.lower():
        raise InvalidInput("password", Msg("must not contain the username"))


def _classes(password: str) -> set[str]:
    found = set()
    for char in password:
        if char.islower():
            found.add("lower")
        elif char.isupper():
            found.add("upper")
        elif char.isdigit():
            found.add("digit")
        else:
            found.add("other")
    return found
