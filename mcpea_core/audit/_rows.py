"""Records as table rows (SQLite and PostgreSQL share one column layout), and sealing a batch."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .record import (
    DRAFT_FIELDS,
    FORMAT_VERSION,
    GENESIS_HASH,
    HASHED_FIELDS,
    AuditRecord,
    Draft,
    canonical_json,
    time_text,
)
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


def to_row(record: AuditRecord) -> tuple[Any, ...]:
    """The record's values in :data:`COLUMNS` order; JSON fields as canonical JSON text."""
    return tuple(
        canonical_json(getattr(record, name)) if name in _JSON_COLUMNS else getattr(record, name)
        for name in COLUMNS
    )


# Sealing a draft spells its canonical JSON (see record.AuditRecord.compute_hash) straight from the
# draft's values into one template: the keys in sorted order, each value as canonical_json makes it.
_SEALED_KEYS = (
    "arguments", "call_id", "duration_ms", "error_class", "error_message", "hub", "id", "outcome", "phase",
    "plugin", "plugin_version", "prev_hash", "principal", "seq", "session", "time", "tool", "transport",
    "upstream", "v",
)  # fmt: skip
assert _SEALED_KEYS == tuple(sorted(HASHED_FIELDS)), "the template below must follow the hashed fields"
_SEALED_TEXT = "{" + ",".join(f'"{key}":%s' for key in _SEALED_KEYS) + "}"
assert DRAFT_FIELDS == (
    "id", "phase", "call_id", "time", "tool", "principal", "hub", "plugin", "plugin_version", "transport",
    "session", "arguments", "outcome", "error_class", "error_message", "duration_ms", "upstream",
), "seal_drafts unpacks drafts in this order"  # fmt: skip
assert COLUMNS == (
    "call_id", "phase", "tool", "principal", "hub", "plugin", "plugin_version", "transport", "session",
    "arguments", "outcome", "error_class", "error_message", "duration_ms", "upstream", "id", "time", "seq",
    "prev_hash", "hash", "v",
), "seal_drafts makes rows in this order"  # fmt: skip


# The template with a call's own fields filled in (tool, principal, hub, plugin, its version,
# transport, session): they repeat in both records of a call, and mostly from call to call. The
# format version too: drafts are made in the current one.
_CALL_KEYS = ("hub", "plugin", "plugin_version", "principal", "session", "tool", "transport", "v")
_FILLED: dict[tuple[Any, ...], str] = {}
_TEXT_OR_NONE = frozenset({str, type(None)})


def _filled_template(call_fields: tuple[Any, ...]) -> str:
    """``_SEALED_TEXT`` with ``call_fields`` (draft order: tool ... session) in, the rest left to fill."""
    # Only fields that are exactly text or None are looked up and cached: 1 == True == 1.0, and a
    # text subclass may call itself equal to other text, so either would share another's spelling.
    cacheable = _TEXT_OR_NONE.issuperset(map(type, call_fields))
    filled = _FILLED.get(call_fields) if cacheable else None
    if filled is None:
        tool, principal, hub, plugin, plugin_version, transport, session = call_fields
        ordered = (hub, plugin, plugin_version, principal, session, tool, transport, FORMAT_VERSION)
        values = dict(zip(_CALL_KEYS, ordered, strict=True))
        filled = "{" + ",".join(
            f'"{key}":' + (canonical_json(values[key]).replace("%", "%%") if key in values else "%s")
            for key in _SEALED_KEYS
        ) + "}"
        if cacheable:
            if len(_FILLED) >= 1024:  # many principals or sessions: start over rather than grow
                _FILLED.clear()
            _FILLED[call_fields] = filled
    return filled


def seal_drafts(drafts: Sequence[Draft], head: ChainHead | None) -> tuple[list[tuple[Any, ...]], ChainHead]:
    """Rows for ``drafts`` placed after ``head``, and the new head: no :class:`AuditRecord` made.

    The writer thread's work per record on the journaled path, so it is spelled out: the
    record's hash is the one :meth:`AuditRecord.compute_hash` gives its record (tested).
    """
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    prev_text = canonical_json(prev)
    rows = []
    js, sha256 = canonical_json, hashlib.sha256
    for draft in drafts:
        (
            id_, phase, call_id, time, tool, principal, hub, plugin, plugin_version, transport, session,
            arguments, outcome, error_class, error_message, duration_ms, upstream,
        ) = draft  # fmt: skip
        if isinstance(time, int):  # as draft_values has it
            time = time_text(time)
        if isinstance(duration_ms, int):
            duration_ms = float(duration_ms)
        arguments_text, upstream_text = js(arguments), js(upstream)
        seq += 1
        text = _filled_template(draft[4:11]) % (
            arguments_text, js(call_id),
            "null" if duration_ms is None else js(duration_ms),
            "null" if error_class is None else js(error_class),
            "null" if error_message is None else js(error_message),
            js(id_),
            "null" if outcome is None else js(outcome),
            js(phase), prev_text, seq, js(time), upstream_text,
        )  # fmt: skip
        digest = sha256(text.encode("utf-8")).hexdigest()
        rows.append((
            call_id, phase, tool, principal, hub, plugin, plugin_version, transport, session, arguments_text,
            outcome, error_class, error_message, duration_ms, upstream_text, id_, time, seq, prev, digest,
            FORMAT_VERSION,
        ))  # fmt: skip
        prev, prev_text = digest, f'"{digest}"'  # a hex digest needs no escaping
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


def seal_batch(records: Sequence[AuditRecord], head: ChainHead | None) -> list[AuditRecord]:
    """Place ``records`` after ``head`` in the chain, in order."""
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    sealed = []
    for record in records:
        seq += 1
        placed = record.seal(seq, prev)
        prev = placed.hash or ""
        sealed.append(placed)
    return sealed
