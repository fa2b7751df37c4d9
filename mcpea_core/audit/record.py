"""One audit record, its canonical JSON and its place in the hash chain.

Every tool call leaves two records: ``phase="start"``, written (and committed)
before the tool runs, and ``phase="end"``, written after it returns, fails or
is cancelled. Both carry the call's ``call_id``; the start record carries the
redacted arguments, the end record the outcome, the error and the upstream
request ids and idempotency keys.

A record is built *unsealed* (``seq=0``, no hashes) by the audit plugin and
*sealed* by the store that appends it: the store alone knows the chain's head,
so it assigns ``seq`` (1, 2, 3, ... with no gaps), copies the previous record's
hash into ``prev_hash`` and computes ``hash`` = SHA-256 over the canonical JSON
of every field except ``hash`` itself (keys sorted, no whitespace, UTF-8).
``v`` names the record format, so fields can be added later without breaking
the hashes of older records.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import c_make_encoder  # type: ignore[attr-defined]  # None without the C accelerator
from json.encoder import encode_basestring as _json_string  # the C encoder, as json uses it
from typing import Any, Literal

from .._ids import record_id
from ..context import Outcome

__all__ = [
    "DRAFT_FIELDS",
    "FORMAT_VERSION",
    "GENESIS_HASH",
    "HASHED_FIELDS",
    "AuditRecord",
    "Draft",
    "Phase",
    "canonical_json",
    "draft_of",
    "draft_values",
    "record_from_draft",
    "time_text",
    "utc_now",
]

Phase = Literal["start", "end"]
FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record of a chain."""

HASHED_FIELDS: tuple[str, ...] = (  # what a record's hash covers (format v1): every field but the hash
    "v",
    "id",
    "time",
    "hub",
    "principal",
    "transport",
    "session",
    "tool",
    "plugin",
    "plugin_version",
    "arguments",
    "phase",
    "call_id",
    "outcome",
    "error_class",
    "error_message",
    "duration_ms",
    "upstream",
    "seq",
    "prev_hash",
)


def utc_now() -> str:
    """The current time as fixed-width UTC ISO 8601 (sorts as text): ``2025-01-31T12:00:00.000000Z``."""
    return time_text(time.time_ns())


