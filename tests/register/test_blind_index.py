"""The blind index alone (crypto.BlindIndexer): what the bulk import's validating workers get,
so they compute the same indexes as the register without holding a key that decrypts."""

from __future__ import annotations

import pickle

import pytest

from dataskydd import crypto
from dataskydd.register import lookup
from dataskydd.register.enums import ContactKind

SECRET = "test-only-secret-for-the-blind-index-0123456789"


@pytest.fixture
def keyring() -> crypto.Keyring:
    return crypto.Keyring(SECRET)


def test_a_sent_indexer_gives_the_registers_indexes(keyring: crypto.Keyring) -> None:
    sent = pickle.loads(pickle.dumps(keyring.indexer))  # noqa: S301 - made just above
    previous = crypto._installed
    crypto.install_keyring(keyring)
    try:
        assert lookup.personnummer_index("198112189876", sent) == lookup.personnummer_index(
            "198112189876"
        )
        assert lookup.contact_index(ContactKind.EMAIL, "a@example.se", sent) == (
            lookup.contact_index(ContactKind.EMAIL, "a@example.se")
        )
    finally:
        crypto.install_keyring(previous)
    # Each context its own index: an e-mail's never equals a phone number's of the same text.
    assert lookup.contact_index(ContactKind.EMAIL, "x", sent) != lookup.contact_index(
        ContactKind.PHONE, "x", sent
    )


def test_an_indexer_holds_no_key_that_decrypts(keyring: crypto.Keyring) -> None:
    sent = pickle.loads(pickle.dumps(keyring.indexer))  # noqa: S301 - made just above
    assert not hasattr(sent, "decrypt")
    assert not hasattr(sent, "encrypt")
    # A different secret, a different index.
    other = crypto.Keyring(SECRET + "x").indexer
    assert other.blind_index("a", context="c") != sent.blind_index("a", context="c")


def test_the_keyring_itself_cannot_be_pickled(keyring: crypto.Keyring) -> None:
    """So it never travels to a queue or a worker by mistake; only the indexer does."""
    with pytest.raises(TypeError):
        pickle.dumps(keyring)
