"""The checkpoint line (pure) and the checkpoint file (append, read back)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dataskydd import crypto
from dataskydd.audit import checkpoint_file, checkpoints
from dataskydd.audit.checkpoints import CheckpointError
from dataskydd.config import Settings

AT = datetime(2026, 11, 29, 21, 40, 0, 123456, tzinfo=UTC)
MAC = "ab" * 32
SECRET = "checkpoint-test-secret-" + "c" * 20


@pytest.fixture
def ring() -> crypto.Keyring:
    return crypto.Keyring(SECRET)


def line_of(ring: crypto.Keyring, last_id: int = 7) -> str:
    return checkpoints.sign(ring, last_id=last_id, last_mac=MAC, at=AT).to_line()


class TestLine:
    def test_is_the_documented_json_signed_with_the_checkpoint_key(
        self, ring: crypto.Keyring
    ) -> None:
        head = '{"at":"2026-11-29T21:40:00.123456+00:00","count":7,"last_id":7,'
        unsigned = f'{head}"last_mac":"{MAC}","type":"dataskydd-audit-checkpoint","v":1}}'
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"dataskydd audit checkpoint v1"
        ).derive(SECRET.encode())
        sig = hmac.new(key, unsigned.encode(), hashlib.sha256).hexdigest()
        assert line_of(ring) == (
            f'{head}"last_mac":"{MAC}","sig":"{sig}","type":"dataskydd-audit-checkpoint","v":1}}\n'
        )

    def test_round_trips(self, ring: crypto.Keyring) -> None:
        written = checkpoints.sign(ring, last_id=7, last_mac=MAC, at=AT)
        assert checkpoints.parse(json.loads(written.to_line()), ring) == written

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("count", 8),
            ("last_mac", "cd" * 32),
            ("at", "2026-11-29T21:41:00.123456+00:00"),
        ],
    )
    def test_any_edit_breaks_the_signature(
        self, ring: crypto.Keyring, field: str, value: object
    ) -> None:
        fields = json.loads(line_of(ring))
        fields[field] = value
        if field == "count":  # both, or the check that they are equal speaks first
            fields["last_id"] = value
        with pytest.raises(CheckpointError, match="signature does not match"):
            checkpoints.parse(fields, ring)

    def test_another_key_does_not_verify(self, ring: crypto.Keyring) -> None:
        with pytest.raises(CheckpointError, match="signature"):
            checkpoints.parse(json.loads(line_of(ring)), crypto.Keyring("x" * 40))

    def test_an_entry_mac_cannot_pass_as_a_signature(self, ring: crypto.Keyring) -> None:
        fields = json.loads(line_of(ring))
        unsigned = {k: v for k, v in fields.items() if k != "sig"}
        serialised = json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
        fields["sig"] = ring.audit_mac(serialised)
        with pytest.raises(CheckpointError, match="signature"):
            checkpoints.parse(fields, ring)

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            ({"extra": 1}, "not a checkpoint"),
            ({"type": "something-else"}, "not a dataskydd-audit-checkpoint"),
            ({"v": 2}, "version 1"),
            ({"count": 6}, "count and last_id"),
            ({"count": True, "last_id": True}, "count and last_id"),
            ({"count": -1, "last_id": -1}, "count and last_id"),
            ({"last_mac": "AB" * 32}, "last_mac"),
            ({"sig": "nope"}, "sig must be"),
            ({"at": "2026-11-29T21:40:00"}, "at must be"),
            ({"at": "2026-11-29T22:40:00.123456+01:00"}, "at must be"),
        ],
    )
    def test_says_what_is_wrong(
        self, ring: crypto.Keyring, edit: dict[str, object], message: str
    ) -> None:
        fields = json.loads(line_of(ring)) | edit
        with pytest.raises(CheckpointError, match=message):
            checkpoints.parse(fields, ring)

    def test_not_an_object(self, ring: crypto.Keyring) -> None:
        with pytest.raises(CheckpointError, match="not a checkpoint"):
            checkpoints.parse([1, 2], ring)


class TestFile:
    def test_appends_one_line_each_and_reads_them_in_order(
        self, ring: crypto.Keyring, tmp_path: Path
    ) -> None:
        path = tmp_path / "c.jsonl"
        for last_id in (1, 2, 3):
            checkpoint_file.append(
                path, checkpoints.sign(ring, last_id=last_id, last_mac=MAC, at=AT)
            )
        assert len(path.read_text().splitlines()) == 3
        assert [c.last_id for c in checkpoint_file.read(path, ring)] == [1, 2, 3]

    def test_reads_only_as_far_as_asked(self, ring: crypto.Keyring, tmp_path: Path) -> None:
        path = tmp_path / "c.jsonl"
        checkpoint_file.append(path, checkpoints.sign(ring, last_id=1, last_mac=MAC, at=AT))
        first = checkpoint_file.size(path)
        checkpoint_file.append(path, checkpoints.sign(ring, last_id=2, last_mac=MAC, at=AT))
        assert [c.last_id for c in checkpoint_file.read(path, ring, up_to=first)] == [1]

    def test_a_missing_file_has_no_checkpoints(self, ring: crypto.Keyring, tmp_path: Path) -> None:
        assert list(checkpoint_file.read(tmp_path / "none.jsonl", ring)) == []
        assert checkpoint_file.size(tmp_path / "none.jsonl") == 0

    def test_after_a_line_cut_short_the_next_starts_on_its_own_line(
        self, ring: crypto.Keyring, tmp_path: Path
    ) -> None:
        path = tmp_path / "c.jsonl"
        path.write_text(line_of(ring, 1) + line_of(ring, 2)[:30])
        checkpoint_file.append(path, checkpoints.sign(ring, last_id=3, last_mac=MAC, at=AT))
        assert [c.last_id for c in checkpoint_file.read(path, ring)] == [1, 3]

    def test_names_the_line_of_a_bad_checkpoint(self, ring: crypto.Keyring, tmp_path: Path) -> None:
        path = tmp_path / "c.jsonl"
        path.write_text(line_of(ring, 1) + "\n" + line_of(crypto.Keyring("y" * 40), 2))
        with pytest.raises(checkpoint_file.CheckpointFileError) as caught:
            list(checkpoint_file.read(path, ring))
        assert caught.value.line == 3
        assert "entry #2: signature does not match" in caught.value.reason

    def test_default_file_is_beside_the_key_unless_configured(self, tmp_path: Path) -> None:
        beside = Settings(key_file=tmp_path / "keys" / "dataskydd.key")
        assert checkpoint_file.default_path(beside) == (
            tmp_path / "keys" / "dataskydd-audit-checkpoints.jsonl"
        )
        configured = Settings(audit_checkpoint_file=tmp_path / "worm" / "c.jsonl")
        assert checkpoint_file.default_path(configured) == tmp_path / "worm" / "c.jsonl"
