import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dataskydd import crypto
from dataskydd.audit import chain

AT = datetime(2026, 11, 24, 12, 0, 0, 5, tzinfo=UTC)
FIELDS: dict[str, Any] = {
    "id": 1,
    "at": AT,
    "actor": "staff:anna",
    "action": "subject.show",
    "subject_id": 42,
    "purpose": "customer_service",
    "detail": {"categories": ["contact", "contract"], "count": 2},
}


class TestEntryPayload:
    def test_is_the_documented_serialisation(self) -> None:
        expected = (
            '{"action":"subject.show","actor":"staff:anna","at":"2026-11-24T12:00:00.000005+00:00",'
            '"detail":{"categories":["contact","contract"],"count":2},"id":1,'
            '"prev_mac":"' + chain.GENESIS + '","purpose":"customer_service","subject_id":42,"v":2}'
        )
        assert chain.entry_payload(chain.GENESIS, **FIELDS) == expected.encode()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("id", 2),
            ("at", AT + timedelta(microseconds=1)),
            ("actor", "staff:bertil"),
            ("action", "subject.update"),
            ("subject_id", None),
            ("purpose", None),
            ("detail", {"categories": ["contact"], "count": 2}),
        ],
    )
    def test_changes_when_any_field_changes(self, field: str, value: object) -> None:
        assert chain.entry_payload(chain.GENESIS, **{**FIELDS, field: value}) != (
            chain.entry_payload(chain.GENESIS, **FIELDS)
        )

    def test_changes_with_the_previous_mac(self) -> None:
        assert chain.entry_payload("f" * 64, **FIELDS) != chain.entry_payload(
            chain.GENESIS, **FIELDS
        )

    def test_same_instant_in_another_time_zone_is_the_same_payload(self) -> None:
        stockholm_winter = AT.astimezone(timezone(timedelta(hours=1)))
        assert chain.entry_payload(chain.GENESIS, **{**FIELDS, "at": stockholm_winter}) == (
            chain.entry_payload(chain.GENESIS, **FIELDS)
        )

    def test_detail_key_order_does_not_matter(self) -> None:
        reordered = {"count": 2, "categories": ["contact", "contract"]}
        assert chain.entry_payload(chain.GENESIS, **{**FIELDS, "detail": reordered}) == (
            chain.entry_payload(chain.GENESIS, **FIELDS)
        )

    def test_no_detail_is_like_empty_detail(self) -> None:
        assert chain.entry_payload(chain.GENESIS, **{**FIELDS, "detail": None}) == (
            chain.entry_payload(chain.GENESIS, **{**FIELDS, "detail": {}})
        )

    def test_refuses_naive_times(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            chain.entry_payload(chain.GENESIS, **{**FIELDS, "at": AT.replace(tzinfo=None)})


class TestEntryMac:
    """What docs/audit.md tells an outside verifier, re-implemented without dataskydd."""

    def test_is_hmac_sha256_with_the_hkdf_derived_audit_key(self) -> None:
        secret = "an-outside-verifier-knows-this-secret-" + "k" * 10
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"dataskydd audit entry mac v1"
        ).derive(secret.encode())
        payload = chain.entry_payload(chain.GENESIS, **FIELDS)
        expected = hmac.new(key, payload, hashlib.sha256).hexdigest()
        assert crypto.Keyring(secret).audit_mac(payload) == expected

    def test_is_not_the_plain_sha256_of_format_1(self) -> None:
        payload = chain.entry_payload(chain.GENESIS, **FIELDS)
        mac = crypto.Keyring("s" * 40).audit_mac(payload)
        assert mac != hashlib.sha256(payload).hexdigest()
        assert mac != crypto.Keyring("t" * 40).audit_mac(payload)

    def test_checkpoint_key_is_another_key(self) -> None:
        ring = crypto.Keyring("s" * 40)
        assert ring.audit_mac(b"same bytes") != ring.audit_checkpoint_mac(b"same bytes")


class TestDetail:
    def test_canonical_form_is_compact_and_sorted(self) -> None:
        assert chain.canonical_detail({"b": 1, "a": "å"}) == '{"a":"å","b":1}'

    def test_refuses_values_json_cannot_carry(self) -> None:
        with pytest.raises(TypeError):
            chain.canonical_detail({"when": AT})
        with pytest.raises(ValueError, match="JSON"):
            chain.canonical_detail({"ratio": float("nan")})

    def test_round_trips(self) -> None:
        detail = {"fields": ["email"], "count": 1}
        assert chain.json_detail(chain.canonical_detail(detail)) == detail

    def test_stored_detail_must_be_an_object(self) -> None:
        with pytest.raises(ValueError, match="object"):
            chain.json_detail(json.dumps([1, 2]))
