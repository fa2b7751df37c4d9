"""The outbox in PostgreSQL (psycopg 3), for hubs whose audit trail is in PostgreSQL.

The table (default ``notify_outbox``, in ``schema`` if given) lives next to
the audit records: the PostgreSQL audit store creates it
(:func:`create_table`) and inserts a call's entries in the transaction of
its end record (:func:`insert_entries`). A ``PostgresOutbox`` over the same
database delivers them.

Claims pick due rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` and lease
them in the same statement: workers in any number of hub processes each
lease a different set of due entries without waiting for one another, and a
row a concurrent claim has just leased fails the re-check of ``lease_until``
(READ COMMITTED re-evaluates the condition on the newest row version once
the lock is free), so no two workers hold one entry.
Durability is the server's (``synchronous_commit = on`` survives power loss).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from ._blocking import BlockingOutbox
from ._table import COLUMNS, DEFAULT_TABLE, from_row, to_row
from .outbox import OutboxEntry, Status

__all__ = ["PostgresOutbox", "create_schema", "create_table", "insert_entries"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _lock(conn: psycopg.Connection[Any], key: str) -> None:
    # CREATE ... IF NOT EXISTS races with itself (a unique violation in the catalog): serialise it.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))


def create_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """``CREATE SCHEMA IF NOT EXISTS``, inside the caller's transaction, safe against concurrent callers."""
    _lock(conn, f"mcpea.schema:{schema}")
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def _ident(schema: str | None, name: str) -> sql.Identifier:
    return sql.Identifier(schema, name) if schema else sql.Identifier(name)


def create_table(conn: psycopg.Connection[Any], schema: str | None, table: str) -> None:
    """Create the outbox table and its indexes inside the caller's transaction (the schema must exist)."""
    _lock(conn, f"mcpea.notify:{schema or ''}.{table}")
    conn.execute(
        sql.SQL(
            """CREATE TABLE IF NOT EXISTS {} (
                id TEXT PRIMARY KEY,
                idempotency_key TEXT NOT NULL UNIQUE,
                channel TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                next_attempt_at DOUBLE PRECISION NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
                last_error TEXT,
                lease_owner TEXT,
                lease_until DOUBLE PRECISION
            )"""
        ).format(_ident(schema, table))
    )
    for suffix, columns in (("due", ("status", "next_attempt_at")), ("created", ("status", "created_at"))):
        conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                sql.Identifier(f"{table}_{suffix}"[:63]),
                _ident(schema, table),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
            )
        )


def _insert(schema: str | None, table: str) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
        _ident(schema, table),
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
        sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
    )


def insert_entries(
    cur: psycopg.Cursor[Any], schema: str | None, table: str, entries: Sequence[OutboxEntry]
) -> int:
    """Insert entries inside the caller's transaction, skipping known ids and idempotency keys."""
    if not entries:
        return 0
    cur.executemany(_insert(schema, table), [to_row(e) for e in entries])
    return max(cur.rowcount, 0)


