"""What the SQLite outbox promises beyond the contract: WAL, owner-only file, several connections, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import anyio
import pytest

from mcpea_core.notify.outbox import OutboxEntry
from mcpea_core.notify.sqlite_outbox import SQLiteOutbox
from notify.support import make_entry

pytestmark = pytest.mark.anyio


async def test_a_new_file_is_owner_only_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "state" / "notify.sqlite3"
    outbox = SQLiteOutbox(path)
    await outbox.open()
    await outbox.open()  # idempotent
    await outbox.enqueue([make_entry("a")])
    await outbox.close()
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_it_can_share_the_audit_database_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    with sqlite3.connect(path) as other:  # a table already in the file, as the audit store's would be
        other.execute("CREATE TABLE audit_records (seq INTEGER PRIMARY KEY)")
    outbox = SQLiteOutbox(path)
    await outbox.open()
    await outbox.enqueue([make_entry("a")])
    assert await outbox.counts() == {"pending": 1, "delivered": 0, "dead": 0}
    await outbox.close()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"audit_records", "notify_outbox"} <= tables


async def test_entries_survive_a_new_outbox_object(tmp_path: Path) -> None:
    first = SQLiteOutbox(tmp_path / "o.sqlite3")
    await first.open()
    await first.enqueue([make_entry("a"), make_entry("b")])
    (claimed, _) = await first.claim("w1", limit=2, lease=30)
    await first.schedule_retry(claimed.id, worker="w1", error="HTTP 503", next_attempt_at=0)
    await first.close()

    second = SQLiteOutbox(tmp_path / "o.sqlite3")
    await second.open()
    entries = {e.id: e for e in await second.list_entries("pending")}
    await second.close()
    assert set(entries) == {"id-a-webhook:ops", "id-b-webhook:ops"}
    assert entries[claimed.id].last_error == "HTTP 503" and entries[claimed.id].attempts == 1


def test_connections_in_several_threads_never_claim_one_entry_twice(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"

    async def fill() -> None:
        outbox = SQLiteOutbox(path)
        await outbox.open()
        await outbox.enqueue([make_entry(f"c{i}") for i in range(200)])
        await outbox.close()

    anyio.run(fill)
    taken: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        async def claim_all() -> None:
            outbox = SQLiteOutbox(path)  # its own connection, as another process would have
            await outbox.open()
            while batch := await outbox.claim(name, limit=7, lease=60):
                with lock:
                    taken.extend(e.id for e in batch)
            await outbox.close()

        anyio.run(claim_all)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(taken) == 200 and len(set(taken)) == 200


CRASHING_WORKER = textwrap.dedent(
    """
    import os, signal, sys, anyio
    from mcpea_core.notify.sqlite_outbox import SQLiteOutbox
    from notify.support import make_entry

    async def main():
        outbox = SQLiteOutbox(sys.argv[1])
        await outbox.open()
        await outbox.enqueue([make_entry("crash-1"), make_entry("crash-2")])
        claimed = await outbox.claim("doomed-worker", limit=10, lease=0.5)
        print(len(claimed), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # dies mid-delivery, leases held

    anyio.run(main)
    """
)


async def test_a_worker_killed_mid_delivery_leaves_entries_to_the_next(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent.parent), *sys.path]))
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_WORKER, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout.strip() == "2"

    outbox = SQLiteOutbox(path)
    await outbox.open()
    leased = await outbox.list_entries("pending")
    assert {e.lease_owner for e in leased} == {"doomed-worker"}
    lease_end = max(e.lease_until or 0 for e in leased)
    assert await outbox.claim("next-worker", limit=10, lease=30, now=lease_end - 0.01) == []
    deadline = time.monotonic() + 10
    claimed: list[OutboxEntry] = []
    while not claimed and time.monotonic() < deadline:
        claimed = await outbox.claim("next-worker", limit=10, lease=30)
        await anyio.sleep(0.02)
    await outbox.close()
    assert {e.idempotency_key for e in claimed} == {e.idempotency_key for e in leased}
    assert all(e.attempts == 2 for e in claimed)
