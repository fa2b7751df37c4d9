"""The outbox in a SQLite file (WAL), table ``notify_outbox``; it may share the audit database file.

Durability is the audit store's: with ``synchronous=NORMAL`` (the default) an
enqueued notification survives a crash or ``kill -9`` of the hub but the
last commits before a power loss may be lost; ``synchronous="FULL"`` survives
that too. Several processes may share the file: a claim runs inside
``BEGIN IMMEDIATE`` (SQLite's one-writer lock), so two workers never lease
the same entry. The blocking calls run on worker threads, one at a time per
object. The file and its directory are created readable by their owner only.

The SQLite audit store creates the same table in its own file
(:func:`create_table`) and inserts a call's entries in the transaction of
its end record (:func:`insert_entries`); an ``SQLiteOutbox`` over that file
then delivers them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._blocking import BlockingOutbox
from ._table import COLUMNS, DEFAULT_TABLE, from_row, to_row
from .outbox import OutboxEntry, Status

__all__ = ["SQLiteOutbox", "create_table", "insert_entries"]

TABLE = DEFAULT_TABLE
_SELECT = ", ".join(COLUMNS)
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
_INSERT = f"INSERT OR IGNORE INTO {TABLE} ({_SELECT}) VALUES ({', '.join('?' * len(COLUMNS))})"
_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def create_table(conn: sqlite3.Connection) -> None:
    """Create the outbox table and its indexes, inside the caller's transaction."""
    for statement in _SCHEMA:
        conn.execute(statement)


def insert_entries(conn: sqlite3.Connection, entries: Sequence[OutboxEntry]) -> int:
    """Insert entries inside the caller's transaction, skipping known idempotency keys; how many were new."""
    before = conn.total_changes
    conn.executemany(_INSERT, [to_row(e) for e in entries])
    return conn.total_changes - before


def _channel_filter(channels: Collection[str] | None) -> tuple[str, list[Any]]:
    if channels is None:
        return "", []
    return f" AND channel IN ({', '.join('?' * len(channels))})", list(channels)


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


class SQLiteOutbox(BlockingOutbox[sqlite3.Connection]):
    """An :class:`~.outbox.Outbox` in a SQLite file; see the module docstring for the promises."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "NORMAL") -> None:
        super().__init__()
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        if self.synchronous not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")

    def __repr__(self) -> str:
        return f"SQLiteOutbox({str(self.path)!r})"

    # --- lifecycle ---------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = not self.path.exists()
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        try:
            if created:
                # Owner-only before WAL mode creates the -wal and -shm files (they copy its mode). Never
                # open and close the file ourselves: closing any descriptor of it drops the POSIX locks
                # of every SQLite connection to it in this process (the audit store's, for one).
                os.chmod(self.path, 0o600)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            with _writing(conn):
                create_table(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _disconnect(self, conn: sqlite3.Connection) -> None:
        conn.close()

    # --- the statements -------------------------------------------------------------

    def _enqueue(self, conn: sqlite3.Connection, entries: list[OutboxEntry]) -> int:
        with _writing(conn):
            return insert_entries(conn, entries)

    def _claim(
        self,
        conn: sqlite3.Connection,
        worker: str,
        limit: int,
        now: float,
        until: float,
        channels: Collection[str] | None,
    ) -> list[OutboxEntry]:
        where, params = _channel_filter(channels)
        with _writing(conn):
            rows = conn.execute(
                f"UPDATE {TABLE} SET attempts = attempts + 1, lease_owner = ?, lease_until = ? "
                f"WHERE id IN (SELECT id FROM {TABLE} WHERE status = 'pending' AND next_attempt_at <= ? "
                f"AND (lease_until IS NULL OR lease_until <= ?){where} "
                f"ORDER BY next_attempt_at, created_at LIMIT ?) RETURNING {_SELECT}",
                [worker, until, now, now, *params, limit],
            ).fetchall()
        return [from_row(r) for r in rows]

    def _update(
        self, conn: sqlite3.Connection, entry_id: str, worker: str | None, changes: dict[str, Any]
    ) -> bool:
        sets = ", ".join(f"{column} = ?" for column in changes)
        where = "id = ? AND status = 'pending'" + (" AND lease_owner = ?" if worker is not None else "")
        params = [*changes.values(), entry_id] + ([worker] if worker is not None else [])
        with _writing(conn):
            cursor = conn.execute(
                f"UPDATE {TABLE} SET {sets}, lease_owner = NULL, lease_until = NULL WHERE {where}", params
            )
        return cursor.rowcount == 1

    def _next_due(self, conn: sqlite3.Connection, channels: Collection[str] | None) -> float | None:
        where, params = _channel_filter(channels)
        row = conn.execute(
            f"SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) FROM {TABLE} "
            f"WHERE status = 'pending'{where}",
            params,
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def _list(self, conn: sqlite3.Connection, status: Status | None, limit: int) -> list[OutboxEntry]:
        where = "WHERE status = ?" if status is not None else ""
        params: list[Any] = [status] if status is not None else []
        rows = conn.execute(
            f"SELECT {_SELECT} FROM {TABLE} {where} ORDER BY created_at LIMIT ?", [*params, limit]
        )
        return [from_row(row) for row in rows]

    def _counts(self, conn: sqlite3.Connection) -> list[tuple[str, int]]:
        return conn.execute(f"SELECT status, COUNT(*) FROM {TABLE} GROUP BY status").fetchall()

    def _purge(self, conn: sqlite3.Connection, before: float) -> int:
        with _writing(conn):
            cursor = conn.execute(
                f"DELETE FROM {TABLE} WHERE status = 'delivered' AND created_at < ?", [before]
            )
        return cursor.rowcount
