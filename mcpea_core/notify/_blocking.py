"""The shared shape of the outboxes kept in a database (SQLite, PostgreSQL).

:class:`BlockingOutbox` implements the :class:`~.outbox.Outbox` protocol on
top of a few blocking statements a subclass writes for its database. They
run on worker threads, one at a time per object, on one connection opened by
:meth:`BlockingOutbox.open`; if that failed (the database was down), each
later call tries to connect again until :meth:`BlockingOutbox.close`. A call
is abandoned on cancellation so a caller's timeout holds even while the
database waits for a lock; the statement still completes (or fails) on its
thread.
"""

from __future__ import annotations

import abc
import functools
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Generic, TypeVar

import anyio.to_thread

from .outbox import STATUSES, OutboxEntry, Status

__all__ = ["BlockingOutbox"]

C = TypeVar("C")
T = TypeVar("T")


class BlockingOutbox(abc.ABC, Generic[C]):
    """An outbox on one connection of type ``C``; subclasses write the statements."""

    def __init__(self) -> None:
        self._conn: C | None = None
        self._wanted = False  # between open() and close(), even when open() could not connect
        self._lock = threading.Lock()

    # --- what a database implements (blocking, on the connection) -------------------

    @abc.abstractmethod
    def _connect(self) -> C:
        """Connect and create the schema."""

    @abc.abstractmethod
    def _disconnect(self, conn: C) -> None: ...

    def _usable(self, conn: C) -> C:
        """The connection to run the next statement on (a subclass may replace a broken one)."""
        return conn

    @abc.abstractmethod
    def _enqueue(self, conn: C, entries: list[OutboxEntry]) -> int: ...

    @abc.abstractmethod
    def _claim(
        self, conn: C, worker: str, limit: int, now: float, until: float, channels: Collection[str] | None
    ) -> list[OutboxEntry]:
        """Lease due entries until ``until``; in any order (they are sorted here)."""

    @abc.abstractmethod
    def _update(self, conn: C, entry_id: str, worker: str | None, changes: dict[str, Any]) -> bool:
        """Apply ``changes`` to a pending entry (leased to ``worker``, if given) and release its lease."""

    @abc.abstractmethod
    def _next_due(self, conn: C, channels: Collection[str] | None) -> float | None: ...

    @abc.abstractmethod
    def _list(self, conn: C, status: Status | None, limit: int) -> list[OutboxEntry]: ...

    @abc.abstractmethod
    def _counts(self, conn: C) -> Iterable[tuple[str, int]]:
        """``(status, count)`` for each status present."""

    @abc.abstractmethod
    def _purge(self, conn: C, before: float) -> int: ...

    # --- the Outbox protocol ---------------------------------------------------------

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self._open)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._close)

    async def enqueue(self, entries: Sequence[OutboxEntry]) -> int:
        return await self._run(self._enqueue, list(entries))

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
        claimed = await self._run(self._claim, worker, limit, at, at + lease, channels)
        return sorted(claimed, key=lambda e: (e.next_attempt_at, e.created_at))

    async def mark_delivered(self, entry_id: str) -> bool:
        return await self._run(self._update, entry_id, None, {"status": "delivered"})

    async def schedule_retry(self, entry_id: str, *, worker: str, error: str, next_attempt_at: float) -> bool:
        changes = {"last_error": error, "next_attempt_at": next_attempt_at}
        return await self._run(self._update, entry_id, worker, changes)

    async def dead_letter(self, entry_id: str, *, worker: str, error: str) -> bool:
        return await self._run(self._update, entry_id, worker, {"status": "dead", "last_error": error})

    async def next_due(self, channels: Collection[str] | None = None) -> float | None:
        return await self._run(self._next_due, channels)

    async def list_entries(self, status: Status | None = None, *, limit: int = 100) -> list[OutboxEntry]:
        return await self._run(self._list, status, limit)

    async def counts(self) -> dict[Status, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for status, count in await self._run(lambda conn: list(self._counts(conn))):
            if status in counts:
                counts[status] = int(count)
        return counts

    async def purge_delivered(self, before: float) -> int:
        return await self._run(self._purge, before)

    # --- the connection ----------------------------------------------------------------

    def _open(self) -> None:
        with self._lock:
            self._wanted = True
            if self._conn is None:
                self._conn = self._connect()

    def _close(self) -> None:
        with self._lock:
            self._wanted = False
            conn, self._conn = self._conn, None
            if conn is not None:
                self._disconnect(conn)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(
            functools.partial(self._locked, fn, *args), abandon_on_cancel=True
        )

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._conn is None:
                if not self._wanted:
                    raise RuntimeError(f"{self!r} is not open")
                self._conn = self._connect()
            else:
                self._conn = self._usable(self._conn)
            return fn(self._conn, *args)
