"""The machinery every store shares: a writer thread with group commit, and readers off the loop.

Group commit: appends go into a queue; one writer thread takes everything
queued (up to ``max_batch``), seals it into the chain and commits it in one
transaction, then wakes each waiting caller. Under load the records of
concurrent calls share one commit (one fsync) while each caller still returns
only once its own record is durable; a lone call costs one commit, as
before. Nothing waits for a batch to fill.

An end record may carry the notification outbox entries of its call
(``append_end(record, notifications=...)``): they are committed in the same
transaction as the record, so they exist exactly when it does.

Committing on the event loop. A store may also commit a batch on the event
loop thread itself (``_write_inline``, SQLite with ``synchronous=NORMAL``:
a WAL commit without fsync costs tens of microseconds, far less than the two
thread handoffs it saves). Appends made in one turn of the loop are gathered
and committed in one transaction by a callback at the end of that turn, so
overlapping calls still share a commit. The inline write never waits for a
lock: when another connection (another hub process, this process's writer
thread) holds the write lock, or the inline write fails in any way, the batch
is handed to the writer thread, which waits and commits it as before. While
the writer thread has records in flight, new appends go to it too.

Subclasses implement the blocking parts (``_connect_writer``,
``_write_batch``, ``_close_writer`` run on the writer thread; ``_read_page``,
``_verify_snapshot``, ``_read_head``, ``_close_reader`` on worker threads,
one at a time).
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
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.to_thread

from .record import AuditRecord
from .redact import redact_text
from .store import AuditStoreError, RecordFilter
from .verify import ChainHead, VerifyReport

if TYPE_CHECKING:
    from ..notify.outbox import OutboxEntry

__all__ = ["ThreadedStore", "WriterStats"]

logger = logging.getLogger("mcpea.audit")
T = TypeVar("T")
_PAGE = 500


@dataclass
class WriterStats:
    """What the writer thread did: ``commits`` < ``records`` shows group commit at work."""

    commits: int = 0
    records: int = 0
    largest_batch: int = 0
    failed_batches: int = 0


@dataclass
class _Pending:
    record: AuditRecord
    future: concurrent.futures.Future[AuditRecord]
    notifications: Sequence[OutboxEntry] = ()


@dataclass(slots=True)
class _LoopPending:
    record: AuditRecord
    future: asyncio.Future[AuditRecord]
    notifications: Sequence[OutboxEntry]


async def wait_future(future: concurrent.futures.Future[T]) -> T:
    """Await a thread's future without blocking the event loop (cancelling it if not yet started)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio): park a worker thread on it instead
        return await anyio.to_thread.run_sync(future.result)
    return await asyncio.wrap_future(future)


def _cancel_if_cancelled(
    inner: concurrent.futures.Future[AuditRecord], outer: asyncio.Future[AuditRecord]
) -> None:
    if outer.cancelled():
        inner.cancel()


def store_error(action: str, exc: BaseException) -> AuditStoreError:
    return AuditStoreError(f"audit store could not {action}: {type(exc).__name__}: {redact_text(str(exc))}")


