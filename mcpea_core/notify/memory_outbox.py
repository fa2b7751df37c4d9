"""An outbox in memory: for unit tests and for hubs that accept losing undelivered notifications.

Thread-safe (the delivery worker runs on its own thread); nothing survives
the process.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Collection, Sequence

from .outbox import STATUSES, OutboxEntry, Status

__all__ = ["MemoryOutbox"]


class MemoryOutbox:
    """An :class:`~.outbox.Outbox` kept in a dict."""

    def __init__(self) -> None:
        self._entries: dict[str, OutboxEntry] = {}
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "MemoryOutbox()"

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def enqueue(self, entries: Sequence[OutboxEntry]) -> int:
        added = 0
        with self._lock:
            for entry in entries:
                if entry.idempotency_key not in self._keys:
                    self._keys.add(entry.idempotency_key)
                    self._entries[entry.id] = entry
                    added += 1
        return added

    async def claim(
        self,
        worker: str,
        *,
        limit: int,
        lease: float,
        channels: Collection[str] | None = None,
        now: float | None = None,
    ) -> list[OutboxEntry]:
        at = time.time() if now is None else now
        with self._lock:
            due = sorted(
                (e for e in self._entries.values() if _claimable(e, at, channels)),
                key=lambda e: (e.next_attempt_at, e.created_at),
            )[:limit]
            claimed = [
                dataclasses.replace(e, attempts=e.attempts + 1, lease_owner=worker, lease_until=at + lease)
                for e in due
            ]
            self._entries.update((e.id, e) for e in claimed)
        return claimed

    async def mark_delivered(self, entry_id: str) -> bool:
        return self._update(entry_id, None, status="delivered", lease_owner=None, lease_until=None)

    async def schedule_retry(self, entry_id: str, *, worker: str, error: str, next_attempt_at: float) -> bool:
        return self._update(
            entry_id,
            worker,
            last_error=error,
            next_attempt_at=next_attempt_at,
            lease_owner=None,
            lease_until=None,
        )

    async def dead_letter(self, entry_id: str, *, worker: str, error: str) -> bool:
        return self._update(
            entry_id, worker, status="dead", last_error=error, lease_owner=None, lease_until=None
        )

    def _update(self, entry_id: str, worker: str | None, **changes: object) -> bool:
        with self._lock:
            entry = self._entries.get(entry_id)
            if (
                entry is None
                or entry.status != "pending"
                or (worker is not None and entry.lease_owner != worker)
            ):
                return False
            self._entries[entry_id] = dataclasses.replace(entry, **changes)  # type: ignore[arg-type]
            return True

    async def next_due(self, channels: Collection[str] | None = None) -> float | None:
        with self._lock:
            times = [
                max(e.next_attempt_at, e.lease_until or 0.0)
                for e in self._entries.values()
                if e.status == "pending" and (channels is None or e.channel in channels)
            ]
        return min(times, default=None)

    async def list_entries(self, status: Status | None = None, *, limit: int = 100) -> list[OutboxEntry]:
        with self._lock:
            chosen = [e for e in self._entries.values() if status is None or e.status == status]
        return sorted(chosen, key=lambda e: e.created_at)[:limit]

    async def counts(self) -> dict[Status, int]:
        with self._lock:
            counts = dict.fromkeys(STATUSES, 0)
            for entry in self._entries.values():
                counts[entry.status] += 1
        return counts

    async def purge_delivered(self, before: float) -> int:
        with self._lock:
            old = [e for e in self._entries.values() if e.status == "delivered" and e.created_at < before]
            for entry in old:
                del self._entries[entry.id]
                self._keys.discard(entry.idempotency_key)
        return len(old)


def _claimable(entry: OutboxEntry, now: float, channels: Collection[str] | None) -> bool:
    return (
        entry.status == "pending"
        and entry.next_attempt_at <= now
        and (entry.lease_until is None or entry.lease_until <= now)
        and (channels is None or entry.channel in channels)
    )
