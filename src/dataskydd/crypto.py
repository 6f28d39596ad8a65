"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256) for identifiers at rest.

One master secret lives outside the database (key file or DATASKYDD_SECRET_KEY); HKDF derives
separate keys for encryption, the blind index, the audit entries' MACs and the audit checkpoints,
so no use weakens another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg

_CIPHERTEXT_PREFIX = "v1:"
# HKDF info strings, public so an outside verifier (docs/audit.md) derives the same keys.
AUDIT_MAC_INFO = b"dataskydd audit entry mac v1"
AUDIT_CHECKPOINT_INFO = b"dataskydd audit checkpoint v1"
_NONCE_BYTES = 12


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class BlindIndexer:
    """The blind index alone: what a process that only matches identifiers needs (the bulk
    import's validating workers), without the keys that decrypt or sign anything."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def blind_index(self, normalised: str, *, context: str) -> str:
        mac = hmac.new(self._key, f"{context}\x00{normalised}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def __reduce__(self) -> tuple[type[BlindIndexer], tuple[bytes]]:
        # Sent to a spawned worker process (imports/validating.py) as its initial argument.
        return (BlindIndexer, (self._key,))


class Keyring:
    def __init__(self, master_secret: str) -> None:
        master = master_secret.encode()
        self._aead = AESGCM(_derive(master, b"dataskydd field encryption v1"))
        self.indexer = BlindIndexer(_derive(master, b"dataskydd blind index v1"))
        self._audit_key = _derive(master, AUDIT_MAC_INFO)
        self._checkpoint_key = _derive(master, AUDIT_CHECKPOINT_INFO)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        # The context (table.column) is bound as associated data, so a ciphertext copied into
        # another column does not decrypt.
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return _CIPHERTEXT_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, *, context: str) -> str:
        if not token.startswith(_CIPHERTEXT_PREFIX):
            raise ConfigurationError(
                Msg("{context}: stored value is not a dataskydd ciphertext", context=context)
            )
        raw = base64.urlsafe_b64decode(token[len(_CIPHERTEXT_PREFIX) :])
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise ConfigurationError(
                Msg(
                    "{context}: cannot decrypt; the secret key does not match this database",
                    context=context,
                )
            ) from None
        return plain.decode()

    def blind_index(self, normalised: str, *, context: str) -> str:
        return self.indexer.blind_index(normalised, context=context)

    def audit_mac(self, data: bytes) -> str:
        """HMAC-SHA256 of an audit entry's serialisation (audit/chain.py), hex."""
        return hmac.new(self._audit_key, data, hashlib.sha256).hexdigest()

    def audit_checkpoint_mac(self, data: bytes) -> str:
        """HMAC-SHA256 of an audit checkpoint's serialisation (audit/checkpoints.py), hex.

        Its own key: a MAC that is valid as an entry's can never pass as a checkpoint's.
        """
        return hmac.new(self._checkpoint_key, data, hashlib.sha256).hexdigest()


_installed: Keyring | None = None


def install_keyring(keyring: Keyring | None) -> None:
    """Make `keyring` the one used by encrypted columns in this process."""
    global _installed
    _installed = keyring


def current_keyring() -> Keyring:
    if _installed is None:
        raise ConfigurationError(
            Msg("no secret key loaded: run `dataskydd init` or set DATASKYDD_SECRET_KEY")
        )
    return _installed


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def read_key_file(path: Path) -> str:
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise ConfigurationError(
            Msg("key file {path} is too short to be a dataskydd key", path=path)
        )
    return secret


def write_key_file(path: Path, secret: str) -> None:
    # O_EXCL: never overwrite an existing key, which would make the database unreadable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
