"""The Outbox contract, run against every implementation (memory, SQLite)."""

from __future__ import annotations

import dataclasses

import anyio
import pytest

from mcpea_core.notify.outbox import Outbox, idempotency_key
from notify.support import make_entry

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000.0


def test_idempotency_key_depends_on_call_and_channel_only() -> None:
    key = idempotency_key("call-1", "webhook:ops")
    assert key == idempotency_key("call-1", "webhook:ops")
    assert key.startswith("mcpea-call-1-")
    assert key != idempotency_key("call-1", "log:audit")
    assert key != idempotency_key("call-2", "webhook:ops")


async def test_enqueue_skips_known_idempotency_keys(outbox: Outbox) -> None:
    assert await outbox.enqueue([make_entry("a", at=T0), make_entry("b", at=T0)]) == 2
    again = dataclasses.replace(make_entry("a", at=T0), id="another-id")
    assert await outbox.enqueue([again]) == 0
    assert [e.id for e in await outbox.list_entries()] == ["id-a-webhook:ops", "id-b-webhook:ops"]
    assert await outbox.counts() == {"pending": 2, "delivered": 0, "dead": 0}


async def test_claim_takes_due_entries_oldest_first_and_counts_the_attempt(outbox: Outbox) -> None:
    await outbox.enqueue(
        [
            make_entry("late", at=T0, next_attempt_at=T0 + 60),
            make_entry("second", at=T0, next_attempt_at=T0 + 2),
            make_entry("first", at=T0, next_attempt_at=T0 + 1),
        ]
    )
    claimed = await outbox.claim("w1", limit=10, lease=30, now=T0 + 5)
    assert [e.id for e in claimed] == ["id-first-webhook:ops", "id-second-webhook:ops"]
    assert all(e.attempts == 1 and e.lease_owner == "w1" and e.lease_until == T0 + 35 for e in claimed)
    assert await outbox.claim("w1", limit=10, lease=30, now=T0 + 5) == []


async def test_claim_respects_limit_and_channels(outbox: Outbox) -> None:
    await outbox.enqueue([make_entry(str(i), "webhook:ops", at=T0 + i) for i in range(3)])
    await outbox.enqueue([make_entry("x", "slack:#payments", at=T0)])
    assert len(await outbox.claim("w1", limit=2, lease=30, channels=["webhook:ops"], now=T0 + 10)) == 2
    rest = await outbox.claim("w1", limit=10, lease=30, channels=["webhook:ops", "log:audit"], now=T0 + 10)
    assert [e.channel for e in rest] == ["webhook:ops"]
    assert await outbox.next_due(["slack:#payments"]) == T0
    assert await outbox.next_due(["log:audit"]) is None
    assert await outbox.claim("w1", limit=10, lease=30, channels=[], now=T0 + 10) == []
    assert await outbox.next_due([]) is None


async def test_a_leased_entry_is_not_claimed_again_until_the_lease_expires(outbox: Outbox) -> None:
    await outbox.enqueue([make_entry("a", at=T0)])
    (first,) = await outbox.claim("w1", limit=1, lease=30, now=T0)
    assert await outbox.claim("w2", limit=1, lease=30, now=T0 + 29) == []
    assert await outbox.next_due() == T0 + 30
    (taken,) = await outbox.claim("w2", limit=1, lease=30, now=T0 + 31)
    assert taken.id == first.id and taken.attempts == 2 and taken.lease_owner == "w2"
    assert taken.idempotency_key == first.idempotency_key
    # The first worker lost its lease: its late verdicts change nothing.
    assert not await outbox.schedule_retry(first.id, worker="w1", error="late", next_attempt_at=T0 + 99)
    assert not await outbox.dead_letter(first.id, worker="w1", error="late")
    (current,) = await outbox.list_entries()
    assert current.lease_owner == "w2" and current.last_error is None


async def test_schedule_retry_releases_the_lease_and_records_the_error(outbox: Outbox) -> None:
    await outbox.enqueue([make_entry("a", at=T0)])
    (entry,) = await outbox.claim("w1", limit=1, lease=30, now=T0)
    assert await outbox.schedule_retry(entry.id, worker="w1", error="HTTP 500", next_attempt_at=T0 + 4)
    (stored,) = await outbox.list_entries("pending")
    assert (stored.attempts, stored.last_error, stored.next_attempt_at) == (1, "HTTP 500", T0 + 4)
    assert stored.lease_owner is None and stored.lease_until is None
    assert await outbox.next_due() == T0 + 4
    assert await outbox.claim("w1", limit=1, lease=30, now=T0 + 3) == []
    (again,) = await outbox.claim("w1", limit=1, lease=30, now=T0 + 4)
    assert again.attempts == 2


async def test_mark_delivered_and_dead_letter_are_final(outbox: Outbox) -> None:
    await outbox.enqueue([make_entry("a", at=T0), make_entry("b", at=T0)])
    a, b = await outbox.claim("w1", limit=2, lease=30, now=T0)
    assert await outbox.mark_delivered(a.id)
    assert await outbox.dead_letter(b.id, worker="w1", error="HTTP 410 Gone")
    assert not await outbox.mark_delivered(a.id)
    assert not await outbox.mark_delivered(b.id)
    assert not await outbox.schedule_retry(b.id, worker="w1", error="x", next_attempt_at=T0)
    assert await outbox.counts() == {"pending": 0, "delivered": 1, "dead": 1}
    (dead,) = await outbox.list_entries("dead")
    assert dead.last_error == "HTTP 410 Gone" and dead.lease_owner is None
    assert [e.id for e in await outbox.list_entries("delivered")] == [a.id]
    assert await outbox.claim("w1", limit=10, lease=30, now=T0 + 999) == []
    assert await outbox.next_due() is None


async def test_purge_deletes_old_delivered_entries_only(outbox: Outbox) -> None:
    await outbox.enqueue(
        [make_entry("old", at=T0), make_entry("new", at=T0 + 100), make_entry("open", at=T0)]
    )
    for entry in await outbox.claim("w1", limit=3, lease=30, now=T0 + 100):
        if entry.id != "id-open-webhook:ops":
            await outbox.mark_delivered(entry.id)
    assert await outbox.purge_delivered(T0 + 50) == 1
    assert sorted(e.id for e in await outbox.list_entries()) == ["id-new-webhook:ops", "id-open-webhook:ops"]


async def test_concurrent_claimers_never_share_an_entry(outbox: Outbox) -> None:
    await outbox.enqueue([make_entry(f"c{i}", at=T0) for i in range(60)])
    taken: dict[str, list[str]] = {}

    async def claimer(worker: str) -> None:
        while batch := await outbox.claim(worker, limit=3, lease=30, now=T0):
            taken.setdefault(worker, []).extend(e.id for e in batch)

    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(claimer, f"w{n}")
    ids = [i for batch in taken.values() for i in batch]
    assert len(ids) == 60 and len(set(ids)) == 60
