"""The durable outbox: the contract between the tool-call wrapper, the delivery worker and a store.

The wrapper *enqueues* one :class:`OutboxEntry` per (call, channel) after a
call ends; the worker *claims* due entries with a lease, delivers them and
then marks each *delivered*, *schedules a retry* (with the error) or
*dead-letters* it. Delivery is at least once: an entry whose worker died
mid-delivery is claimed again once its lease runs out, and the receiver
deduplicates by the entry's idempotency key, which never changes.

Rules every :class:`Outbox` implementation keeps (``tests/notify`` holds
the contract tests a new store runs):

* ``enqueue`` ignores an entry whose ``idempotency_key`` is already stored,
  so enqueuing the same call's notifications twice sends them once.
* ``claim`` atomically picks ``pending`` entries that are due
  (``next_attempt_at <= now``) and not leased (no lease, or an expired one),
  leases them to ``worker`` until ``now + lease`` and counts the attempt
  (``attempts + 1``). Two workers, in one process or several, never hold
  the same entry at once.
* ``schedule_retry`` and ``dead_letter`` apply only while ``worker`` holds
  the entry's lease (a worker whose lease expired and was taken over
  changes nothing) and release the lease; ``mark_delivered`` applies to any
  ``pending`` entry.
* Times are seconds since the epoch (``time.time()``); an entry's
  ``payload`` is the JSON text that is sent, byte for byte, on every attempt.

**Kept with the audit trail.** The SQLite and PostgreSQL audit stores keep
this table in their own database (:meth:`~mcpea_core.audit.store.OutboxStore.notify_outbox`).
Then the notification plugin does not enqueue a call's entries itself: it
leaves them on the call as :class:`CallNotifications` (``call.extras[OUTBOX_EXTRA]``)
and the audit plugin commits them in the same transaction as the call's end
record, so a call's notifications exist exactly when its end record does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "OUTBOX_EXTRA",
    "STATUSES",
    "CallNotifications",
    "Outbox",
    "OutboxEntry",
    "Status",
    "idempotency_key",
]

Status = Literal["pending", "delivered", "dead"]
STATUSES: tuple[Status, ...] = ("pending", "delivered", "dead")


def idempotency_key(call_id: str, channel: str) -> str:
    """The key receivers deduplicate by: from the call id and the channel, so stable across retries."""
    digest = hashlib.sha256(f"{call_id}\x00{channel}".encode()).hexdigest()[:16]
    return f"mcpea-{call_id}-{digest}"


@dataclass(frozen=True)
class OutboxEntry:
    """One notification to one channel, and where its delivery stands.

    ``lease_owner``/``lease_until`` say which worker is delivering it right
    now (``None`` when none is).
    """

    id: str
    idempotency_key: str
    channel: str
    payload: str
    created_at: float
    next_attempt_at: float
    attempts: int = 0
    status: Status = "pending"
    last_error: str | None = None
    lease_owner: str | None = None
    lease_until: float | None = None


def _nothing() -> None:
    return None


OUTBOX_EXTRA = "outbox"
"""The key of a call's :class:`CallNotifications` in ``ToolCall.extras``."""


@dataclass(frozen=True)
class CallNotifications:
    """A finished call's outbox entries, handed to the audit plugin to commit with the end record.

    ``committed`` is called once they are (the notification plugin wakes its
    delivery worker with it); if the end record cannot be written, neither
    are they.
    """

    entries: tuple[OutboxEntry, ...]
    committed: Callable[[], None] = _nothing


@runtime_checkable
class Outbox(Protocol):
    """Where notifications wait for delivery; no method blocks the event loop that awaits it."""

    async def open(self) -> None:
        """Connect and create the schema; idempotent."""

    async def close(self) -> None:
        """Release connections; idempotent."""

    async def enqueue(self, entries: Sequence[OutboxEntry]) -> int:
        """Store new entries, skipping those whose idempotency key is stored; how many were new."""

    async def claim(
        self,
        worker: str,
        *,
        limit: int,
        lease: float,
        channels: Collection[str] | None = None,
        now: float | None = None,
    ) -> list[OutboxEntry]:
        """Lease up to ``limit`` due entries (of ``channels``, if given) to ``worker``, oldest due first."""

    async def mark_delivered(self, entry_id: str) -> bool:
        """The entry reached its channel; ``False`` if it was not pending."""

    async def schedule_retry(self, entry_id: str, *, worker: str, error: str, next_attempt_at: float) -> bool:
        """The attempt failed: release the lease, try again at ``next_attempt_at``; ``False`` if not held."""

    async def dead_letter(self, entry_id: str, *, worker: str, error: str) -> bool:
        """Give up on the entry (status ``dead``); ``False`` if ``worker`` does not hold it."""

    async def next_due(self, channels: Collection[str] | None = None) -> float | None:
        """When the earliest pending entry (of ``channels``) can next be claimed; ``None``: there is none."""

    async def list_entries(self, status: Status | None = None, *, limit: int = 100) -> list[OutboxEntry]:
        """Entries with ``status`` (any when ``None``), oldest first."""

    async def counts(self) -> dict[Status, int]:
        """How many entries have each status (every status present, zero included)."""

    async def purge_delivered(self, before: float) -> int:
        """Delete delivered entries created before ``before``; how many were deleted."""