class PostgresOutbox(BlockingOutbox[psycopg.Connection[Any]]):
    """An :class:`~.outbox.Outbox` in a PostgreSQL table; see the module docstring for the promises."""

    def __init__(self, conninfo: str, *, schema: str | None = None, table: str = DEFAULT_TABLE) -> None:
        super().__init__()
        for label, name in (("schema", schema), ("table", table)):
            if name is not None and not _NAME.match(name):
                raise ValueError(f"outbox postgresql {label} {name!r} is not a plain identifier")
        self.conninfo = conninfo
        self.schema = schema
        self.table = table
        self._table = _ident(schema, table)
        self._select = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))

    def __repr__(self) -> str:
        where = urlsplit(self.conninfo)
        name = f"{self.schema}.{self.table}" if self.schema else self.table
        host, db = where.hostname or "localhost", where.path.lstrip("/")
        return f"PostgresOutbox(host={host!r}, db={db!r}, table={name!r})"

    # --- lifecycle ---------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        name = f"mcpea notify {self.schema or 'public'}.{self.table}"[:63]
        conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10, application_name=name)
        try:
            with conn.transaction():
                if self.schema:
                    create_schema(conn, self.schema)
                create_table(conn, self.schema, self.table)
        except BaseException:
            conn.close()
            raise
        return conn

    def _disconnect(self, conn: psycopg.Connection[Any]) -> None:
        conn.close()

    def _usable(self, conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
        if conn.closed or conn.broken:  # the server dropped it: the next statement gets a new one
            conn.close()
            return self._connect()
        return conn

    def _channels(self, channels: Collection[str] | None) -> tuple[sql.Composable, list[Any]]:
        if channels is None:
            return sql.SQL(""), []
        return sql.SQL(" AND channel = ANY(%s)"), [list(channels)]

    # --- the statements -------------------------------------------------------------

    def _enqueue(self, conn: psycopg.Connection[Any], entries: list[OutboxEntry]) -> int:
        with conn.transaction(), conn.cursor() as cur:
            return insert_entries(cur, self.schema, self.table, entries)

    def _claim(
        self,
        conn: psycopg.Connection[Any],
        worker: str,
        limit: int,
        now: float,
        until: float,
        channels: Collection[str] | None,
    ) -> list[OutboxEntry]:
        where, params = self._channels(channels)
        # A CTE that locks is evaluated exactly once: an IN (subquery ... LIMIT) may be re-run and lease more.
        query = sql.SQL(
            "WITH due AS (SELECT id FROM {t} WHERE status = 'pending' AND next_attempt_at <= %s "
            "AND (lease_until IS NULL OR lease_until <= %s){where} "
            "ORDER BY next_attempt_at, created_at LIMIT %s FOR UPDATE SKIP LOCKED) "
            "UPDATE {t} AS o SET attempts = o.attempts + 1, lease_owner = %s, lease_until = %s "
            "FROM due WHERE o.id = due.id RETURNING {columns}"
        ).format(
            t=self._table,
            where=where,
            columns=sql.SQL(", ").join(sql.Identifier("o", c) for c in COLUMNS),
        )
        with conn.transaction():
            rows = conn.execute(query, [now, now, *params, limit, worker, until]).fetchall()
        return [from_row(r) for r in rows]

    def _update(
        self, conn: psycopg.Connection[Any], entry_id: str, worker: str | None, changes: dict[str, Any]
    ) -> bool:
        sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in changes)
        owner = sql.SQL(" AND lease_owner = %s") if worker is not None else sql.SQL("")
        query = sql.SQL(
            "UPDATE {} SET {}, lease_owner = NULL, lease_until = NULL WHERE id = %s AND status = 'pending'{}"
        ).format(self._table, sets, owner)
        params = [*changes.values(), entry_id] + ([worker] if worker is not None else [])
        with conn.transaction():
            return conn.execute(query, params).rowcount == 1

    def _next_due(self, conn: psycopg.Connection[Any], channels: Collection[str] | None) -> float | None:
        where, params = self._channels(channels)
        query = sql.SQL(
            "SELECT MIN(GREATEST(next_attempt_at, COALESCE(lease_until, 0))) FROM {} "
            "WHERE status = 'pending'{}"
        ).format(self._table, where)
        row = conn.execute(query, params).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def _list(self, conn: psycopg.Connection[Any], status: Status | None, limit: int) -> list[OutboxEntry]:
        where = sql.SQL("WHERE status = %s") if status is not None else sql.SQL("")
        params: list[Any] = [status] if status is not None else []
        query = sql.SQL("SELECT {} FROM {} {} ORDER BY created_at LIMIT %s").format(
            self._select, self._table, where
        )
        return [from_row(row) for row in conn.execute(query, [*params, limit])]

    def _counts(self, conn: psycopg.Connection[Any]) -> list[tuple[str, int]]:
        query = sql.SQL("SELECT status, COUNT(*) FROM {} GROUP BY status").format(self._table)
        return conn.execute(query).fetchall()

    def _purge(self, conn: psycopg.Connection[Any], before: float) -> int:
        query = sql.SQL("DELETE FROM {} WHERE status = 'delivered' AND created_at < %s").format(self._table)
        with conn.transaction():
            return conn.execute(query, [before]).rowcount
