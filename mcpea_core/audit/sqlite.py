"""The embedded default audit store: one SQLite file in WAL mode.

Durability promise. With ``synchronous=NORMAL`` (the default) a committed
record survives a crash or ``kill -9`` of the hub, but the last commits
before a power loss or kernel panic may be lost: in WAL mode NORMAL does not
fsync on commit, only at checkpoints. With ``synchronous=FULL``
(``sqlite:///path?synchronous=FULL``) every commit is fsynced and survives
power loss too; group commit keeps that affordable under concurrent calls.

Several hub processes may share one file: each batch is appended inside
``BEGIN IMMEDIATE`` (SQLite's single writer lock) after reading the chain head
in the same transaction, so the processes extend one chain in turn.
The file and its directory are created readable by their owner only.

With ``synchronous=NORMAL`` an append is durable once it is written to the
store's journal (``<file>.pending-*``, one ``write()`` on the caller's
thread, see ``_journal``); the writer thread moves records from there into
the file in batches. The journal of a hub that died is moved in by the next
store opened on the file. With ``FULL`` or ``EXTRA`` (an fsync per commit)
each append waits for its commit on the writer thread instead.

The file also holds the notification outbox (table ``notify_outbox``): a
call's notifications are inserted in the transaction of its end record, and
:meth:`SQLiteStore.notify_outbox` delivers them from the same file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..notify.sqlite_outbox import create_table, insert_entries
from ._journal import journal_paths, recover
from ._rows import (
    COLUMNS,
    column_definitions,
    from_row,
    head_from_row,
    readable,
    seal_batch,
    seal_drafts,
    to_row,
)
from ._writer import ThreadedStore, store_error
from .record import GENESIS_HASH, AuditRecord, Draft
from .store import AuditStoreError, RecordFilter
from .verify import ChainHead, VerifyReport, verify_chain

if TYPE_CHECKING:
    from ..notify.outbox import OutboxEntry
    from ..notify.sqlite_outbox import SQLiteOutbox

__all__ = ["SQLiteStore"]

logger = logging.getLogger("mcpea.audit")
_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit_records (
{column_definitions(bigint="INTEGER", double="REAL")}
);
CREATE INDEX IF NOT EXISTS audit_records_call_id ON audit_records (call_id);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT OR IGNORE INTO audit_head (id, seq, hash) VALUES (0, 0, '{GENESIS_HASH}');
"""
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM audit_records"
_ROW = f"({', '.join('?' * len(COLUMNS))})"
_INSERT_ROWS = [  # _INSERT_ROWS[k] inserts 2**k rows in one statement
    f"INSERT INTO audit_records ({', '.join(COLUMNS)}) VALUES {', '.join([_ROW] * (1 << k))}"
    for k in range(8)
]