def time_text(ns: int) -> str:
    """A time in nanoseconds since the epoch as :func:`utc_now` spells it (microseconds, UTC)."""
    seconds, micros = divmod(ns // 1000, 1_000_000)
    last = _last_second  # records come in bursts within one second: format its date and time once
    if last[0] != seconds:
        last = _last_second_is(seconds)
    return f"{last[1]}.{micros:06d}Z"


def _second_text(seconds: int) -> str:
    moment = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    if moment.year < 1000:  # isoformat pads the year to four digits, as strftime("%Y") does not everywhere
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return moment.isoformat(timespec="seconds")


def _last_second_is(seconds: int) -> tuple[int, str]:
    global _last_second
    _last_second = (seconds, _second_text(seconds))  # one assignment: safe to share between threads
    return _last_second


_last_second: tuple[int, str] = (0, _second_text(0))

def _unencodable(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def compact_json_encoder(*, sort_keys: bool, allow_nan: bool) -> Callable[[Any], str]:
    """``json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, ...).encode``, minus its set-up per call.

    ``JSONEncoder.encode`` builds a new C encoder for every value it encodes,
    which costs more than encoding a record; this builds it once. It leaves out
    the circular-reference check: a value that contains itself raises
    ``RecursionError`` instead of ``ValueError`` (records are trees).
    """
    if c_make_encoder is None:  # a Python without json's C accelerator
        return json.JSONEncoder(
            sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan
        ).encode
    encoder = c_make_encoder(None, _unencodable, _json_string, None, ":", ",", sort_keys, False, allow_nan)
    return lambda value: "".join(encoder(value, 0))


_canonical_encode = compact_json_encoder(sort_keys=True, allow_nan=False)


def canonical_json(value: Any) -> str:
    """The one JSON spelling of ``value`` that hashes are computed over.

    Keys sorted, no whitespace, non-ASCII as is, no NaN or infinity. Strings,
    ``None``, integers and floats (what most record fields hold) take a short
    cut to the same text ``json`` makes for them; it saves most of the cost of
    sealing a record.
    """
    if value is None:
        return "null"
    cls = type(value)
    if cls is str:
        return _json_string(value)
    if cls is int:
        return int.__repr__(value)
    if cls is float and math.isfinite(value):
        return float.__repr__(value)
    if cls is dict and not value:  # most records' upstream ids, and arguments of tools that take none
        return "{}"
    return _canonical_encode(value)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit trail. Arguments and error texts are already redacted.

    ``call_id`` pairs a call's start and end records (connectors derive
    idempotency keys from it); ``phase`` is ``start`` or ``end``; ``tool``,
    ``plugin`` and ``plugin_version`` name what ran; ``principal`` is the
    caller's id, ``transport`` how it called (``stdio``, ``http``, ``inprocess``,
    ``cli``) and ``session`` its MCP session id, if any; ``hub`` is the id of
    the hub process that wrote the record. Start records carry ``arguments``;
    end records carry ``outcome``, ``error_class``/``error_message``,
    ``duration_ms`` and ``upstream`` (vendor request ids and idempotency keys).
    ``id`` is the record's own id and ``time`` when it was made (UTC);
    ``seq``, ``prev_hash`` and ``hash`` place it in the chain.
    """

    call_id: str
    phase: Phase
    tool: str
    principal: str
    hub: str
    plugin: str = ""
    plugin_version: str | None = None
    transport: str = "inprocess"
    session: str | None = None
    arguments: dict[str, Any] | None = None
    outcome: Outcome | None = None
    error_class: str | None = None
    error_message: str | None = None
    duration_ms: float | None = None
    upstream: dict[str, list[str]] = field(default_factory=dict)
    id: str = field(default_factory=record_id)
    time: str = field(default_factory=utc_now)
    seq: int = 0
    prev_hash: str | None = None
    hash: str | None = None
    v: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if isinstance(self.duration_ms, int):  # stores keep it as a float: the hash must not change
            object.__setattr__(self, "duration_ms", float(self.duration_ms))

    @property
    def sealed(self) -> bool:
        return self.hash is not None

    def hashed_content(self) -> dict[str, Any]:
        """The fields the hash covers, for this record's format version."""
        if self.v != FORMAT_VERSION:
            raise ValueError(f"unknown audit record format v={self.v}")
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.hashed_content()).encode("utf-8")).hexdigest()

    def seal(self, seq: int, prev_hash: str) -> AuditRecord:
        """This record placed in a chain after a record whose hash is ``prev_hash``.

        Sealed the way the stores seal drafts (``_rows.seal_drafts``); the hash is the one
        :meth:`compute_hash` gives the sealed record.
        """
        from ._rows import seal_drafts  # (it builds on this module)
        from .verify import ChainHead

        if self.v != FORMAT_VERSION:
            raise ValueError(f"unknown audit record format v={self.v}")
        draft = tuple(getattr(self, name) for name in DRAFT_FIELDS)
        (row,), _ = seal_drafts([draft], ChainHead(seq - 1, prev_hash))
        digest = row[_HASH_COLUMN]
        # A copy with three fields changed: what dataclasses.replace makes, without its cost.
        sealed = object.__new__(AuditRecord)
        for name in _SLOTS:
            object.__setattr__(sealed, name, getattr(self, name))
        object.__setattr__(sealed, "seq", seq)
        object.__setattr__(sealed, "prev_hash", prev_hash)
        object.__setattr__(sealed, "hash", digest)
        return sealed

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditRecord:
        """Rebuild a stored record; unknown keys are an error (they would escape the hash)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
        return cls(**data)


_SLOTS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(AuditRecord))
_HASH_COLUMN = _SLOTS.index("hash")  # a stored row's columns follow the fields

# The hashed fields in canonical (sorted) order fall into: arguments, the fields up to prev_hash,
# prev_hash, principal, seq, the fields after seq up to upstream, upstream, v.
Draft = tuple[Any, ...]
"""An unsealed record as a plain tuple of :data:`DRAFT_FIELDS`: what the audit plugin makes per call.

