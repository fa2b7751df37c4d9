"""The outbox in a SQLite file (WAL), table ``notify_outbox``; it may share the audit database file.

Durability is the audit store's: with ``synchronous=NORMAL`` (the default) an
enqueued notification survives a crash or ``kill -9`` of the hub but the
last commits before a power loss may be lost; ``synchronous="FULL"`` survives
that too. Several processes may share the file: a claim runs inside
``BEGIN IMMEDIATE`` (SQLite's one-writer lock), so two workers never lease
the same entry. The blocking calls run on worker threads, one at a time per
object. The file and its directory are created readable by their owner only.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import anyio.to_thread

from .outbox import STATUSES, OutboxEntry, Status

__all__ = ["SQLiteOutbox"]

T = TypeVar("T")
TABLE = "notify_outbox"
_COLUMNS = (
    "id",
    "idempotency_key",
    "channel",
    "payload",
    "created_at",
    "next_attempt_at",
    "attempts",
    "status",
    "last_error",
    "lease_owner",
    "lease_until",
)
_SELECT = ", ".join(_COLUMNS)
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        next_attempt_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
        last_error TEXT,
        lease_owner TEXT,
        lease_until REAL
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (status, next_attempt_at)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_created ON {TABLE} (status, created_at)",
)
_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def _entry(row: Sequence[Any]) -> OutboxEntry:
    return OutboxEntry(**dict(zip(_COLUMNS, row, strict=True)))


def _channel_filter(channels: Collection[str] | None) -> tuple[str, list[Any]]:
    if channels is None:
        return "", []
    return f" AND channel IN ({', '.join('?' * len(channels))})", list(channels)


class SQLiteOutbox:
    """An :class:`~.outbox.Outbox` in a SQLite file; see the module docstring for the promises."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "NORMAL") -> None:
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        if self.synchronous not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SQLiteOutbox({str(self.path)!r})"

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        # Abandoned on cancellation so a caller's timeout holds even while SQLite waits for a lock;
        # the statement still completes (or fails) on its thread.
        return await anyio.to_thread.run_sync(
            functools.partial(self._locked, fn, *args), abandon_on_cancel=True
        )

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._conn is None:
                raise RuntimeError(f"{self!r} is not open")
            return fn(self._conn, *args)

    @staticmethod
    @contextmanager
    def _writing(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # --- lifecycle ---------------------------------------------------------------

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self._open)

    def _open(self) -> None:
        with self._lock:
            if self._conn is not None:
                return
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            try:
                conn.execute("PRAGMA busy_timeout = 30000")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")
                with self._writing(conn):
                    for statement in _SCHEMA:
                        conn.execute(statement)
            except BaseException:
                conn.close()
                raise
            self._conn = conn

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- the Outbox protocol ------------------------------------------------------

    async def enqueue(self, entries: Sequence[OutboxEntry]) -> int:
        return await self._run(self._enqueue, list(entries))

    @staticmethod
    def _enqueue(conn: sqlite3.Connection, entries: list[OutboxEntry]) -> int:
        rows = [tuple(getattr(e, c) for c in _COLUMNS) for e in entries]
        before = conn.total_changes
        with SQLiteOutbox._writing(conn):
            conn.executemany(
                f"INSERT OR IGNORE INTO {TABLE} ({_SELECT}) VALUES ({', '.join('?' * len(_COLUMNS))})", rows
            )
        return conn.total_changes - before

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
        return await self._run(self._claim, worker, limit, at, at + lease, channels)

    @staticmethod
    def _claim(
        conn: sqlite3.Connection,
        worker: str,
        limit: int,
        now: float,
        until: float,
        channels: Collection[str] | None,
    ) -> list[OutboxEntry]:
        where, params = _channel_filter(channels)
        with SQLiteOutbox._writing(conn):
            rows = conn.execute(
                f"UPDATE {TABLE} SET attempts = attempts + 1, lease_owner = ?, lease_until = ? "
                f"WHERE id IN (SELECT id FROM {TABLE} WHERE status = 'pending' AND next_attempt_at <= ? "
                f"AND (lease_until IS NULL OR lease_until <= ?){where} "
                f"ORDER BY next_attempt_at, created_at LIMIT ?) RETURNING {_SELECT}",
                [worker, until, now, now, *params, limit],
            ).fetchall()
        return sorted((_entry(r) for r in rows), key=lambda e: (e.next_attempt_at, e.created_at))

    async def mark_delivered(self, entry_id: str) -> bool:
        return await self._run(self._update, entry_id, None, {"status": "delivered"})

    async def schedule_retry(self, entry_id: str, *, worker: str, error: str, next_attempt_at: float) -> bool:
        return await self._run(
            self._update, entry_id, worker, {"last_error": error, "next_attempt_at": next_attempt_at}
        )

    async def dead_letter(self, entry_id: str, *, worker: str, error: str) -> bool:
        return await self._run(self._update, entry_id, worker, {"status": "dead", "last_error": error})

    @staticmethod
    def _update(conn: sqlite3.Connection, entry_id: str, worker: str | None, changes: dict[str, Any]) -> bool:
        sets = ", ".join(f"{column} = ?" for column in changes)
        where = "id = ? AND status = 'pending'" + (" AND lease_owner = ?" if worker is not None else "")
        params = [*changes.values(), entry_id] + ([worker] if worker is not None else [])
        with SQLiteOutbox._writing(conn):
            cursor = conn.execute(
                f"UPDATE {TABLE} SET {sets}, lease_owner = NULL, lease_until = NULL WHERE {where}", params
            )
        return cursor.rowcount == 1

    async def next_due(self, channels: Collection[str] | None = None) -> float | None:
        return await self._run(self._next_due, channels)

    @staticmethod
    def _next_due(conn: sqlite3.Connection, channels: Collection[str] | None) -> float | None:
        where, params = _channel_filter(channels)
        row = conn.execute(
            f"SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) FROM {TABLE} "
            f"WHERE status = 'pending'{where}",
            params,
        ).fetchone()
        return None if row[0] is None else float(row[0])

    async def list_entries(self, status: Status | None = None, *, limit: int = 100) -> list[OutboxEntry]:
        return await self._run(self._list, status, limit)

    @staticmethod
    def _list(conn: sqlite3.Connection, status: Status | None, limit: int) -> list[OutboxEntry]:
        where = "WHERE status = ?" if status is not None else ""
        params: list[Any] = [status] if status is not None else []
        rows = conn.execute(
            f"SELECT {_SELECT} FROM {TABLE} {where} ORDER BY created_at LIMIT ?", [*params, limit]
        )
        return [_entry(row) for row in rows]

    async def counts(self) -> dict[Status, int]:
        return await self._run(self._counts)

    @staticmethod
    def _counts(conn: sqlite3.Connection) -> dict[Status, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for status, count in conn.execute(f"SELECT status, COUNT(*) FROM {TABLE} GROUP BY status"):
            counts[cast(Status, status)] = int(count)
        return counts

    async def purge_delivered(self, before: float) -> int:
        return await self._run(self._purge, before)

    @staticmethod
    def _purge(conn: sqlite3.Connection, before: float) -> int:
        with SQLiteOutbox._writing(conn):
            cursor = conn.execute(
                f"DELETE FROM {TABLE} WHERE status = 'delivered' AND created_at < ?", [before]
            )
        return cursor.rowcount
