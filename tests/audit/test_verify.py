"""verify_chain on records in memory: what it catches and how it names the first bad record."""

from __future__ import annotations

import dataclasses

from mcpea_core.audit._rows import seal_batch
from mcpea_core.audit.record import AuditRecord
from mcpea_core.audit.verify import ChainHead, Malformed, verify_chain

from ._support import make_record


def chain(calls: int = 3) -> list[AuditRecord]:
    records = []
    for i in range(calls):
        records += [make_record(f"call-{i}"), make_record(f"call-{i}", "end")]
    return seal_batch(records, None)


def test_an_intact_chain_passes() -> None:
    records = chain()
    report = verify_chain(records, head=ChainHead(6, records[-1].hash or ""))
    assert report.ok and report.complete and report.records == 6
    assert report.head == ChainHead(6, records[-1].hash or "")
    assert str(report) == "audit trail intact: 6 records"


def test_an_empty_chain_passes() -> None:
    report = verify_chain([])
    assert report.ok and report.records == 0 and report.head is None


def test_an_edited_record_is_named() -> None:
    records = chain()
    records[2] = dataclasses.replace(records[2], principal="someone-else")
    report = verify_chain(records)
    assert not report.ok
    bad = report.first_bad
    assert bad is not None and (bad.kind, bad.seq, bad.id) == ("modified", 3, records[2].id)
    assert "seq=3" in str(report) and records[2].id in str(report)


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link() -> None:
    records = chain()
    forged = dataclasses.replace(records[2], outcome=None, principal="someone-else")
    records[2] = forged.seal(forged.seq, forged.prev_hash or "")
    report = verify_chain(records)
    bad = report.first_bad
    assert bad is not None and (bad.kind, bad.seq) == ("broken_link", 4)


def test_a_deleted_record_is_a_gap() -> None:
    records = chain()
    del records[3]
    bad = verify_chain(records).first_bad
    assert bad is not None and (bad.kind, bad.seq) == ("missing", 5)
    assert "seq 4 missing" in bad.message


def test_reordered_records_are_caught() -> None:
    records = chain()
    records[1], records[2] = records[2], records[1]
    report = verify_chain(records)
    assert not report.ok
    assert report.first_bad is not None and report.first_bad.seq == 3
    assert {p.kind for p in report.errors} >= {"missing", "out_of_order"}


def test_a_cut_off_tail_is_caught_by_the_head_and_by_a_checkpoint() -> None:
    records = chain()
    head = ChainHead(6, records[-1].hash or "")
    for report in (verify_chain(records[:-2], head=head), verify_chain(records[:-2], checkpoint=head)):
        assert report.first_bad is not None and report.first_bad.kind == "truncated"


def test_a_rewritten_chain_is_caught_by_a_checkpoint() -> None:
    records = chain()
    checkpoint = ChainHead(4, records[3].hash or "")
    rewritten = seal_batch([dataclasses.replace(r, hash=None, tool="forged") for r in records], None)
    assert verify_chain(rewritten).ok  # a hash chain alone cannot tell
    report = verify_chain(rewritten, checkpoint=checkpoint)
    assert report.first_bad is not None and report.first_bad.kind == "checkpoint_mismatch"


def test_a_started_call_that_never_finished_is_reported_but_the_chain_is_intact() -> None:
    records = seal_batch([make_record("a"), make_record("b"), make_record("a", "end")], None)
    report = verify_chain(records)
    assert report.ok and not report.complete
    assert [(u.call_id, u.seq) for u in report.unfinished] == [("b", 2)]
    assert "1 call(s) started and never finished" in str(report)


def test_an_end_without_a_start_is_a_note_not_an_error() -> None:
    report = verify_chain(seal_batch([make_record("a", "end")], None))
    assert report.ok
    assert [p.kind for p in report.problems] == ["end_without_start"]


def test_a_second_start_of_a_call_in_flight_is_an_error() -> None:
    report = verify_chain(seal_batch([make_record("a"), make_record("a")], None))
    assert report.first_bad is not None and report.first_bad.kind == "duplicate"


def test_an_unreadable_record_is_named_without_blaming_the_next() -> None:
    records: list[AuditRecord | Malformed] = list(chain())
    records[2] = Malformed(None, None, "line 3: not JSON")
    report = verify_chain(records)
    assert [p.kind for p in report.errors] == ["malformed"]
