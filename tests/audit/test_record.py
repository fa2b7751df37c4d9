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


# Values that canonical JSON spells in every way it can: escapes, non-ASCII, floats, nesting.
_AWKWARD_DRAFTS: list[dict[str, Any]] = [
    {},
    {"arguments": {"z": [1, 2.5, None, True], "a": {"é": '"quoted"\n\t\\'}}, "session": "s-1"},
    {"phase": "end", "arguments": None, "outcome": "crash", "error_class": "builtins.ValueError",
     "error_message": "bad \x01 value ✓ 🙂", "duration_ms": 1e16, "upstream": {"request_ids": ["req_1"]}},
    {"phase": "end", "arguments": None, "outcome": "success", "duration_ms": 7, "plugin_version": "1.2.3"},
    {"arguments": {"big": 2**70, "neg": -0.0, "tiny": 5e-324}, "transport": "http", "plugin": "p\u2028q"},
    {"principal": "100% %s %(x)s %%", "tool": "t%d", "session": "%"},  # the template is %-formatted
]  # fmt: skip


@pytest.mark.parametrize("fields", _AWKWARD_DRAFTS)
@pytest.mark.parametrize("prev", [GENESIS_HASH, "f" * 64])
def test_sealing_a_draft_makes_the_row_and_hash_sealing_its_record_makes(
    fields: dict[str, Any], prev: str
) -> None:
    """The writer thread's fast path (``seal_drafts``) and ``AuditRecord.seal`` agree to the byte."""
    from mcpea_core.audit._rows import seal_drafts, to_row
    from mcpea_core.audit.record import draft_of, record_from_draft
    from mcpea_core.audit.verify import ChainHead

    phase = fields.pop("phase", "start")
    draft = list(draft_of(make_record("c1", phase, **fields)))
    draft[3] = 1_764_000_000_123_456_789  # time as the plugin drafts it: nanoseconds
    record = record_from_draft(tuple(draft))
    head = ChainHead(41, prev) if prev != GENESIS_HASH else None

    rows, new_head = seal_drafts([tuple(draft), tuple(draft)], head)

    first = record.seal(42 if head else 1, prev)
    second = record.seal(first.seq + 1, first.hash or "")
    assert rows == [to_row(first), to_row(second)]
    assert first.hash == first.compute_hash() and second.hash == second.compute_hash()  # the reference
    assert new_head == ChainHead(second.seq, second.hash or "")
    assert first.time == "2025-11-24T16:00:00.123456Z"


class _CaseBlind(str):
    """Text that calls itself equal to the same text in any case (as some applications' ids do)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.lower() == other.lower()

    def __hash__(self) -> int:
        return hash(self.lower())


def test_sealing_never_reuses_the_spelling_of_an_equal_call_field_of_another_type() -> None:
    """``seal_drafts`` caches a template per call's fields; 1, True and 1.0 are equal but spelled apart.

    So are "v1" and a text subclass that calls itself equal to it. The audit plugin drafts only
    plain text there, but the stores' own checks let a subclass of text through (and ``accept``,
    the journal's hot path, checks nothing): whatever is sealed must hash as its own record does.
    """
    from mcpea_core.audit._rows import seal_drafts
    from mcpea_core.audit.record import draft_of

    versions: list[Any] = ["1", 1, True, 1.0, ["1"], "1", "v1", _CaseBlind("V1")]
    drafts = []
    for version in versions:
        draft = list(draft_of(make_record("c1")))
        draft[8] = version  # plugin_version
        drafts.append(tuple(draft))

    rows, _ = seal_drafts(drafts, None)

    expected = GENESIS_HASH
    for seq, (row, version) in enumerate(zip(rows, versions, strict=True), start=1):
        record = make_record("c1", id=drafts[seq - 1][0], time=drafts[seq - 1][3], plugin_version=version)
        sealed = dataclasses.replace(record, seq=seq, prev_hash=expected)
        assert row[-2] == sealed.compute_hash(), f"plugin_version={version!r}"
        expected = row[-2]
    assert len({row[-2] for row in rows}) == len(rows)