class ThreadedStore(abc.ABC):
    """An :class:`~.store.AuditStore` whose blocking I/O runs on a writer thread and worker threads."""

    max_batch = 1000

    def __init__(self) -> None:
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[_Pending | Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._reader_lock = threading.Lock()
        self._closed = False
        # Committing on the event loop (see the module docstring); touched on the loop thread only.
        self._loop_batch: list[_LoopPending] | None = None
        self._thread_inflight = 0

    # --- blocking parts, implemented by each store -------------------------

    @abc.abstractmethod
    def _connect_writer(self) -> None: ...

    @abc.abstractmethod
    def _write_batch(
        self, records: Sequence[AuditRecord], notifications: Sequence[OutboxEntry]
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

    def _inline_writes(self) -> bool:
        """Whether ``_write_inline`` may be tried on the event loop thread (cheap, never blocking)."""
        return False

    def _write_inline(
        self, records: Sequence[AuditRecord], notifications: Sequence[OutboxEntry]
    ) -> list[AuditRecord] | None:
        """Like ``_write_batch`` on the loop thread, without waiting for a lock: ``None`` if it cannot now."""
        return None

    def _after_inline_commit(self) -> None:
        """Called on the loop thread after each inline commit (e.g. to ask for a checkpoint)."""
        return None

    # --- the AuditStore protocol -------------------------------------------

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
        self, record: AuditRecord, *, notifications: Sequence[OutboxEntry] = ()
    ) -> AuditRecord:
        return await self._append(record, "end", notifications)

    async def iter_records(self, filters: RecordFilter | None = None) -> AsyncIterator[AuditRecord]:
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
        return await self._read(self._read_head)

    async def verify(self, *, checkpoint: ChainHead | None = None) -> VerifyReport:
        return await self._read(self._verify_snapshot, checkpoint)

    async def close(self) -> None:
        if self._loop_batch:  # what was appended before the close is written, as with the queue
            self._flush_loop_batch()
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
        self, record: AuditRecord, phase: str, notifications: Sequence[OutboxEntry] = ()
    ) -> AuditRecord:
        if record.phase != phase:
            raise ValueError(f"append_{phase} got a {record.phase} record")
        if self._thread_inflight == 0 and self._inline_writes():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not asyncio (trio): the writer thread
                pass
            else:
                return await self._append_on_loop(loop, record, tuple(notifications))
        future: concurrent.futures.Future[AuditRecord] = concurrent.futures.Future()
        with self._state_lock:
            if self._closed or self._thread is None:
                raise AuditStoreError("the audit store is not open")
            self._queue.put(_Pending(record, future, tuple(notifications)))
        self._thread_inflight += 1
        try:
            return await wait_future(future)
        finally:
            self._thread_inflight -= 1

    async def _append_on_loop(
        self, loop: asyncio.AbstractEventLoop, record: AuditRecord, notifications: Sequence[OutboxEntry]
    ) -> AuditRecord:
        if self._closed or self._thread is None:
            raise AuditStoreError("the audit store is not open")
        if self._loop_batch is None:
            # The first append of this turn of the loop commits at once; the appends that follow in
            # the same turn are gathered and committed together at its end (group commit).
            self._loop_batch = []
            loop.call_soon(self._flush_loop_batch)
            sealed = self._try_inline([record], notifications)
            if sealed is not None:
                return sealed[0]
            future: asyncio.Future[AuditRecord] = loop.create_future()
            self._hand_to_thread([_LoopPending(record, future, notifications)])
            return await future
        future = loop.create_future()
        self._loop_batch.append(_LoopPending(record, future, notifications))
        return await future

    def _try_inline(
        self, records: list[AuditRecord], notifications: Sequence[OutboxEntry]
    ) -> list[AuditRecord] | None:
        """Commit on the loop thread if the writer thread is idle and the store can now; else ``None``."""
        if self._thread_inflight:
            return None
        try:
            sealed = self._write_inline(records, notifications)
        except Exception:  # the writer thread retries it and reports what fails
            logger.debug("inline audit commit failed; handing it to the writer thread", exc_info=True)
            return None
        if sealed is None:
            return None
        self.stats.commits += 1
        self.stats.records += len(sealed)
        if len(sealed) > self.stats.largest_batch:
            self.stats.largest_batch = len(sealed)
        self._after_inline_commit()
        return sealed

    def _flush_loop_batch(self) -> None:
        """Commit what this turn of the loop appended: here if the store can, else on the writer thread."""
        batch, self._loop_batch = self._loop_batch, None
        if not batch:
            return
        live = [p for p in batch if not p.future.done()]  # a cancelled append is not written
        if not live:
            return
        notifications = [entry for pending in live for entry in pending.notifications]
        sealed = self._try_inline([p.record for p in live], notifications)
        if sealed is None:
            self._hand_to_thread(live)
            return
        for pending, done in zip(live, sealed, strict=True):
            if not pending.future.done():
                pending.future.set_result(done)

    def _hand_to_thread(self, batch: list[_LoopPending]) -> None:
        loop = batch[0].future.get_loop()
        with self._state_lock:
            if self._closed or self._thread is None:
                error = AuditStoreError("the audit store is not open")
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(error)
                return
            for pending in batch:
                inner: concurrent.futures.Future[AuditRecord] = concurrent.futures.Future()
                self._thread_inflight += 1
                inner.add_done_callback(functools.partial(self._deliver, loop, pending.future))
                pending.future.add_done_callback(functools.partial(_cancel_if_cancelled, inner))
                self._queue.put(_Pending(pending.record, inner, tuple(pending.notifications)))

    def _deliver(
        self,
        loop: asyncio.AbstractEventLoop,
        outer: asyncio.Future[AuditRecord],
        inner: concurrent.futures.Future[AuditRecord],
    ) -> None:
        """On the writer thread: pass a handed-over record's result to the loop."""
        try:
            loop.call_soon_threadsafe(self._copy_result, inner, outer)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    def _copy_result(
        self, inner: concurrent.futures.Future[AuditRecord], outer: asyncio.Future[AuditRecord]
    ) -> None:
        self._thread_inflight -= 1
        if outer.done():
            return
        if inner.cancelled():
            outer.cancel()
        elif (exc := inner.exception()) is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(inner.result())

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
        except BaseException as exc:
            ready.set_exception(exc)
            self._fail_queued(store_error("open", exc))
            return
        ready.set_result(None)
        try:
            self._serve()
        finally:
            try:
                self._close_writer()
            except Exception:
                logger.exception("closing the audit store failed")

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

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Pending] = []
            stop, task = False, None
            item: _Pending | Callable[[], None] | None = first
            while True:
                if item is None:
                    stop = True
                    break
                if not isinstance(item, _Pending):
                    task = item
                    break
                batch.append(item)
                if len(batch) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._commit([p for p in batch if p.future.set_running_or_notify_cancel()])
            if task is not None:
                try:
                    task()
                except Exception:
                    logger.warning("audit store maintenance failed", exc_info=True)
            if stop:
                return

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
        self.stats.commits += 1
        self.stats.records += len(sealed)
        self.stats.largest_batch = max(self.stats.largest_batch, len(sealed))
        for pending, record in zip(batch, sealed, strict=True):
            pending.future.set_result(record)
