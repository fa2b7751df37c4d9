"""Checking an audit trail: the hash chain, and that every started call is accounted for.

:func:`verify_chain` reads records in ``seq`` order and reports:

* **errors** (the trail was tampered with or damaged; ``report.ok`` is false):
  a record whose hash does not recompute (edited), whose ``prev_hash`` is not
  the previous record's hash (deleted, inserted or reordered), a gap or a step
  back in ``seq``, a record that cannot be read, a second start record of a
  call still in flight, a chain shorter than the store's own head or than a
  checkpoint kept elsewhere (the tail was cut off), a checkpoint whose hash
  differs (the chain was rewritten);
* **notes** that do not make ``ok`` false: an end record without a start
  record, which is what ``on_failure="allow"`` leaves when the start record
  could not be written.

A start record without an end record is listed in ``report.unfinished``: the
hub stopped (crashed, was killed, lost power) while the call ran, or the call
is still running. It is a truthful record of an unknown effect, not damage to
the trail, so it does not make ``ok`` false; ``report.complete`` is false and
``mcpea audit verify`` names them and fails unless told otherwise, since whether their effect
happened must be checked upstream (connectors derive idempotency keys from
the call id: ``mcpea-<call_id>``).

A plain hash chain cannot show on its own that its tail was cut off or that
the whole chain was rewritten. Stores keep a head (seq and hash of the last
record) to catch the first case when the head was left alone; pass a
:class:`ChainHead` exported out of band earlier (``store.head()``) as
``checkpoint`` to catch both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from .record import GENESIS_HASH, AuditRecord

__all__ = ["ChainHead", "Malformed", "Problem", "Unfinished", "VerifyReport", "verify_chain"]

ProblemKind = Literal[
    "modified",
    "broken_link",
    "missing",
    "out_of_order",
    "malformed",
    "duplicate",
    "truncated",
    "checkpoint_mismatch",
    "end_without_start",
]


@dataclass(frozen=True)
class ChainHead:
    """The last record of a chain: keep one out of band to detect truncation and rewriting."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Malformed:
    """A stored record that could not be read back (bad JSON, missing or unknown field)."""

    seq: int | None
    id: str | None
    reason: str


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    seq: int | None
    id: str | None
    message: str
    error: bool = True

    def __str__(self) -> str:
        where = f"record seq={self.seq} id={self.id}" if self.seq is not None else "the trail"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Unfinished:
    """A call with a start record and no end record."""

    seq: int
    id: str
    call_id: str
    tool: str
    time: str


@dataclass
class VerifyReport:
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    unfinished: list[Unfinished] = field(default_factory=list)
    head: ChainHead | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.error]

    @property
    def ok(self) -> bool:
        """The chain is intact: nothing edited, deleted, inserted, reordered or cut off."""
        return not self.errors

    @property
    def complete(self) -> bool:
        """Intact, and every started call has an end record."""
        return self.ok and not self.unfinished

    @property
    def first_bad(self) -> Problem | None:
        errors = self.errors
        return errors[0] if errors else None

    def __str__(self) -> str:
        if not self.ok:
            bad = self.first_bad
            return f"audit trail damaged ({len(self.errors)} problem(s)); first: {bad}"
        text = f"audit trail intact: {self.records} records"
        if self.unfinished:
            text += f"; {len(self.unfinished)} call(s) started and never finished"
        return text


def _hash_of(record: AuditRecord) -> str | None:
    try:
        return record.compute_hash()
    except (TypeError, ValueError):  # a stored value that is not JSON, or an unknown format
        return None


class _Checker:
    def __init__(self, report: VerifyReport, wanted: set[int]) -> None:
        self.report = report
        self.expected_seq: int | None = 1  # None: unknown, after a record that could not be read
        self.last_seq = 0
        self.prev_hash = GENESIS_HASH
        self.started: dict[str, AuditRecord] = {}
        self.wanted = wanted
        self.hashes: dict[int, str] = {}

    def problem(
        self, kind: ProblemKind, seq: int | None, id: str | None, message: str, *, error: bool = True
    ) -> None:
        self.report.problems.append(Problem(kind, seq, id, message, error))

    def malformed(self, item: Malformed) -> None:
        self.problem("malformed", item.seq, item.id, f"cannot be read: {item.reason}")
        self.expected_seq = item.seq + 1 if item.seq is not None else None
        self.prev_hash = ""  # unknown: do not blame the next record as well

    def record(self, rec: AuditRecord) -> None:
        self.report.records += 1
        expected = rec.seq if self.expected_seq is None else self.expected_seq
        if rec.seq > expected:
            gap = f"{expected}" if rec.seq == expected + 1 else f"{expected}..{rec.seq - 1}"
            self.problem(
                "missing", rec.seq, rec.id, f"seq {gap} missing before this record (deleted or moved)"
            )
        elif rec.seq < expected:
            self.problem("out_of_order", rec.seq, rec.id, f"seq {rec.seq} where {expected} was expected")
        if rec.hash is None or _hash_of(rec) != rec.hash:
            self.problem(
                "modified", rec.seq, rec.id, "hash does not match the content (the record was edited)"
            )
        elif self.prev_hash and rec.prev_hash != self.prev_hash and rec.seq >= expected:
            self.problem(
                "broken_link",
                rec.seq,
                rec.id,
                "prev_hash is not the previous record's hash (records removed or reordered)",
            )
        self.expected_seq = max(expected, rec.seq + 1)
        self.last_seq = max(self.last_seq, rec.seq)
        self.prev_hash = rec.hash or ""
        if rec.seq in self.wanted:
            self.hashes[rec.seq] = rec.hash or ""
        self.calls(rec)

    def calls(self, rec: AuditRecord) -> None:
        # Only calls in flight are remembered, so memory stays bounded on long trails.
        if rec.phase == "start":
            if rec.call_id in self.started:
                self.problem("duplicate", rec.seq, rec.id, f"second start record of call {rec.call_id}")
            self.started[rec.call_id] = rec
        elif self.started.pop(rec.call_id, None) is None:
            self.problem(
                "end_without_start",
                rec.seq,
                rec.id,
                f"call {rec.call_id} has no start record before it (not written under on_failure=allow)",
                error=False,
            )


def verify_chain(
    items: Iterable[AuditRecord | Malformed],
    *,
    head: ChainHead | None = None,
    checkpoint: ChainHead | None = None,
) -> VerifyReport:
    """Check records in ``seq`` order; ``head`` is the store's own, ``checkpoint`` one kept elsewhere."""
    report = VerifyReport()
    checker = _Checker(report, {h.seq for h in (head, checkpoint) if h is not None})
    for item in items:
        if isinstance(item, Malformed):
            checker.malformed(item)
        else:
            checker.record(item)
    last_seq = checker.last_seq
    report.head = ChainHead(last_seq, checker.prev_hash) if last_seq else None
    for expected, label in ((head, "the store's head"), (checkpoint, "the checkpoint")):
        if expected is None or expected.seq == 0:
            continue
        found = checker.hashes.get(expected.seq)
        if expected.seq > last_seq:
            checker.problem(
                "truncated",
                None,
                None,
                f"{label} says seq {expected.seq} exists but the chain ends at seq {last_seq}",
            )
        elif found != expected.hash:
            checker.problem(
                "checkpoint_mismatch",
                expected.seq,
                None,
                f"hash differs from {label} (the chain was rewritten)",
            )
    report.unfinished = [
        Unfinished(r.seq, r.id, r.call_id, r.tool, r.time)
        for r in sorted(checker.started.values(), key=lambda r: r.seq)
    ]
    return report
