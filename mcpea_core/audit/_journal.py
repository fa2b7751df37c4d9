"""The pending-records journal: how a SQLite store makes a record durable in one ``write()``.

A record is *accepted* once its line is written to the journal, a file of
the store's own beside the database (``<db>.pending-<pid>-<random>``,
owner-only, append-only). The line is in the kernel's page cache when
``write()`` returns, so it survives a crash or ``kill -9`` of the hub: the
same promise SQLite's ``synchronous=NORMAL`` in WAL mode makes (neither
fsyncs; after a power loss both may lose their last writes). The writer
thread then moves accepted records into the database in batches (sealing
them into the hash chain there) and empties the journal once everything
written to it is in the database.

A journal belongs to one live hub process, which holds an exclusive
``flock`` on it. A journal nobody holds was left by a process that died:
the next store opened on that database moves its records in (those not
already there, by record id) and deletes it (:func:`recover`).

Each line is JSON: the record's draft as an array (its fields, unsealed; see
``record.Draft``), or, for an end record with notifications,
``{"record": [...], "notifications": [{...}, ...]}``: the draft and the call's
notification outbox entries, so they reach the database in one transaction,
as they would have directly.

A record that can never be stored (``record.draft_problem`` names a field:
a list where text belongs, a value that cannot be sealed) would hold back
every record after it. It is set aside instead, in ``<db>.rejected`` beside
the database (one JSON line each: when, why, the draft and its notifications;
fsynced), the log names it, and the records after it go in (:func:`set_aside`).
A record whose id the database already holds is simply not written again.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from .record import AuditRecord, Draft, compact_json_encoder, record_from_draft
from .store import AuditStoreError

if TYPE_CHECKING:
    from ..notify.outbox import OutboxEntry

__all__ = ["Journal", "JournalEntry", "journal_paths", "recover", "rejected_path", "set_aside"]

logger = logging.getLogger("mcpea.audit")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One accepted record and the notifications to commit with it."""

    record: AuditRecord
    notifications: tuple[OutboxEntry, ...] = ()


_encode = compact_json_encoder(sort_keys=False, allow_nan=False)  # NaN could never be sealed
_ORJSON_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS


def encode(draft: Draft, notifications: Sequence[OutboxEntry]) -> bytes:
    """A journal line: the record's draft (a JSON array), or it and its notifications (an object).

    Cheap on purpose (one plain JSON encoding, on the event loop, twice per tool call):
    orjson, about eight times quicker here than the json module. The record, its
    canonical JSON and its hash are made by the writer thread.
    """
    value: object = draft
    if notifications:
        value = {"record": draft, "notifications": [dataclasses.asdict(entry) for entry in notifications]}
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:  # what orjson refuses and json takes (an integer beyond 64 bits): say it the slow way
        return _encode(value).encode("utf-8") + b"\n"


def decode(line: bytes) -> JournalEntry:
    from ..notify.outbox import OutboxEntry

    data = json.loads(line)
    if isinstance(data, list):  # a draft alone
        return JournalEntry(record_from_draft(tuple(data)))
    kept = data["record"]
    record = AuditRecord.from_dict(kept) if isinstance(kept, dict) else record_from_draft(tuple(kept))
    return JournalEntry(record, tuple(OutboxEntry(**entry) for entry in data.get("notifications", ())))


def rejected_path(database: Path) -> Path:
    """Where the records ``database`` can never take are set aside."""
    return database.with_name(f"{database.name}.rejected")


def set_aside(database: Path, draft: Draft, notifications: Sequence[OutboxEntry], reason: str) -> Path:
    """Append a record that can never be stored to :func:`rejected_path`, durably; returns that path.

    The line keeps the draft and its notifications as the journal had them (so the record
    can be examined), with the time and the reason. A record set aside while its hub ran
    stays in the journal until the journal is next emptied: if the hub dies before that,
    recovery sets it aside again, as it does each time a recovery fails after setting one
    aside (more lines with the same record id: ``mcpea audit verify`` counts record ids).
    """
    path = rejected_path(database)
    value = {
        "set_aside": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "reason": reason,
        "record": draft,
        "notifications": [dataclasses.asdict(entry) for entry in notifications],
    }
    try:  # whatever the record holds (it may be why it was refused): repr() what JSON cannot say
        line = orjson.dumps(value, default=repr, option=_ORJSON_OPTIONS)
    except TypeError:
        line = json.dumps(value, default=repr, separators=(",", ":")).encode("utf-8") + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        size = os.fstat(fd).st_size
        if os.write(fd, line) != len(line):  # a full disk: take the partial line back; the record waits
            os.ftruncate(fd, size)
            raise OSError(f"short write to {path}")
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def journal_paths(database: Path) -> list[Path]:
    """Every journal of ``database``, live or left behind."""
    return sorted(database.parent.glob(f"{database.name}.pending-*"))


