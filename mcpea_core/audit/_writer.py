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


async def wait_future(future: concurrent.futures.Future[T]) -> T:
    """Await a thread's future without blocking the event loop (cancelling it if not yet started)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio): park a worker thread on it instead
        return await anyio.to_thread.run_sync(future.result)
    return await asyncio.wrap_future(future)


def store_error(action: str, exc: BaseException) -> AuditStoreError:
    return AuditStoreError(f"audit store could not {action}: {type(exc).__name__}: {redact_text(str(exc))}")


class ThreadedStore(abc.ABC):
    """An :class:`~.store.AuditStore` whose blocking I/O runs on a writer thread and worker threads."""

    max_batch = 1000

    def __init__(self) -> None:
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._reader_lock = threading.Lock()
        self._closed = False

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
        future: concurrent.futures.Future[AuditRecord] = concurrent.futures.Future()
        with self._state_lock:
            if self._closed or self._thread is None:
                raise AuditStoreError("the audit store is not open")
            self._queue.put(_Pending(record, future, tuple(notifications)))
        return await wait_future(future)

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

    def _fail_queued(self, error: AuditStoreError) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None and item.future.set_running_or_notify_cancel():
                item.future.set_exception(error)

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = [first], False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit([p for p in batch if p.future.set_running_or_notify_cancel()])
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
