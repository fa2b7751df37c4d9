"""The ``notify_outbox`` columns, shared by the SQLite and PostgreSQL outboxes and audit stores."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .outbox import OutboxEntry

__all__ = ["COLUMNS", "DEFAULT_TABLE", "from_row", "to_row"]

DEFAULT_TABLE = "notify_outbox"
COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(OutboxEntry))


def to_row(entry: OutboxEntry) -> tuple[Any, ...]:
    return tuple(getattr(entry, column) for column in COLUMNS)


def from_row(row: Sequence[Any]) -> OutboxEntry:
    return OutboxEntry(**dict(zip(COLUMNS, row, strict=True)))
