"""Audit records in PostgreSQL (psycopg 3), for hubs that run as several processes.

One table holds one global chain that every hub process writing to it
extends. Appends are serialised by a row lock on the table's one-row head
table (``SELECT ... FOR UPDATE``): a process takes the lock, reads the head,
inserts its batch with ``COPY``, moves the head and commits, and the next
process continues from there. One global chain, rather than one chain per
hub instance, gives auditors a single total order across processes and
makes deleting every record of one instance as detectable as deleting one
record. Group commit keeps the lock short: each process holds it once per
batch, not once per record. The head row also lets ``verify`` notice a tail
that was cut off while the head was left alone.

The tables are created on first use (under an advisory lock, so processes
starting together do not race). ``?schema=NAME`` creates and uses a schema,
``?table=NAME`` names the table (default ``audit_records``; the head table is
``<table>_head``). Durability is the server's: with the default
``synchronous_commit = on`` a committed record survives power loss.

The same schema holds the notification outbox: table ``notify_outbox`` next
to the default ``audit_records``, ``<table>_outbox`` next to any other (so
two trails in one schema keep their notifications apart). A call's
notifications are inserted in the transaction of its end record, and
:meth:`PostgresStore.notify_outbox` delivers them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ..errors import ConfigError
from ..notify.postgres_outbox import create_schema, create_table, insert_entries
from ._rows import COLUMNS, column_definitions, from_row, head_from_row, readable, seal_batch, to_row
from ._writer import ThreadedStore
from .record import GENESIS_HASH, AuditRecord
from .store import RecordFilter
from .verify import ChainHead, VerifyReport, verify_chain

if TYPE_CHECKING:
    from ..notify.outbox import OutboxEntry
    from ..notify.postgres_outbox import PostgresOutbox

__all__ = ["PostgresStore"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,50}$")
_OPTIONS = ("schema", "table")


class PostgresStore(ThreadedStore):
    """Audit records in a PostgreSQL table; see the module docstring for how processes share the chain."""

    lock_timeout_ms = 10_000

    def __init__(self, conninfo: str, *, schema: str | None = None, table: str = "audit_records") -> None:
        super().__init__()
        for label, name in (("schema", schema), ("table", table)):
            if name is not None and not _NAME.match(name):
                raise ConfigError(f"audit postgresql {label} {name!r} is not a plain identifier")
        self.conninfo = conninfo
        self.schema = schema
        self.table = table
        self.outbox_table = "notify_outbox" if table == "audit_records" else f"{table}_outbox"
        self._writer: psycopg.Connection[Any] | None = None
        self._reader: psycopg.Connection[Any] | None = None

    @classmethod
    def from_url(cls, url: str) -> PostgresStore:
        """A store from ``postgresql://...[?schema=...&table=...]``; other query options go to libpq."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
        ours = {k: v for k, v in query if k in _OPTIONS}
        rest = urlencode([(k, v) for k, v in query if k not in _OPTIONS])
        return cls(urlunsplit(parts._replace(query=rest)), **ours)

    def __repr__(self) -> str:
        where = urlsplit(self.conninfo)
        host = where.hostname or "localhost"
        return (
            f"PostgresStore(host={host!r}, db={where.path.lstrip('/')!r}, table={self._qualified_name()!r})"
        )

    def notify_outbox(self) -> PostgresOutbox:
        """The notification outbox next to the records, on a connection of its own (open it to use it)."""
        from ..notify.postgres_outbox import PostgresOutbox

        return PostgresOutbox(self.conninfo, schema=self.schema, table=self.outbox_table)

    def _qualified_name(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def _ident(self, suffix: str = "") -> sql.Identifier:
        name = self.table + suffix
        return sql.Identifier(self.schema, name) if self.schema else sql.Identifier(name)

    def _connect(self, role: str, **options: Any) -> psycopg.Connection[Any]:
        # autocommit: transactions are explicit ``with conn.transaction()`` blocks (BEGIN ... COMMIT)
        name = f"mcpea audit {role} {self._qualified_name()}"[:63]
        return psycopg.connect(
            self.conninfo, autocommit=True, connect_timeout=10, application_name=name, **options
        )

    # --- writer thread -----------------------------------------------------

    def _connect_writer(self) -> None:
        conn = self._connect("writer")
        try:
            conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{self.lock_timeout_ms}ms")))
            self._create_schema(conn)
        except BaseException:
            conn.close()
            raise
        self._writer = conn

    def _create_schema(self, conn: psycopg.Connection[Any]) -> None:
        records, head = self._ident(), self._ident("_head")
        with conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"mcpea.audit:{self._qualified_name()}",)
            )
            if self.schema:
                create_schema(conn, self.schema)
            columns = column_definitions(bigint="BIGINT", double="DOUBLE PRECISION")
            conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(records, sql.SQL(columns)))
            for column in ("call_id", "time"):
                conn.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                        sql.Identifier(f"{self.table}_{column}"), records, sql.Identifier(column)
                    )
                )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id SMALLINT PRIMARY KEY CHECK (id = 0), "
                    "seq BIGINT NOT NULL, hash TEXT NOT NULL)"
                ).format(head)
            )
            conn.execute(
                sql.SQL("INSERT INTO {} (id, seq, hash) VALUES (0, 0, %s) ON CONFLICT DO NOTHING").format(
                    head
                ),
                (GENESIS_HASH,),
            )
            create_table(conn, self.schema, self.outbox_table)

    def _write_batch(
        self,
        records: Sequence[AuditRecord],
        notifications: Sequence[OutboxEntry],
    ) -> list[AuditRecord]:
        conn = self._writer
        if conn is None or conn.closed or conn.broken:
            self._reconnect_writer()
        try:
            return self._copy_batch(records, notifications)
        except psycopg.OperationalError:
            if self._writer is None or not self._writer.broken:
                raise
        # The server dropped the connection (restart, failover, idle kill): retry once on a new one.
        # Had the COMMIT gone through, the retry fails on the records' unique ids instead of duplicating them.
        self._reconnect_writer()
        return self._copy_batch(records, notifications)

    def _reconnect_writer(self) -> None:
        self._close_writer()
        self._connect_writer()

    def _copy_batch(
        self, records: Sequence[AuditRecord], notifications: Sequence[OutboxEntry]
    ) -> list[AuditRecord]:
        conn = self._writer
        assert conn is not None
        head_table = self._ident("_head")
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT seq, hash FROM {} WHERE id = 0 FOR UPDATE").format(head_table))
            sealed = seal_batch(records, head_from_row(cur.fetchone()))
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
                self._ident(), sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
            )
            with cur.copy(copy_sql) as copy:
                for record in sealed:
                    copy.write_row(to_row(record))
            cur.execute(
                sql.SQL("UPDATE {} SET seq = %s, hash = %s WHERE id = 0").format(head_table),
                (sealed[-1].seq, sealed[-1].hash),
            )
            insert_entries(cur, self.schema, self.outbox_table, notifications)
        return sealed

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # --- readers -------------------------------------------------------------

    def _reading(self) -> psycopg.Connection[Any]:
        if self._reader is None or self._reader.closed or self._reader.broken:
            conn = self._connect("reader", row_factory=dict_row)
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            self._reader = conn
        return self._reader

    def _select(self) -> sql.Composed:
        return sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), self._ident()
        )

    def _read_page(self, filters: RecordFilter, limit: int) -> list[AuditRecord]:
        where, params = filters.sql_where("%s", "postgresql")
        query = sql.SQL("{} WHERE {} ORDER BY seq LIMIT %s").format(self._select(), sql.SQL(where))
        conn = self._reading()
        with conn.transaction():
            rows = conn.execute(query, [*params, limit]).fetchall()
        return readable(rows)

    def _read_head(self) -> ChainHead | None:
        conn = self._reading()
        with conn.transaction():
            row = conn.execute(
                sql.SQL("SELECT seq, hash FROM {} WHERE id = 0").format(self._ident("_head"))
            ).fetchone()
        return head_from_row(None if row is None else (row["seq"], row["hash"]))

    def _verify_snapshot(self, checkpoint: ChainHead | None) -> VerifyReport:
        conn = self._reading()
        with conn.transaction():  # REPEATABLE READ: the head and every record from one snapshot
            row = conn.execute(
                sql.SQL("SELECT seq, hash FROM {} WHERE id = 0").format(self._ident("_head"))
            ).fetchone()
            head = head_from_row(None if row is None else (row["seq"], row["hash"]))
            with conn.cursor(name="mcpea_audit_verify") as cur:
                cur.itersize = 2000
                cur.execute(sql.SQL("{} ORDER BY seq").format(self._select()))
                return verify_chain((from_row(r) for r in cur), head=head, checkpoint=checkpoint)

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
