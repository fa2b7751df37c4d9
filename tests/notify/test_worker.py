"""The delivery worker on its own: backoff, sleeping until due, timeouts, stopping mid-delivery."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

import anyio
import pytest

from mcpea_core.notify.channels import Delivery, DeliveryError
from mcpea_core.notify.memory_outbox import MemoryOutbox
from mcpea_core.notify.outbox import OutboxEntry
from mcpea_core.notify.settings import RetrySettings
from mcpea_core.notify.worker import DeliveryWorker, backoff
from notify.support import eventually, make_entry

pytestmark = pytest.mark.anyio

FAST = RetrySettings(max_attempts=3, base_backoff=0.01, max_backoff=0.05)


class CountingOutbox(MemoryOutbox):
    def __init__(self) -> None:
        super().__init__()
        self.claims = 0

    async def claim(
        self,
        worker: str,
        *,
        limit: int,
        lease: float,
        channels: Collection[str] | None = None,
        now: float | None = None,
    ) -> list[OutboxEntry]:
        self.claims += 1
        return await super().claim(worker, limit=limit, lease=lease, channels=channels, now=now)


class Recorder:
    """A channel that records deliveries; ``fail`` scripts its first answers; ``block`` makes it hang."""

    def __init__(self, fail: list[DeliveryError | Exception] | None = None, *, block: bool = False) -> None:
        self.sent: list[Delivery] = []
        self.fail = list(fail or [])
        self.block = block
        self.closed = False
        self.entered = anyio.Event()

    async def send(self, delivery: Delivery) -> None:
        self.sent.append(delivery)
        self.entered.set()
        if self.block:
            await anyio.sleep_forever()
        if self.fail:
            raise self.fail.pop(0)

    async def aclose(self) -> None:
        self.closed = True


def worker(
    outbox: MemoryOutbox, channel: Recorder, retry: RetrySettings = FAST, **options: Any
) -> DeliveryWorker:
    defaults: dict[str, Any] = {"lease": 5.0, "delivery_timeout": 2.0, "grace": 0.2}
    return DeliveryWorker(outbox, {"webhook:ops": channel}, retry, **(defaults | options))


def test_backoff_is_capped_exponential_with_jitter() -> None:
    retry = RetrySettings(base_backoff=2, max_backoff=30)
    assert [backoff(n, retry, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5, 6, 50)] == [2, 4, 8, 16, 30, 30, 30]
    assert [backoff(n, retry, rand=lambda: 0.0) for n in (1, 2, 3)] == [1, 2, 4]
    assert backoff(1, retry, retry_after=12, rand=lambda: 0.0) == 12
    assert backoff(1, retry, retry_after=3600, rand=lambda: 0.0) == 30


def test_the_lease_must_outlast_a_delivery() -> None:
    with pytest.raises(ValueError, match="lease must outlast"):
        DeliveryWorker(MemoryOutbox(), {}, lease=10, delivery_timeout=10)


async def test_sleeps_until_woken_or_due_instead_of_polling() -> None:
    outbox, channel = CountingOutbox(), Recorder()
    w = worker(outbox, channel)
    async with anyio.create_task_group() as tg:
        tg.start_soon(w.run)
        await eventually(lambda: outbox.claims == 1)  # idle now: nothing pending
        await outbox.enqueue([make_entry("now")])
        w.wake()
        await eventually(lambda: len(channel.sent) == 1)
        await outbox.enqueue([make_entry("later", next_attempt_at=time.time() + 0.4)])
        w.wake()
        started = time.monotonic()
        await eventually(lambda: len(channel.sent) == 2)
        waited = time.monotonic() - started
        w.stop()
    assert 0.3 < waited < 5
    assert outbox.claims <= 8, f"{outbox.claims} claims: the worker is polling"
    assert channel.closed
    assert await outbox.counts() == {"pending": 0, "delivered": 2, "dead": 0}


async def test_failures_are_retried_then_delivered_with_one_key() -> None:
    outbox = MemoryOutbox()
    channel = Recorder([DeliveryError("HTTP 502"), RuntimeError("bug in the channel")])
    await outbox.enqueue([make_entry("a")])
    w = worker(outbox, channel)
    async with anyio.create_task_group() as tg:
        tg.start_soon(w.run)
        with anyio.fail_after(3):  # retries come after the backoff, not after the 5 s lease
            await eventually(lambda: _counts(outbox, delivered=1))
        w.stop()
    assert [d.attempt for d in channel.sent] == [1, 2, 3]
    assert len({d.idempotency_key for d in channel.sent}) == 1


async def _counts(outbox: MemoryOutbox, **expected: int) -> bool:
    counts = await outbox.counts()
    return all(counts[k] == v for k, v in expected.items())  # type: ignore[index]


async def test_a_hanging_channel_times_out_and_is_retried() -> None:
    outbox, channel = MemoryOutbox(), Recorder(block=True)
    await outbox.enqueue([make_entry("a")])
    retry = RetrySettings(max_attempts=2, base_backoff=0.01, max_backoff=0.01)
    w = worker(outbox, channel, retry, delivery_timeout=0.1, lease=1.0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(w.run)
        await eventually(lambda: _counts(outbox, dead=1))
        w.stop()
    (dead,) = await outbox.list_entries("dead")
    assert dead.attempts == 2 and dead.last_error == "webhook:ops: no answer within 0.1s"


async def test_stop_interrupts_a_stuck_delivery_and_releases_it() -> None:
    outbox, channel = MemoryOutbox(), Recorder(block=True)
    await outbox.enqueue([make_entry("a")])
    w = worker(outbox, channel, grace=0.1)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(w.run)
            await channel.entered.wait()
            w.stop()
    (entry,) = await outbox.list_entries("pending")
    assert entry.lease_owner is None and entry.last_error == "interrupted: the hub stopped during delivery"
    assert entry.next_attempt_at <= time.time()
    assert channel.closed


async def test_stop_before_run_returns_at_once() -> None:
    w = worker(MemoryOutbox(), Recorder())
    w.stop()
    with anyio.fail_after(5):
        await w.run()


async def test_a_full_worker_picks_up_more_as_deliveries_finish() -> None:
    outbox, channel = MemoryOutbox(), Recorder()
    await outbox.enqueue([make_entry(f"e{i}") for i in range(5)])
    w = worker(outbox, channel, concurrency=1)
    async with anyio.create_task_group() as tg:
        tg.start_soon(w.run)
        await eventually(lambda: _counts(outbox, delivered=5))
        w.stop()
    assert len(channel.sent) == 5


class Gate(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.open = anyio.Event()

    async def send(self, delivery: Delivery) -> None:
        await super().send(delivery)
        await self.open.wait()


async def test_stop_lets_a_delivery_in_flight_finish_within_the_grace() -> None:
    outbox, channel = MemoryOutbox(), Gate()
    await outbox.enqueue([make_entry("a")])
    w = worker(outbox, channel, grace=5.0)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(w.run)
            await channel.entered.wait()
            w.stop()
            channel.open.set()
    assert await outbox.counts() == {"pending": 0, "delivered": 1, "dead": 0}


async def test_what_was_queued_just_before_the_stop_still_goes_out() -> None:
    outbox, channel = CountingOutbox(), Recorder()
    w = worker(outbox, channel)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(w.run)
            await eventually(lambda: outbox.claims == 1)  # idle, sleeping
            await outbox.enqueue([make_entry("last-minute")])  # no wake: the stop comes first
            w.stop()
    assert await outbox.counts() == {"pending": 0, "delivered": 1, "dead": 0}


async def test_entries_that_appear_without_a_wake_are_found_within_the_idle_poll() -> None:
    outbox, channel = CountingOutbox(), Recorder()
    w = worker(outbox, channel, idle_poll=0.2)
    async with anyio.create_task_group() as tg:
        tg.start_soon(w.run)
        await eventually(lambda: outbox.claims == 1)  # idle: nothing pending, nothing due
        await outbox.enqueue([make_entry("from-another-process")])  # no wake(), as another hub would
        with anyio.fail_after(3):
            await eventually(lambda: len(channel.sent) == 1)
        w.stop()
