"""Records as table rows (SQLite and PostgreSQL share one column layout), and sealing a batch."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .record import FORMAT_VERSION, GENESIS_HASH, AuditRecord, Canonical, Draft, canonical_json, draft_values
from .store import AuditStoreError
from .verify import ChainHead, Malformed

__all__ = [
    "COLUMNS",
    "column_definitions",
    "from_row",
    "head_from_row",
    "readable",
    "seal_batch",
    "seal_drafts",
    "to_row",
    "values_row",
]

COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(AuditRecord))
_JSON_COLUMNS = frozenset({"arguments", "upstream"})
_NULLABLE = frozenset(
    {"session", "plugin_version", "arguments", "outcome", "error_class", "error_message", "duration_ms"}
)


def column_definitions(*, bigint: str, double: str) -> str:
    """The records table's columns, one per record field; JSON and times as text, to keep them exact."""
    types = {"seq": f"{bigint} PRIMARY KEY", "v": "INTEGER", "duration_ms": double, "id": "TEXT UNIQUE"}
    return ",\n".join(
        f"{name} {types.get(name, 'TEXT')}{'' if name in _NULLABLE or name == 'seq' else ' NOT NULL'}"
        for name in COLUMNS
    )


def to_row(record: AuditRecord, canonical: Canonical | None = None) -> tuple[Any, ...]:
    """The record's values in :data:`COLUMNS` order; JSON fields as canonical JSON text.

    ``canonical`` is the record's :meth:`~.record.AuditRecord.canonical`, if made already.
    """
    if canonical is None:
        return tuple(
            canonical_json(getattr(record, name)) if name in _JSON_COLUMNS else getattr(record, name)
            for name in COLUMNS
        )
    json_text = {"arguments": canonical.arguments, "upstream": canonical.upstream}
    return tuple(json_text[name] if name in _JSON_COLUMNS else getattr(record, name) for name in COLUMNS)


def values_row(
    values: Mapping[str, Any], canonical: Canonical, seq: int, prev_hash: str, digest: str
) -> tuple[Any, ...]:
    """The row of a record sealed at ``seq`` from its field values (see ``record.draft_values``)."""
    placed = {
        "arguments": canonical.arguments,
        "upstream": canonical.upstream,
        "seq": seq,
        "prev_hash": prev_hash,
        "hash": digest,
        "v": FORMAT_VERSION,
    }
    return tuple(placed[name] if name in placed else values[name] for name in COLUMNS)


def seal_drafts(drafts: Sequence[Draft], head: ChainHead | None) -> tuple[list[tuple[Any, ...]], ChainHead]:
    """Rows for ``drafts`` placed after ``head``, and the new head: no :class:`AuditRecord` made."""
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    rows = []
    for draft in drafts:
        values = draft_values(draft)
        canonical = Canonical.of(values)
        seq += 1
        digest = canonical.hash(seq, prev)
        rows.append(values_row(values, canonical, seq, prev, digest))
        prev = digest
    return rows, ChainHead(seq, prev)


def from_row(row: Mapping[str, Any]) -> AuditRecord | Malformed:
    """Rebuild a record from a row; a row that cannot be read becomes :class:`Malformed`."""
    data = dict(row)
    try:
        for name in _JSON_COLUMNS:
            data[name] = json.loads(data[name]) if data[name] is not None else None
        return AuditRecord.from_dict(data)
    except (TypeError, ValueError) as exc:
        seq = data.get("seq")
        return Malformed(
            seq if isinstance(seq, int) else None, str(data.get("id")), f"{type(exc).__name__}: {exc}"
        )


def readable(rows: Iterable[Mapping[str, Any]]) -> list[AuditRecord]:
    """Records for a listing; one that cannot be read stops it (``verify`` says more)."""
    records = []
    for row in rows:
        item = from_row(row)
        if not isinstance(item, AuditRecord):
            raise AuditStoreError(f"audit record seq={item.seq} cannot be read ({item.reason}): run verify")
        records.append(item)
    return records


def head_from_row(row: Any) -> ChainHead | None:
    """The chain head from a ``(seq, hash)`` row; ``None`` for an empty chain."""
    return ChainHead(int(row[0]), str(row[1])) if row is not None and row[0] else None


def seal_batch(
    records: Sequence[AuditRecord], head: ChainHead | None, canonicals: Sequence[Canonical] | None = None
) -> list[AuditRecord]:
    """Place ``records`` after ``head`` in the chain, in order (``canonicals``: theirs, if made already)."""
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    sealed = []
    for n, record in enumerate(records):
        seq += 1
        placed = record.seal(seq, prev, canonicals[n] if canonicals is not None else None)
        prev = placed.hash or ""
        sealed.append(placed)
    return sealed