def _insert(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` a few statements at a time (up to 128 rows each), not one statement per row.

    The sqlite3 module lets go of the GIL for every statement it steps: row by row
    (``executemany``), a writer thread would hand the GIL back and forth with the event
    loop twice per record, which costs the loop more than the insert itself.
    """
    most = min(128, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(COLUMNS))  # 999 in old builds
    done = 0
    while done < len(rows):
        k = min(len(rows) - done, most).bit_length() - 1
        chunk = rows[done : done + (1 << k)]
        conn.execute(_INSERT_ROWS[k], list(chain.from_iterable(chunk)))
        done += len(chunk)
_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 0"


def _null(value: None) -> None:
    return None


def _bind_none_cheaply() -> None:
    """On Python 3.11, give ``None`` a registered sqlite3 adapter (that keeps it ``None``), unless it has one.

    CPython's sqlite3 binds text, integers and floats directly, but looks for an adapter for
    every other value, ``None`` included: an unregistered type costs two failed attribute
    lookups, and on 3.11 one of them formats an ``AttributeError`` message and throws it away.
    A record binds two to five ``None`` (a start record has no outcome or duration yet, an end
    record no error, a stdio call no session), and those lookups were ~11% of the writer
    thread's instructions per record (callgrind: ~13,000 of ~122,000). A registered adapter
    is one dictionary lookup and a call. Python 3.12 fails such lookups without the message,
    and there the adapter would cost a little more than it saves: it is left out.

    The registry is the sqlite3 module's, shared by the whole process; what is bound does not
    change (``None`` is still NULL), but ``sqlite3.adapt(None)`` then returns ``None``.
    """
    if sys.version_info < (3, 12) and (type(None), sqlite3.PrepareProtocol) not in sqlite3.adapters:
        sqlite3.register_adapter(type(None), _null)


_bind_none_cheaply()


class SQLiteStore(ThreadedStore):
    """Audit records in a SQLite file; see the module docstring for the durability promise."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "NORMAL") -> None:
        super().__init__()
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        if self.synchronous not in _SYNCHRONOUS:
            raise ConfigError(
                f"audit sqlite synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}"
            )
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, synchronous={self.synchronous!r})"

    def notify_outbox(self) -> SQLiteOutbox:
        """The notification outbox in this file, on a connection of its own (open it to use it)."""
        from ..notify.sqlite_outbox import SQLiteOutbox

        return SQLiteOutbox(self.path, synchronous=self.synchronous)

    def _connect(self, *, private: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        if private:
            # Owner-only, before WAL mode creates the -wal and -shm files (they copy the file's mode).
            # Never open and close the file ourselves: closing any descriptor of it would drop the
            # POSIX locks of every SQLite connection to it in this process.
            os.chmod(self.path, 0o600)
        conn.execute("PRAGMA busy_timeout = 30000")
        _enable_wal(conn)
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        return conn

    # --- writer thread -----------------------------------------------------

    def _connect_writer(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        conn = self._connect(private=not self.path.exists())
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            create_table(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        self._writer = conn

    def _write_batch(
        self,
        records: Sequence[AuditRecord],
        notifications: Sequence[OutboxEntry],
    ) -> list[AuditRecord]:
        assert self._writer is not None
        return self._append_batch(self._writer, records, notifications)

    def _journal_database(self) -> Path | None:
        return self.path if self.synchronous == "NORMAL" else None

    def _known_ids(self, ids: Sequence[str]) -> set[str]:
        assert self._writer is not None
        return _known_ids(self._writer, ids)

    def _recover_offline(self) -> None:
        self.recover_left_behind()

    def recover_left_behind(self) -> int:
        """Move in what hubs that died left in their journals; returns how many records (blocking).

        Readers (``mcpea audit verify``, ``tail``, ``export``, ``mcpea notify status``) call
        this before reading, on a connection of its own, so they see every record (and
        notification) a hub accepted before it was killed. Without write access the journals
        stay for the next hub and the reader sees the file as it is.
        """
        if not self.path.exists() or not journal_paths(self.path):
            return 0
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            logger.warning("audit: journals beside %s not moved in: %s", self.path, exc)
            return 0
        try:
            return recover(
                self.path,
                lambda entries: self._move_in(
                    entries, lambda records, notes: self._append_batch(conn, records, notes), self.path
                ),
                lambda ids: _known_ids(conn, ids),
                batch=self.max_batch,
            )
        except Exception as exc:  # a reader must read what is there, whatever keeps the journals out
            failure = store_error("recover", exc)
            logger.warning("audit: journals beside %s not moved in: %s", self.path, failure)
            return 0
        finally:
            conn.close()

    def _write_drafts(self, drafts: Sequence[Draft], notifications: Sequence[OutboxEntry]) -> None:
        assert self._writer is not None
        self._transaction(self._writer, lambda head: seal_drafts(drafts, head), notifications)

    @classmethod
    def _append_batch(
        cls,
        conn: sqlite3.Connection,
        records: Sequence[AuditRecord],
        notifications: Sequence[OutboxEntry],
    ) -> list[AuditRecord]:
        sealed: list[AuditRecord] = []

        def rows(head: ChainHead | None) -> tuple[list[tuple[Any, ...]], ChainHead]:
            sealed.extend(seal_batch(records, head))
            return [to_row(r) for r in sealed], ChainHead(sealed[-1].seq, sealed[-1].hash or "")

        cls._transaction(conn, rows, notifications)
        return sealed

    @staticmethod
    def _transaction(
        conn: sqlite3.Connection,
        rows: Callable[[ChainHead | None], tuple[list[tuple[Any, ...]], ChainHead]],
        notifications: Sequence[OutboxEntry],
    ) -> None:
        """Append the rows ``rows`` makes after the chain head, move the head, add the notifications."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            made, head = rows(head_from_row(conn.execute(_HEAD).fetchone()))
            _insert(conn, made)
            conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 0", (head.seq, head.hash))
            if notifications:
                insert_entries(conn, notifications)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # --- readers -------------------------------------------------------------

    def _reading(self) -> sqlite3.Connection:
        if self._reader is None:
            if not self.path.exists():
                raise AuditStoreError(f"no audit trail at {self.path}")
            conn = self._connect()
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only = ON")
            self._reader = conn
        return self._reader

    def _read_page(self, filters: RecordFilter, limit: int) -> list[AuditRecord]:
        where, params = filters.sql_where("?")
        rows = self._reading().execute(f"{_SELECT} WHERE {where} ORDER BY seq LIMIT ?", [*params, limit])
        return readable(rows)

    def _read_head(self) -> ChainHead | None:
        return head_from_row(self._reading().execute(_HEAD).fetchone())

    def _verify_snapshot(self, checkpoint: ChainHead | None) -> VerifyReport:
        conn = self._reading()
        conn.execute("BEGIN")  # one read snapshot for the head and every record
        try:
            head = head_from_row(conn.execute(_HEAD).fetchone())
            rows = conn.execute(f"{_SELECT} ORDER BY seq")
            return verify_chain((from_row(row) for row in rows), head=head, checkpoint=checkpoint)
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _known_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
        chunk = ids[start : start + 500]
        rows = conn.execute(
            f"SELECT id FROM audit_records WHERE id IN ({', '.join('?' * len(chunk))})", chunk
        )
        known.update(row[0] for row in rows)
    return known


def _enable_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch to WAL, which needs a moment of exclusive access.

    SQLite answers "database is locked" at once, without its busy handler,
    when another process opens the same new file at the same instant, so
    retry briefly; a file already in WAL mode needs nothing.
    """
    for attempt in range(attempts):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
