"""The machinery every store shares: a writer thread with group commit, and readers off the loop.

Group commit: appends go into a queue; one writer thread takes everything
queued (up to ``max_batch``), seals it into the chain and commits it in one
transaction, then wakes each waiting caller. Under load the records of
concurrent calls share one commit (one fsync) while each caller still returns
only once its own record is durable; a lone call costs one commit, as
before. Nothing waits for a batch to fill.

An end record may carry the notification outbox entries of its call
(``append_end(record, notifications=...)``): they are committed in the same
transaction as the record, so they exist exactly when it does, and
``committed`` (if given) is called once they are.

Journaled stores. A store may name a database for a journal
(``_journal_database``; SQLite with ``synchronous=NORMAL``): an append then
writes one line to the journal on the caller's thread and returns at once
(the record is durable against a crash from then on, see ``_journal``), and
the writer thread moves accepted records into the database in batches,
gathered for ``gather_delay`` seconds. A batch that fails stays queued and
is retried with backoff; nothing accepted is dropped, and a journal left by a
process that died is recovered by the next store opened on the database.
Reads (``iter_records``, ``head``, ``verify``) first wait until what this
store accepted is in the database, so a reader in the same process sees its
own appends.

Subclasses implement the blocking parts (``_connect_writer``,
``_write_batch``, ``_close_writer`` and, when journaled, ``_known_ids`` run on
the writer thread; ``_read_page``, ``_verify_snapshot``, ``_read_head``,
``_close_reader`` on worker threads, one at a time).
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import dataclasses
import functools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.to_thread

from ._journal import Journal, JournalEntry, encode, recover, set_aside
from .record import AuditRecord, Draft, draft_of, draft_problem, record_from_draft
from .redact import redact_text
from .store import AuditStoreError, RecordFilter
from .verify import ChainHead, VerifyReport

if TYPE_CHECKING:
    from ..notify.outbox import OutboxEntry

__all__ = ["ThreadedStore", "WriterStats"]

logger = logging.getLogger("mcpea.audit")
T = TypeVar("T")
_PAGE = 500
_RETRY_FIRST, _RETRY_MAX = 0.05, 5.0  # seconds between attempts to move a failed batch into the database
_CATCH_UP_LIMIT = 30.0  # seconds a reader waits for the writer thread to move accepted records in


@dataclass
class WriterStats:
    """What the writer thread did: ``commits`` < ``records`` shows group commit at work."""

    commits: int = 0
    records: int = 0
    largest_batch: int = 0
    failed_batches: int = 0
    set_aside: int = 0  # accepted records that can never be stored (see _journal.set_aside)


@dataclass
class _Pending:
    """An append whose caller waits for its commit."""

    record: AuditRecord
    future: concurrent.futures.Future[AuditRecord]
    notifications: Sequence[OutboxEntry] = ()


_Accepted = tuple[Draft, "tuple[OutboxEntry, ...]", int, "Callable[[], None] | None"]
"""An append already durable in the journal: ``(draft, notifications, end, committed)``.

``end`` is the journal's size once its line was in. A plain tuple: one is made per record,
on the event loop.
"""


class _Wake:
    """Put on the queue to wake a writer thread that sleeps with nothing to do."""


_GATHER = _Wake()
"""The first record accepted after the writer thread went idle: it starts a batch, gathered for
``gather_delay`` like any other (committing that one record at once would cost a transaction
per burst of calls)."""
_HURRY = _Wake()
"""Appends are held back (backpressure): move what is accepted in now."""


_Item = _Pending | _Wake | Callable[[], None] | None


class _RetryDue:
    """What the writer thread's wait yields when a failed batch is due for another attempt."""


async def wait_future(future: concurrent.futures.Future[T]) -> T:
    """Await a thread's future without blocking the event loop (cancelling it if not yet started)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio): park a worker thread on it instead
        return await anyio.to_thread.run_sync(future.result)
    return await asyncio.wrap_future(future)


def store_error(action: str, exc: BaseException) -> AuditStoreError:
    return AuditStoreError(f"audit store could not {action}: {type(exc).__name__}: {redact_text(str(exc))}")


def _set_once(future: concurrent.futures.Future[None]) -> None:
    if not future.done():  # a reader that gave up waiting cancelled it
        future.set_result(None)


def _set_if_pending(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def shown(value: object) -> str:
    """A record's id, phase or call id for a message: itself when text, else its type (never a value)."""
    return value if isinstance(value, str) else f"<{type(value).__name__}>"


