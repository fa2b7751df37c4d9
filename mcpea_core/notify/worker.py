"""The delivery worker: claims due outbox entries, sends them, retries with backoff, dead-letters.

It runs on a thread of its own with its own event loop (:class:`WorkerThread`),
so a slow or misbehaving channel can never hold up the hub's loop, and its
life does not depend on which task started or stops the hub.

* **At least once.** An entry is leased before it is sent and settled
  (delivered, retry scheduled, dead-lettered) after; a worker that dies in
  between leaves the lease to expire and the entry is sent again.
* **Backoff.** After failed attempt *n* the next waits a random time between
  half and all of ``min(max_backoff, base_backoff * 2**(n-1))`` (or the
  channel's ``retry_after``, if longer). After ``max_attempts`` attempts, or
  a permanent failure, the entry is dead-lettered and logged as an error.
* **No busy loop.** With nothing due it sleeps until the earliest pending
  entry is due, or until :meth:`DeliveryWorker.wake` (called after each
  enqueue) or a finished delivery wakes it, and at most ``idle_poll``
  seconds: entries can also appear without a wake (another hub process
  sharing the outbox, an end record whose write outlived its timeout).
* **Clean stop.** :meth:`DeliveryWorker.stop` makes one last claim (so what
  was queued just before, such as by ``mcpea call``, goes out now), gives
  the deliveries in flight ``grace`` seconds, then cancels them; an
  interrupted entry is released for the next worker at once. The worker
  closes its channels on its way out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping

import anyio
import anyio.abc

from .channels import Channel, Delivery, DeliveryError
from .outbox import Outbox, OutboxEntry
from .settings import RetrySettings

__all__ = ["DeliveryWorker", "WorkerThread", "backoff"]

logger = logging.getLogger("mcpea.notify")
Clock = Callable[[], float]


def backoff(
    attempts: int, retry: RetrySettings, *, retry_after: float | None = None, rand: Clock = random.random
) -> float:
    """Seconds to wait after failed attempt number ``attempts`` (1-based): capped exponential, jittered."""
    ceiling = min(retry.max_backoff, retry.base_backoff * 2.0 ** min(attempts - 1, 64))
    delay = ceiling * (0.5 + rand() / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, retry.max_backoff))
    return delay


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DeliveryWorker:
    """Delivers the outbox's entries for ``channels`` (which it owns and closes when it stops)."""

    error_pause = 5.0
    purge_every = 3600.0

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        retry: RetrySettings | None = None,
        *,
        concurrency: int = 8,
        lease: float = 120.0,
        delivery_timeout: float = 60.0,
        grace: float = 5.0,
        retain_delivered: float = 7 * 86400.0,
        idle_poll: float = 30.0,
        worker_id: str | None = None,
        clock: Clock = time.time,
        rand: Clock = random.random,
    ) -> None:
        if lease <= delivery_timeout:
            raise ValueError(
                "the lease must outlast the delivery timeout, or two workers could send one entry"
            )
        self.outbox = outbox
        self.channels = dict(channels)
        self.retry = retry or RetrySettings()
        self.concurrency = concurrency
        self.lease = lease
        self.delivery_timeout = delivery_timeout
        self.grace = grace
        self.retain_delivered = retain_delivered
        self.idle_poll = idle_poll
        self.worker_id = worker_id or _worker_id()
        self.clock = clock
        self.rand = rand
        self.started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: anyio.Event | None = None
        self._stopping = False
        self._inflight: set[str] = set()
        self._last_purge = 0.0

    # --- control, from any thread ------------------------------------------------

    def wake(self) -> None:
        """Look for due entries now (thread-safe, never blocks): call it after enqueuing."""
        self._call_soon(self._set_event)

    def stop(self) -> None:
        """Stop claiming, let deliveries in flight finish within ``grace``, then return from :meth:`run`."""
        self._stopping = True
        self._call_soon(self._set_event)

    def _call_soon(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None:  # not running: run() looks at the stop flag before it sleeps
            return
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop has just closed
            pass

    def _set_event(self) -> None:
        if self._event is not None:
            self._event.set()

    # --- the loop ------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver until :meth:`stop`. Needs the asyncio backend (it is woken from other threads)."""
        self._loop = asyncio.get_running_loop()
        self._event = anyio.Event()
        self.started.set()
        try:
            async with anyio.create_task_group() as tg:
                while not self._stopping:
                    await self._sleep(await self._claim_some(tg))
                await self._claim_some(tg)  # a last look: what was queued just before the stop goes out now
                with anyio.move_on_after(self.grace):
                    while self._inflight:
                        await self._sleep(None)
                tg.cancel_scope.cancel()
        finally:
            self._loop = None
            with anyio.CancelScope(shield=True):
                await self._close_channels()

    async def _claim_some(self, tg: anyio.abc.TaskGroup) -> float | None:
        """Start deliveries for what is due; return how long to sleep (``None``: until woken)."""
        free = self.concurrency - len(self._inflight)
        if free <= 0:
            return None  # a finished delivery wakes the loop
        try:
            claimed = await self.outbox.claim(
                self.worker_id, limit=free, lease=self.lease, channels=list(self.channels), now=self.clock()
            )
            if claimed:
                for entry in claimed:
                    self._inflight.add(entry.id)
                    tg.start_soon(self._deliver, entry)
                return 0.0
            await self._housekeeping()
            due = await self.outbox.next_due(list(self.channels))
        except Exception:
            logger.exception("notify: the outbox failed; trying again in %ss", self.error_pause)
            return self.error_pause
        return self.idle_poll if due is None else max(0.01, min(due - self.clock(), self.idle_poll))

    async def _sleep(self, seconds: float | None) -> None:
        assert self._event is not None
        if seconds == 0.0:
            return
        with anyio.move_on_after(seconds):  # None: no deadline
            await self._event.wait()
        self._event = anyio.Event()

    async def _housekeeping(self) -> None:
        now = self.clock()
        if now - self._last_purge >= self.purge_every:
            self._last_purge = now
            purged = await self.outbox.purge_delivered(now - self.retain_delivered)
            if purged:
                logger.info("notify: purged %d delivered notification(s)", purged)

    # --- one delivery ----------------------------------------------------------------

    async def _deliver(self, entry: OutboxEntry) -> None:
        failure: DeliveryError | None = DeliveryError("interrupted: the hub stopped during delivery")
        try:
            try:
                failure = await self._attempt(entry)
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await self._settle(entry, failure, True)
                raise
            with anyio.CancelScope(shield=True):
                await self._settle(entry, failure, False)
        finally:
            saturated = len(self._inflight) >= self.concurrency
            self._inflight.discard(entry.id)
            # Wake the loop when it waits for a free slot or the last delivery, or when a retry
            # moved the entry's due time earlier than the lease expiry it sleeps until.
            if saturated or self._stopping or failure is not None:
                self._set_event()

    async def _attempt(self, entry: OutboxEntry) -> DeliveryError | None:
        delivery = Delivery(
            entry.id, entry.channel, entry.idempotency_key, entry.payload.encode(), entry.attempts
        )
        try:
            with anyio.fail_after(self.delivery_timeout):
                await self.channels[entry.channel].send(delivery)
        except DeliveryError as exc:
            return exc
        except TimeoutError:
            return DeliveryError(f"{entry.channel}: no answer within {self.delivery_timeout:g}s")
        except Exception as exc:
            logger.exception("notify: channel %s failed on notification %s", entry.channel, entry.id)
            return DeliveryError(f"{entry.channel}: {type(exc).__name__}")
        return None

    async def _settle(self, entry: OutboxEntry, failure: DeliveryError | None, interrupted: bool) -> None:
        try:
            if failure is None:
                await self.outbox.mark_delivered(entry.id)
            elif interrupted:
                await self.outbox.schedule_retry(
                    entry.id, worker=self.worker_id, error=str(failure), next_attempt_at=self.clock()
                )
            elif failure.permanent or entry.attempts >= self.retry.max_attempts:
                await self.outbox.dead_letter(entry.id, worker=self.worker_id, error=str(failure))
                logger.error(
                    "notify: notification %s to %s dead-lettered after %d attempt(s): %s",
                    entry.idempotency_key,
                    entry.channel,
                    entry.attempts,
                    failure,
                )
            else:
                delay = backoff(entry.attempts, self.retry, retry_after=failure.retry_after, rand=self.rand)
                await self.outbox.schedule_retry(
                    entry.id, worker=self.worker_id, error=str(failure), next_attempt_at=self.clock() + delay
                )
                logger.warning(
                    "notify: attempt %d of notification %s to %s failed, next in %.1fs: %s",
                    entry.attempts,
                    entry.idempotency_key,
                    entry.channel,
                    delay,
                    failure,
                )
        except Exception:  # the lease runs out and the entry is sent again: at least once
            logger.exception("notify: could not record the delivery state of notification %s", entry.id)

    async def _close_channels(self) -> None:
        for name, channel in self.channels.items():
            try:
                await channel.aclose()
            except Exception:
                logger.exception("notify: channel %s failed to close", name)


class WorkerThread:
    """Runs a :class:`DeliveryWorker` on a daemon thread with its own asyncio loop."""

    def __init__(self, worker: DeliveryWorker) -> None:
        self.worker = worker
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread and return once the worker runs (blocking: call from a worker thread)."""
        self._thread = threading.Thread(target=self._main, name="mcpea-notify", daemon=True)
        self._thread.start()
        if not self.worker.started.wait(timeout):
            raise RuntimeError("the notification worker did not start")

    def _main(self) -> None:
        try:
            anyio.run(self.worker.run, backend="asyncio")
        except Exception:
            logger.exception("notify: the delivery worker stopped on an error")

    def wake(self) -> None:
        self.worker.wake()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the worker and wait for its thread (blocking); ``False``: still running after ``timeout``."""
        self.worker.stop()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
