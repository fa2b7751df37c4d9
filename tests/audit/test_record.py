"""The record format: canonical JSON, sealing into a chain, and reading stored records back."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest

from mcpea_core.audit.record import GENESIS_HASH, AuditRecord, canonical_json, utc_now

from ._support import make_record


def test_canonical_json_is_sorted_compact_and_unicode() -> None:
    assert canonical_json({"b": 1, "a": ["é", None, 1.5]}) == '{"a":["é",null,1.5],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_time_is_fixed_width_utc() -> None:
    stamp = utc_now()
    assert len(stamp) == len("2025-01-31T12:00:00.000000Z") and stamp.endswith("Z")


def test_seal_fills_the_chain_fields_and_the_hash_covers_everything_but_itself() -> None:
    record = make_record("c1").seal(1, GENESIS_HASH)
    assert (record.seq, record.prev_hash) == (1, GENESIS_HASH)
    content = {k: v for k, v in record.to_dict().items() if k != "hash"}
    assert record.hash == hashlib.sha256(canonical_json(content).encode()).hexdigest()
    changes: list[dict[str, Any]] = [
        {"tool": "other"},
        {"arguments": {"text": "changed"}},
        {"seq": 2},
        {"prev_hash": "f" * 64},
    ]
    for change in changes:
        assert dataclasses.replace(record, **change).compute_hash() != record.hash, change


def test_stored_form_round_trips() -> None:
    record = make_record("c1", "end", error_message="x", upstream={"request_ids": ["req_1"]}).seal(
        7, "a" * 64
    )
    again = AuditRecord.from_dict(json.loads(canonical_json(record.to_dict())))
    assert again == record
    assert again.compute_hash() == record.hash


def test_unknown_fields_are_refused() -> None:
    data = make_record("c1").seal(1, GENESIS_HASH).to_dict()
    data["smuggled"] = "not covered by the hash"
    with pytest.raises(ValueError, match="smuggled"):
        AuditRecord.from_dict(data)


def test_an_integer_duration_hashes_like_the_float_stores_keep() -> None:
    assert make_record("c", "end", duration_ms=5).duration_ms == 5.0