def _call_each(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            logger.exception("audit: a commit callback failed")


class ThreadedStore(abc.ABC):
    """An :class:`~.store.AuditStore` whose blocking I/O runs on a writer thread and worker threads."""

    max_batch = 1000
    gather_delay = 0.05
    """Journaled stores: how long the writer thread lets accepted records gather before a commit.

    Larger batches share one transaction, but past a few milliseconds that saves little:
    on a stdio hub pinned to one core (bench/bench_audit_overhead.py, charging each server
    all the CPU it uses) 0.5 s measured no better than 0.05 s, and 0.01 s worse. Readers in
    this process do not wait for it (they wake the writer); notifications reach the outbox
    at most this late.
    """
    max_accepted = 2000
    """Journaled stores: accepted records waiting for the writer thread before appends wait for it too."""
    max_backlog = 100_000
    """Journaled stores: records the database has not taken (it fails) before appends are refused.

    They are safe in the journal, but also held in memory for the next attempt; past this
    many the store refuses new records (``on_failure`` decides what happens to the call).
    """

    def __init__(self) -> None:
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._reader_lock = threading.Lock()
        self._closed = False
        self._journal: Journal | None = None
        # Accepted records travel to the writer thread in a deque it polls every gather_delay while
        # there is work, so accepting costs no system call; a writer with nothing to do sleeps on the
        # queue (_idle) and the first record accepted after that wakes it.
        self._accepted: deque[_Accepted] = deque()
        self._idle = False
        self._drain_waiters: list[asyncio.Future[None]] = []  # appends held back until the writer catches up
        self._drain_lock = threading.Lock()
        self._backlog: list[_Accepted] = []  # writer thread only: accepted records not yet in the database
        self._retry_delay = _RETRY_FIRST
        self._retry_at = 0.0
        self._last_failure_log = float("-inf")
        self._recovered_offline = False

    # --- blocking parts, implemented by each store -------------------------

    @abc.abstractmethod
    def _connect_writer(self) -> None: ...

    @abc.abstractmethod
    def _write_batch(
        self,
        records: Sequence[AuditRecord],
        notifications: Sequence[OutboxEntry],
    ) -> list[AuditRecord]:
        """Seal ``records`` after the current head; commit them and ``notifications`` in one transaction."""

    @abc.abstractmethod
    def _close_writer(self) -> None: ...

    @abc.abstractmethod
    def _read_page(self, filters: RecordFilter, limit: int) -> list[AuditRecord]: ...

    @abc.abstractmethod
    def _read_head(self) -> ChainHead | None: ...

    @abc.abstractmethod
    def _verify_snapshot(self, checkpoint: ChainHead | None) -> VerifyReport: ...

    @abc.abstractmethod
    def _close_reader(self) -> None: ...

    def _journal_database(self) -> Path | None:
        """The database file whose journal this store keeps (``None``: appends wait for their commit)."""
        return None

    def _write_drafts(self, drafts: Sequence[Draft], notifications: Sequence[OutboxEntry]) -> None:
        """Journaled stores: seal and commit drafts like ``_write_batch`` (a store may do it cheaper)."""
        self._write_batch([record_from_draft(draft) for draft in drafts], notifications)

    def _known_ids(self, ids: Sequence[str]) -> set[str]:
        """Journaled stores: which of these record ids the database holds (writer thread)."""
        raise NotImplementedError

    def _recover_offline(self) -> None:
        """Journaled stores, not open for writing: move in the journals of hubs that died (worker thread)."""
        raise NotImplementedError

    # --- the AuditStore protocol -------------------------------------------

    @property
    def appends_at_once(self) -> bool:
        """True when appends return without waiting (a journaled store that is open)."""
        return self._journal is not None

    async def open(self) -> None:
        with self._state_lock:
            if self._closed:
                raise AuditStoreError("the audit store is closed")
            if self._thread is not None:
                return
            ready: concurrent.futures.Future[None] = concurrent.futures.Future()
            self._thread = threading.Thread(
                target=self._run, args=(ready,), name=self._thread_name(), daemon=True
            )
            self._thread.start()
        try:
            await wait_future(ready)
        except Exception as exc:
            with self._state_lock:
                self._thread = None
            raise store_error("open", exc) from exc

    async def append_start(self, record: AuditRecord) -> AuditRecord:
        return await self._append(record, "start")

    async def append_end(
        self,
        record: AuditRecord,
        *,
        notifications: Sequence[OutboxEntry] = (),
        committed: Callable[[], None] | None = None,
    ) -> AuditRecord:
        return await self._append(record, "end", notifications, committed)

    async def iter_records(self, filters: RecordFilter | None = None) -> AsyncIterator[AuditRecord]:
        await self._caught_up()
        wanted = filters or RecordFilter()
        remaining = wanted.limit
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            page = await self._read(self._read_page, wanted, size)
            for record in page:
                yield record
            if len(page) < size:
                return
            wanted = dataclasses.replace(wanted, after_seq=page[-1].seq)
            remaining = None if remaining is None else remaining - len(page)

    async def head(self) -> ChainHead | None:
        await self._caught_up()
        return await self._read(self._read_head)

    async def verify(self, *, checkpoint: ChainHead | None = None) -> VerifyReport:
        await self._caught_up()
        return await self._read(self._verify_snapshot, checkpoint)

    async def close(self) -> None:
        with self._state_lock:
            thread, self._thread = self._thread, None
            if not self._closed:
                self._closed = True
                self._queue.put(None)
        if thread is not None:
            await anyio.to_thread.run_sync(thread.join)
        await anyio.to_thread.run_sync(self._locked_close_reader)

    # --- internals ---------------------------------------------------------

    def _thread_name(self) -> str:
        return f"mcpea-audit-{type(self).__name__}"

    async def _append(
        self,
        record: AuditRecord,
        phase: str,
        notifications: Sequence[OutboxEntry] = (),
        committed: Callable[[], None] | None = None,
    ) -> AuditRecord:
        if record.phase != phase:
            raise ValueError(f"append_{phase} got a {record.phase} record")
        try:
            draft = draft_of(record)
        except ValueError as exc:
            if self._journal is not None:
                said = f"audit record of call {shown(record.call_id)} not appended"
                raise AuditStoreError(f"{said}: {exc}") from exc
            draft = None  # sealed already: a store that commits directly checks it as it seals
        problem = draft_problem(draft) if draft is not None else None
        if problem is not None:  # what could never be stored is refused now, not retried or set aside later
            raise AuditStoreError(f"audit record of call {shown(record.call_id)} not appended: {problem}")
        if self._journal is not None:
            assert draft is not None
            wait = self.accept(draft, notifications, committed)
            if wait is not None:
                await wait
            return record
        future: concurrent.futures.Future[AuditRecord] = concurrent.futures.Future()
        with self._state_lock:
            if self._closed or self._thread is None:
                raise AuditStoreError("the audit store is not open")
            self._queue.put(_Pending(record, future, tuple(notifications)))
        sealed = await wait_future(future)
        if committed is not None:
            committed()
        return sealed

    def accept(
        self,
        draft: Draft,
        notifications: Sequence[OutboxEntry] = (),
        committed: Callable[[], None] | None = None,
    ) -> Awaitable[None] | None:
        """Journaled stores: make a draft record durable now (one ``write()``), without waiting.

        Returns ``None``, or, when the writer thread has fallen behind, an
        awaitable the caller should await before going on (backpressure).
        Raises :class:`~.store.AuditStoreError` when the record cannot be
        journaled. What the audit plugin calls per tool call, on the event loop.
        """
        journal = self._journal
        if journal is None or self._closed:
            raise AuditStoreError("the audit store is not open")
        if len(self._backlog) >= self.max_backlog:
            raise AuditStoreError(
                f"the audit database has not taken records for a while ({len(self._backlog)} wait in "
                f"{journal.path}); see the hub's log for why"
            )
        try:
            line = encode(draft, notifications)
        except (TypeError, ValueError) as exc:  # redacted arguments are JSON-safe: this is a bug
            raise AuditStoreError(f"audit record of call {draft[2]} cannot be written: {exc}") from exc
        accepted = self._accepted
        with journal.lock:  # the journal's lines and the queue in one order
            accepted.append((draft, tuple(notifications), journal.append_locked(line), committed))
        if self._idle:
            self._idle = False
            self._queue.put(_GATHER)
        if len(accepted) >= self.max_accepted and not self._backlog:
            return self._writer_caught_up()
        return None

    async def _writer_caught_up(self) -> None:
        """Backpressure: wait (a bounded time) until the writer thread has moved most accepted records in.

        Appends that never suspend would otherwise let a busy event loop starve the writer
        thread of the GIL while accepted records pile up in memory.
        """
        try:
            future = asyncio.get_running_loop().create_future()
        except RuntimeError:  # not asyncio (trio): no backpressure
            return
        with self._drain_lock:
            self._drain_waiters.append(future)
        self._queue.put(_HURRY)
        with anyio.move_on_after(5.0):  # a writer that cannot commit must not stall every call
            await asyncio.shield(future)

    def _release_drain_waiters(self) -> None:
        """Writer thread: let held-back appends go on once the writer has caught up."""
        if not self._drain_waiters or len(self._accepted) > self.max_accepted // 2:
            return
        with self._drain_lock:
            waiters, self._drain_waiters = self._drain_waiters, []
        for future in waiters:
            try:
                future.get_loop().call_soon_threadsafe(_set_if_pending, future)
            except RuntimeError:  # its loop is closed
                pass

    async def _caught_up(self) -> None:
        """Wait until what this store accepted so far is in the database (or failed to get there).

        A store not open for writing instead moves in, once, the journals of hubs that died.
        """
        if self._journal is None:
            if self._thread is None and not self._recovered_offline and self._journal_database() is not None:
                self._recovered_offline = True
                await anyio.to_thread.run_sync(self._recover_offline)
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._state_lock:
            if self._closed or self._thread is None:
                return
            self._queue.put(functools.partial(_set_once, done))
        with anyio.move_on_after(_CATCH_UP_LIMIT) as waited:  # a stuck writer must not hang readers
            await wait_future(done)
        if waited.cancelled_caught:
            logger.warning("audit: the writer thread of %s is behind; reading what is there", self)

    async def _read(self, fn: Callable[..., T], *args: object) -> T:
        def locked() -> T:
            with self._reader_lock:
                try:
                    return fn(*args)
                except AuditStoreError:
                    raise
                except Exception as exc:
                    raise store_error("read records", exc) from exc

        return await anyio.to_thread.run_sync(locked)

    def _locked_close_reader(self) -> None:
        with self._reader_lock:
            self._close_reader()

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            self._connect_writer()
            database = self._journal_database()
            if database is not None:
                recover(database, self._ingest_recovered, self._known_ids, batch=self.max_batch)
                journal = Journal(database)
                journal.open()
                self._journal = journal
        except BaseException as exc:
            ready.set_exception(exc)
            self._fail_queued(store_error("open", exc))
            try:
                self._close_writer()
            except Exception:
                logger.debug("closing a store that failed to open failed too", exc_info=True)
            return
        ready.set_result(None)
        try:
            self._serve()
        finally:
            self._close_journal()
            try:
                self._close_writer()
            except Exception:
                logger.exception("closing the audit store failed")

    def _ingest_recovered(self, entries: list[JournalEntry]) -> None:
        database = self._journal_database()
        assert database is not None
        self._move_in(entries, self._write_batch, database)

    def _move_in(
        self,
        entries: list[JournalEntry],
        write: Callable[[list[AuditRecord], Sequence[OutboxEntry]], object],
        database: Path,
    ) -> None:
        """Recovery: commit a dead journal's entries in order with ``write``; set aside what never can be.

        After the batch fails, entries go one at a time: one whose record has a
        :func:`~.record.draft_problem` is set aside, so it cannot keep the store from opening;
        any other failure is raised (the journal stays for the next attempt).
        """
        try:
            write([entry.record for entry in entries], [n for entry in entries for n in entry.notifications])
            return
        except Exception:
            pass  # one at a time, below
        for entry in entries:
            try:
                write([entry.record], entry.notifications)
            except Exception as failed:
                try:
                    draft = draft_of(entry.record)
                    problem = draft_problem(draft)
                except Exception:  # sealed already, of an older format, or too odd to judge
                    raise failed from None
                if problem is None or not self._set_aside(database, draft, entry.notifications, problem):
                    raise

    def _on_writer_thread(self, task: Callable[[], None]) -> None:
        """Run ``task`` on the writer thread, between batches (its failure is only logged)."""
        with self._state_lock:
            if not self._closed and self._thread is not None:
                self._queue.put(task)

    def _fail_queued(self, error: AuditStoreError) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Pending) and item.future.set_running_or_notify_cancel():
                item.future.set_exception(error)

    def _next(self) -> _Item | _RetryDue:
        """The next queued item; ``_RetryDue`` when accepted records wait to be moved in."""
        if not (self._accepted or self._backlog):
            self._idle = True
            if not self._accepted:  # (an append between the test and the flag above sees the flag)
                return self._queue.get()
            self._idle = False
        delay = self._retry_delay if self._backlog and not self._accepted else self.gather_delay
        try:
            return self._queue.get(timeout=delay)
        except queue.Empty:
            return _RetryDue()

    def _serve(self) -> None:
        while True:
            item: _Item | _RetryDue = self._next()
            if item is _GATHER:
                continue  # _next now waits gather_delay, or until something else is queued
            pending: list[_Pending] = []
            stop, task = False, None
            while True:
                if item is None:
                    stop = True
                    break
                if isinstance(item, _Pending):
                    pending.append(item)
                    if len(pending) >= self.max_batch:
                        break
                elif callable(item):
                    task = item
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            accepted = self._take_accepted()
            if accepted or (self._backlog and (not self._backlog_waits() or task is not None or stop)):
                self._ingest(accepted)
            self._release_drain_waiters()
            self._commit([p for p in pending if p.future.set_running_or_notify_cancel()])
            if task is not None:
                try:
                    task()
                except Exception:
                    logger.warning("audit store maintenance failed", exc_info=True)
            if stop:
                self._ingest(self._take_accepted())
                return

    def _take_accepted(self) -> list[_Accepted]:
        taken: list[_Accepted] = []
        while self._accepted:
            taken.append(self._accepted.popleft())
        return taken

    def _backlog_waits(self) -> bool:
        """A failed batch is not yet due for its next attempt."""
        return time.monotonic() < self._retry_at

    def _commit(self, batch: list[_Pending]) -> None:
        if not batch:
            return
        try:
            notifications = [entry for pending in batch for entry in pending.notifications]
            sealed = self._write_batch([p.record for p in batch], notifications)
        except Exception as exc:
            self.stats.failed_batches += 1
            if len(batch) > 1:  # one bad record must not fail the calls it happened to share a batch with
                for pending in batch:
                    self._commit([pending])
                return
            batch[0].future.set_exception(store_error("write the record", exc))
            return
        self._count(len(sealed))
        for pending, record in zip(batch, sealed, strict=True):
            pending.future.set_result(record)

    def _count(self, records: int) -> None:
        self.stats.commits += 1
        self.stats.records += records
        self.stats.largest_batch = max(self.stats.largest_batch, records)

    def _ingest(self, accepted: list[_Accepted]) -> None:
        """Move accepted records into the database, in order; keep what fails for a retry.

        A batch that fails is tried one record at a time, so the records before
        one that cannot be written still go in; that record and those after it
        wait (in the journal, and here) for the next attempt.
        """
        backlog = self._backlog + accepted if self._backlog else accepted
        done, error = 0, None
        while done < len(backlog) and error is None:
            chunk = backlog[done : done + self.max_batch]
            try:
                self._write_accepted(chunk)
                done += len(chunk)
                continue
            except Exception as exc:
                error = exc
            moved, error = self._one_by_one(chunk, error)
            done += moved
        self._backlog = backlog[done:]
        if error is not None:
            self.stats.failed_batches += 1
            now = time.monotonic()
            if now - self._last_failure_log >= 30.0:
                self._last_failure_log = now
                logger.error(
                    "audit: %d accepted record(s) cannot be moved into %s yet; they are safe in %s "
                    "and retried every few seconds: %s",
                    len(self._backlog),
                    self,
                    self._journal.path if self._journal is not None else "its journal",
                    store_error("write the record", error),
                )
            self._retry_at = time.monotonic() + self._retry_delay
            self._retry_delay = min(self._retry_delay * 2, _RETRY_MAX)
            return
        self._retry_delay = _RETRY_FIRST
        self._last_failure_log = float("-inf")
        if backlog and self._journal is not None:
            self._journal.empty_if_at(backlog[-1][2])

    def _one_by_one(self, chunk: list[_Accepted], error: Exception) -> tuple[int, Exception | None]:
        """After ``chunk`` failed as a whole with ``error``: its records one at a time, in order.

        A record that fails alone is done with when :meth:`_settled` says so (it is in the
        database already, or was set aside); otherwise it and those after it wait for the
        next attempt. Returns how many records are done and the error that holds back the
        rest (``None``: none is held back).
        """
        for index, item in enumerate(chunk):
            if len(chunk) > 1:  # (a chunk of one has just failed alone)
                try:
                    self._write_accepted([item])
                    continue
                except Exception as exc:
                    error = exc
            if not self._settled(item):
                return index, error
        return len(chunk), None

    def _settled(self, item: _Accepted) -> bool:
        """A record that failed alone needs no retry: it is in already, or can never be stored (set aside).

        In already: the same record id is in the database (appended twice, or a commit that
        reported failure and took effect). Can never be stored: :func:`~.record.draft_problem`
        names a field; the draft goes to ``<db>.rejected`` so the records after it go in.
        Anything else (a lock, a full disk, a broken chain head) is the database's: retried.
        """
        draft, notifications, _, committed = item
        try:
            problem = draft_problem(draft)
            already = problem is None and draft[0] in self._known_ids([draft[0]])
        except Exception:  # a database that cannot say, or a draft too odd to judge: wait, retry
            return False
        if already:
            logger.warning(
                "audit: the %s record %s of call %s is in %s already (appended twice?), not again",
                shown(draft[1]), shown(draft[0]), shown(draft[2]), self,
            )  # fmt: skip
            if committed is not None:
                _call_each([committed])
            return True
        if problem is None:
            return False
        database = self._journal_database()
        return database is not None and self._set_aside(database, draft, notifications, problem)

    def _set_aside(
        self, database: Path, draft: Draft, notifications: Sequence[OutboxEntry], problem: str
    ) -> bool:
        """Move a record that can never be stored out of the way; ``False`` if even that failed."""
        try:
            path = set_aside(database, draft, notifications, problem)
        except Exception as exc:
            logger.error(
                "audit: could not set aside record %s of call %s: %s", shown(draft[0]), shown(draft[2]), exc
            )
            return False
        self.stats.set_aside += 1
        logger.error(
            "audit: the %s record %s of call %s can never go into %s: %s. It is set aside in %s, "
            "with its %d notification(s); the audit trail goes on without it",
            shown(draft[1]), shown(draft[0]), shown(draft[2]), database, problem, path, len(notifications),
        )  # fmt: skip
        return True

    def _write_accepted(self, chunk: list[_Accepted]) -> None:
        self._write_drafts([draft for draft, _, _, _ in chunk], [n for _, ns, _, _ in chunk for n in ns])
        self._count(len(chunk))
        _call_each([committed for _, _, _, committed in chunk if committed is not None])

    def _close_journal(self) -> None:
        journal, self._journal = self._journal, None
        if journal is None:
            return
        if self._backlog:
            logger.error(
                "audit: %d accepted record(s) are not in the database yet; they stay in %s and the next "
                "store opened on it moves them in",
                len(self._backlog),
                journal.path,
            )
        journal.close(delete=not self._backlog and journal.is_empty)