class Journal:
    """This process's journal of one database: appended on the event loop, emptied by the writer thread."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(f"{database.name}.pending-{os.getpid()}-{secrets.token_hex(4)}")
        self._fd: int | None = None
        self._size = 0  # bytes written; guarded by lock with every write and truncation
        self.lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def open(self) -> None:
        # Locked before it gets its name: a recovering process must never see it unlocked.
        nascent = self.path.with_name(f".{self.path.name}.new")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        fd = os.open(nascent, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "this journal's hub is alive"
            os.rename(nascent, self.path)
        except BaseException:
            os.close(fd)
            nascent.unlink(missing_ok=True)
            raise
        self._fd = fd

    @property
    def is_empty(self) -> bool:
        """Nothing written since the journal was last emptied."""
        return self._size == 0

    def append(self, line: bytes) -> int:
        """Write one line; returns the journal's size after it (the line is then durable)."""
        with self.lock:
            return self.append_locked(line)

    def append_locked(self, line: bytes) -> int:
        """:meth:`append`, for a caller that holds :attr:`lock` (to keep its own records in journal order)."""
        fd = self._fd
        if fd is None:
            raise AuditStoreError("the audit store is not open")
        try:
            written = os.write(fd, line)
            if written != len(line):  # a short write (disk full): take the partial line back
                os.ftruncate(fd, self._size)
                raise OSError(f"short write ({written} of {len(line)} bytes)")
        except OSError as exc:
            raise AuditStoreError(f"audit store could not write its journal {self.path}: {exc}") from exc
        self._size += written
        return self._size

    def empty_if_at(self, size: int) -> bool:
        """Truncate the journal if nothing was written after ``size`` bytes (all of it is in the database)."""
        with self.lock:
            if self._fd is None or self._size != size or size == 0:
                return False
            os.ftruncate(self._fd, 0)
            self._size = 0
            return True

    def close(self, *, delete: bool) -> None:
        """Close; ``delete`` only when every line is in the database (else it is recovered later)."""
        with self.lock:
            fd, self._fd = self._fd, None
            if fd is None:
                return
            try:
                if delete:
                    self.path.unlink(missing_ok=True)
            finally:
                os.close(fd)  # releases the flock: a journal left behind is now recoverable


def _read_entries(fd: int, path: Path) -> Iterator[JournalEntry]:
    with os.fdopen(os.dup(fd), "rb") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                yield decode(line)
            except (ValueError, KeyError, TypeError) as exc:
                # Only a write cut short by a full disk can leave a broken line (and it is truncated
                # away when seen); its call was refused, so nothing that happened is lost.
                logger.warning("audit: skipping unreadable line %d of %s: %s", number, path, exc)


def _still_named(fd: int, path: Path) -> bool:
    """The open journal is still the file at ``path`` (not unlinked by a recovery that got there first)."""
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return here.st_nlink > 0 and (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def recover(
    database: Path,
    ingest: Callable[[list[JournalEntry]], object],
    known_ids: Callable[[list[str]], set[str]],
    *,
    batch: int = 1000,
) -> int:
    """Move the records of journals no live process holds into the database; returns how many.

    ``known_ids`` says which record ids are already there (a process can die
    after committing a batch and before emptying its journal); ``ingest``
    commits entries in order. A journal is deleted once its records are in.
    """
    moved = 0
    for path in journal_paths(database):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:  # another process recovered it just now
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its hub is alive
                continue
            if not _still_named(fd, path):  # another process recovered and removed it meanwhile
                continue
            entries = list(_read_entries(fd, path))
            seen: set[str] = set()
            for start in range(0, len(entries), batch):
                chunk = entries[start : start + batch]
                known = known_ids([entry.record.id for entry in chunk]) | seen
                todo = []
                for entry in chunk:  # a record journaled twice goes in once
                    if entry.record.id not in known:
                        known.add(entry.record.id)
                        todo.append(entry)
                seen.update(entry.record.id for entry in chunk)
                if todo:
                    ingest(todo)
                    moved += len(todo)
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    if moved:
        logger.warning("audit: recovered %d record(s) a stopped hub had accepted into %s", moved, database)
    return moved
