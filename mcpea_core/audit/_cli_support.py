"""What the ``mcpea audit`` commands share: choosing and reading the store, times, showing records."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .record import AuditRecord, canonical_json
from .store import AuditStore, AuditStoreError, display_url, store_from_url

__all__ = [
    "StoreChoice",
    "choose_store",
    "parse_duration",
    "parse_when",
    "reading",
    "record_json",
    "record_line",
    "record_table",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class StoreChoice:
    url: str
    shown: str  # the URL without its password


def choose_store(config_path: str | None, url: str | None) -> StoreChoice:
    """``--store``, else MCPEA_AUDIT_STORE, else ``[audit] store``, else the default SQLite file."""
    from ..config import load_config
    from ..errors import ConfigError
    from .settings import configured_store_url

    chosen = url or configured_store_url(load_config(config_path).audit)
    if chosen is None or chosen.strip().lower() == "off":
        raise ConfigError("audit is off ([audit] store or MCPEA_AUDIT_STORE); name a store with --store URL")
    return StoreChoice(chosen, display_url(chosen))


@contextlib.asynccontextmanager
async def reading(choice: StoreChoice) -> AsyncIterator[AuditStore]:
    """The store, for reading only (nothing is created); its errors name the store."""
    store = store_from_url(choice.url)
    try:
        yield store
    except AuditStoreError as exc:
        raise AuditStoreError(f"{choice.shown}: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            await store.close()


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h``, ``2d`` or ``1w``."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 30s, 15m, 1h, 2d or 1w")
    return float(match[1]) * _SECONDS[match[2]]


def parse_when(text: str, now: datetime | None = None) -> str:
    """A record time (UTC text) from ISO 8601 (UTC unless it has an offset) or a duration ago (``1h``)."""
    if _DURATION.match(text):
        moment = (now or datetime.now(UTC)) - timedelta(seconds=parse_duration(text))
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"{text!r} is neither an ISO 8601 time (2025-01-31, 2025-01-31T12:00Z) "
                "nor a duration ago (30m, 1h, 2d)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_json(record: AuditRecord) -> str:
    """The record as one line of canonical JSON: a line of a ``jsonl:`` audit trail."""
    return canonical_json(record.to_dict())


def _short_time(record: AuditRecord, digits: int = 3) -> str:
    return record.time.replace("T", " ")[: 20 + digits if digits else 19]


def _error(record: AuditRecord) -> str:
    if record.error_class is None:
        return ""
    message = (record.error_message or "").splitlines()[0][:120] if record.error_message else ""
    return f"{record.error_class}: {message}" if message else record.error_class


def record_line(record: AuditRecord) -> str:
    """One line for ``tail``: seq, time, phase, tool, outcome, principal, duration, call id, error."""
    duration = f"{record.duration_ms:.1f}ms" if record.duration_ms is not None else "-"
    parts = [
        f"{record.seq:>7}",
        _short_time(record),
        f"{record.phase:<5}",
        record.tool,
        record.outcome or "-",
        record.principal,
        duration,
        f"call={record.call_id}",
    ]
    error = _error(record)
    return "  ".join(parts) + (f"  {error}" if error else "")


def record_table(records: list[AuditRecord], title: str) -> Any:
    """A rich table of records for ``query`` (cells are plain text: no markup from the records)."""
    from rich.table import Table
    from rich.text import Text

    table = Table("seq", "time (UTC)", "phase", "tool", "outcome", "principal", "ms", "call id", title=title)
    for r in records:
        outcome = Text(r.outcome or "-")
        if r.error_class:
            outcome.append("\n" + _error(r), style="dim")
        duration = f"{r.duration_ms:.1f}" if r.duration_ms is not None else "-"
        cells = (str(r.seq), _short_time(r, 0), r.phase, r.tool, outcome, r.principal, duration, r.call_id)
        table.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in cells))
    return table