Cheaper to make and to write to a journal than an :class:`AuditRecord` (which
a store makes from it with :func:`record_from_draft`, off the event loop).
``time`` is nanoseconds since the epoch (an ``int``) or already the record's
text; ``id`` is fixed when the draft is made, so a journaled record keeps it.
"""

DRAFT_FIELDS: tuple[str, ...] = (
    "id",
    "phase",
    "call_id",
    "time",
    "tool",
    "principal",
    "hub",
    "plugin",
    "plugin_version",
    "transport",
    "session",
    "arguments",
    "outcome",
    "error_class",
    "error_message",
    "duration_ms",
    "upstream",
)
assert set(DRAFT_FIELDS) == set(_SLOTS) - {"seq", "prev_hash", "hash", "v"}


def draft_values(draft: Draft) -> dict[str, Any]:
    """A draft's field values as its record holds them (``time`` as text, ``duration_ms`` a float)."""
    values = dict(zip(DRAFT_FIELDS, draft, strict=True))
    if isinstance(values["time"], int):
        values["time"] = time_text(values["time"])
    if isinstance(values["duration_ms"], int):
        values["duration_ms"] = float(values["duration_ms"])
    return values


def record_from_draft(draft: Draft) -> AuditRecord:
    """The unsealed record a draft describes."""
    return AuditRecord(**draft_values(draft))


def draft_of(record: AuditRecord) -> Draft:
    """A record (unsealed) as a draft; ``record_from_draft(draft_of(r)) == r`` for an unsealed ``r``."""
    if record.sealed or record.v != FORMAT_VERSION:
        raise ValueError("only an unsealed record of the current format can be drafted")
    return tuple(getattr(record, name) for name in DRAFT_FIELDS)


_TEXT_FIELDS = frozenset({"id", "phase", "call_id", "tool", "principal", "hub", "plugin", "transport"})
_OPTIONAL_TEXT_FIELDS = frozenset({"plugin_version", "session", "outcome", "error_class", "error_message"})
_LATEST_NS = 253402300799 * 10**9  # 9999-12-31T23:59:59Z: the last time a record's text can spell
assert _TEXT_FIELDS | _OPTIONAL_TEXT_FIELDS | {"time", "duration_ms", "arguments", "upstream"} == set(
    DRAFT_FIELDS
), "draft_problem judges every draft field"


def draft_problem(draft: Draft) -> str | None:
    """What keeps a draft from ever being sealed and stored, naming the field; ``None`` when nothing does.

    A store can retry a record that failed for the database's sake (a lock, a full disk); a
    draft with a problem here fails the same way every time, so a journaled store refuses it
    when it is appended and sets it aside if one is found in a journal. The audit plugin's
    drafts (strings, redacted JSON values) never have one.
    """
    if len(draft) != len(DRAFT_FIELDS):
        return f"a draft has {len(DRAFT_FIELDS)} fields, not {len(draft)}"
    for name, value in zip(DRAFT_FIELDS, draft, strict=True):
        kind = type(value).__name__  # never the value: it may be a secret
        if name in _TEXT_FIELDS:
            if not isinstance(value, str):
                return f"its {name} must be text, not {kind}"
        elif name in _OPTIONAL_TEXT_FIELDS:
            if value is not None and not isinstance(value, str):
                return f"its {name} must be text or None, not {kind}"
        elif name == "time":
            if isinstance(value, str):
                continue
            if type(value) is not int:
                return f"its time must be text or nanoseconds since the epoch (int), not {kind}"
            if not 0 <= value <= _LATEST_NS:
                return "its time is out of range"
        elif name == "duration_ms":
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"its duration_ms must be a number, not {kind}"
            if abs(value) > 2**53 or not math.isfinite(value):
                return "its duration_ms is out of range"
        else:  # arguments (a JSON object, or None) and upstream (a JSON object): they must seal
            if not (isinstance(value, dict) or (value is None and name == "arguments")):
                return f"its {name} must be a JSON object, not {kind}"
            try:
                canonical_json(value)
            except (TypeError, ValueError, RecursionError) as exc:
                return f"its {name} cannot be sealed: {exc}"
            except Exception as exc:  # a mapping whose own methods fail
                return f"its {name} cannot be sealed ({type(exc).__name__})"
    return None
