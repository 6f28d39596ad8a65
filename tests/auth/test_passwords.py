import pytest
from argon2 import PasswordHasher

from dataskydd.auth import passwords
from dataskydd.errors import InvalidInput


class TestHashing:
    def test_hash_is_argon2id_and_verifies(self) -> None:
        stored = passwords.hash_password("correct horse 42")
        assert stored.startswith("$argon2id$")
        assert passwords.verify_password(stored, "correct horse 42")

    def test_wrong_password_returns_false_instead_of_raising(self) -> None:
        stored = passwords.hash_password("correct horse 42")
        assert not passwords.verify_password(stored, "correct horse 43")

    def test_garbage_hash_returns_false(self) -> None:
        assert not passwords.verify_password("not a hash", "anything")

    def test_same_password_gets_different_salts(self) -> None:
        assert passwords.hash_password("correct horse 42") != passwords.hash_password(
            "correct horse 42"
        )

    def test_weaker_parameters_need_rehash(self) -> None:
        weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("pw")
        assert passwords.needs_rehash(weak)
        assert not passwords.needs_rehash(passwords.hash_password("pw"))


class TestGeneratePassword:
    def test_is_strong_enough_and_readable(self) -> None:
        for _ in range(20):
            generated = passwords.generate_password()
            assert len(generated) == 20
            passwords.validate_password_strength(generated)
            assert not set(generated) & set("0O1lI")

    def test_differs_each_time(self) -> None:
        assert len({passwords.generate_password() for _ in range(20)}) == 20


class TestValidatePasswordStrength:
    @pytest.mark.parametrize(
        ("password", "reason"),
        [
            ("Short1!", "at least 12"),
            ("alllowercaseletters", "mix at least two"),
            ("123456789012345", "mix at least two"),
            ("aaaaaaaaaaaa1", "6 different"),
            ("x" * 257 + "1", "at most 256"),
        ],
    )
    def test_rejects_weak_passwords_naming_the_field(self, password: str, reason: str) -> None:
        with pytest.raises(InvalidInput, match=reason) as caught:
            passwords.validate_password_strength(password)
        assert caught.value.field == "password"
        assert password not in caught.value.message

    def test_rejects_a_password_containing_the_username(self) -> None:
        with pytest.raises(InvalidInput, match="username"):
            passwords.validate_password_strength("Anna.Svensson2026", username="anna.svensson")

    @pytest.mark.parametrize(
        "password", ["correct horse 42", "Fjällräven-Kånken", "lång mening med 5 ord"]
    )
    def test_accepts_reasonable_passwords(self, password: str) -> None:
        passwords.validate_password_strength(password, username="anna")
