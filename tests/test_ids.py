"""Ids for calls, records and notifications: UUIDv7, time first, unique, distinct after a fork."""

from __future__ import annotations

import os
import time
import uuid

from mcpea_core._ids import new_id, record_id


def next_millisecond() -> None:
    """Wait (a bounded while) until the clock has moved on to the next millisecond."""
    now, deadline = time.time_ns() // 1_000_000, time.monotonic() + 1.0
    while time.time_ns() // 1_000_000 == now and time.monotonic() < deadline:
        pass


def test_ids_differ_in_a_forked_child() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report a call id and a record id, and leave at once
        os.write(write, (new_id() + record_id()).encode())
        os._exit(0)
    os.close(write)
    reported = os.read(read, 128).decode()
    os.close(read)
    os.waitpid(pid, 0)
    child, child_record = reported[:32], reported[32:]
    mine = {new_id() for _ in range(1000)}
    assert len(mine) == 1000 and all(len(i) == 32 and int(i, 16) >= 0 for i in mine)
    assert child not in mine and len(child) == 32
    # A record id's random part is drawn per process: the child's is its own.
    assert len(child_record) == 32 and child_record[13:25] != record_id()[13:25]


def test_ids_are_uuid7_and_grow_with_time() -> None:
    """Time first (so the stores' id indexes grow at one end), the rest unguessable."""
    before = time.time_ns() // 1_000_000
    first = new_id()
    next_millisecond()
    second = new_id()
    assert uuid.UUID(hex=first).version == 7 and uuid.UUID(hex=first).variant == uuid.RFC_4122
    assert before <= int(first[:12], 16) < int(second[:12], 16) <= time.time_ns() // 1_000_000
    assert first < second
    assert len({new_id()[12:] for _ in range(1000)}) == 1000  # unique without the time part


def test_record_ids_are_uuid7_unique_and_grow_with_time() -> None:
    ids = [record_id() for _ in range(5000)]
    next_millisecond()
    later = record_id()
    assert len(set(ids)) == 5000 and all(uuid.UUID(hex=i).version == 7 for i in [*ids, later])
    assert all(len(i) == 32 and i == i.lower() for i in ids)
    assert sorted(ids) == ids  # in order within a millisecond too (the counter)
    assert ids[-1] < later
