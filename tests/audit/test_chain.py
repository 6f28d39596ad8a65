import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

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


class TestEntryHash:
    def test_is_sha256_of_the_documented_serialisation(self) -> None:
        expected_payload = (
            '{"action":"subject.show","actor":"staff:anna","at":"2026-11-24T12:00:00.000005+00:00",'
            '"detail":{"categories":["contact","contract"],"count":2},"id":1,'
            '"prev_hash":"'
            + chain.GENESIS
            + '","purpose":"customer_service","subject_id":42,"v":1}'
        )
        expected = hashlib.sha256(expected_payload.encode()).hexdigest()
        assert chain.entry_hash(chain.GENESIS, **FIELDS) == expected

    def test_is_64_hex_characters(self) -> None:
        digest = chain.entry_hash(chain.GENESIS, **FIELDS)
        assert len(digest) == 64
        int(digest, 16)

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
        assert chain.entry_hash(chain.GENESIS, **{**FIELDS, field: value}) != chain.entry_hash(
            chain.GENESIS, **FIELDS
        )

    def test_changes_with_the_previous_hash(self) -> None:
        assert chain.entry_hash("f" * 64, **FIELDS) != chain.entry_hash(chain.GENESIS, **FIELDS)

    def test_same_instant_in_another_time_zone_hashes_the_same(self) -> None:
        stockholm_winter = AT.astimezone(timezone(timedelta(hours=1)))
        assert chain.entry_hash(chain.GENESIS, **{**FIELDS, "at": stockholm_winter}) == (
            chain.entry_hash(chain.GENESIS, **FIELDS)
        )

    def test_detail_key_order_does_not_matter(self) -> None:
        reordered = {"count": 2, "categories": ["contact", "contract"]}
        assert chain.entry_hash(chain.GENESIS, **{**FIELDS, "detail": reordered}) == (
            chain.entry_hash(chain.GENESIS, **FIELDS)
        )

    def test_no_detail_hashes_like_empty_detail(self) -> None:
        assert chain.entry_hash(chain.GENESIS, **{**FIELDS, "detail": None}) == (
            chain.entry_hash(chain.GENESIS, **{**FIELDS, "detail": {}})
        )

    def test_refuses_naive_times(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            chain.entry_hash(chain.GENESIS, **{**FIELDS, "at": AT.replace(tzinfo=None)})


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
