"""Checkpoints: the chain's head exported out of band, so ``verify`` can see a cut tail or a rewrite.

A hash chain inside one database cannot show on its own that its tail was
cut off (with the store's head row moved back to match) or that the whole
chain was rewritten. A checkpoint kept elsewhere (another machine, a
ticket, a write-once bucket) can: ``mcpea audit checkpoint > FILE`` writes::

    {"format": "mcpea.audit.checkpoint/1", "seq": 1234, "hash": "<sha-256 hex>",
     "count": 1234, "store": "sqlite:///var/lib/mcpea/audit.sqlite3", "time": "..."}

and ``mcpea audit verify --checkpoint FILE`` fails unless the record with
that ``seq`` still exists with that ``hash``. ``count`` (records in the
trail when the checkpoint was taken) and ``store`` are for people.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .record import GENESIS_HASH, utc_now
from .verify import ChainHead, VerifyReport

__all__ = ["FORMAT", "Checkpoint"]

FORMAT = "mcpea.audit.checkpoint/1"
_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    count: int
    store: str = ""
    time: str = ""

    @classmethod
    def of(cls, report: VerifyReport, store: str) -> Checkpoint:
        """The head of a verified trail (an empty trail's checkpoint has seq 0)."""
        head = report.head or ChainHead(0, GENESIS_HASH)
        return cls(head.seq, head.hash, report.records, store, utc_now())

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.seq, self.hash)

    def to_json(self) -> str:
        data = {"format": FORMAT, "seq": self.seq, "hash": self.hash, "count": self.count}
        return json.dumps({**data, "store": self.store, "time": self.time})

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Read a checkpoint; ``ValueError`` says what is wrong with it."""
        try:
            data: Any = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f'not an audit checkpoint (expected "format": {FORMAT!r})')
        seq, digest, count = data.get("seq"), data.get("hash"), data.get("count", 0)
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("its seq is not a whole number >= 0")
        if not isinstance(digest, str) or not _HASH.match(digest):
            raise ValueError("its hash is not 64 lowercase hex digits")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError("its count is not a whole number >= 0")
        return cls(seq, digest, count, str(data.get("store", "")), str(data.get("time", "")))
