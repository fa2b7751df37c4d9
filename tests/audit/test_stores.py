"""The contract every audit store keeps: SQLite, JSON Lines and PostgreSQL alike."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mcpea_core.audit import AuditStoreError, RecordFilter, open_store, store_from_url
from mcpea_core.audit._writer import ThreadedStore
from mcpea_core.audit.record import GENESIS_HASH
from mcpea_core.audit.store import AuditStore

from ._support import STORE_KINDS, make_record

pytestmark = pytest.mark.anyio
every_store = pytest.mark.parametrize("store_url", STORE_KINDS, indirect=True)


async def collect(store: AuditStore, filters: RecordFilter | None = None) -> list[str]:
    return [f"{r.seq}:{r.call_id}:{r.phase}" async for r in store.iter_records(filters)]


@every_store
async def test_appends_are_sealed_into_one_chain(store: AuditStore) -> None:
    accepted = [await store.append_start(make_record("c1")), await store.append_end(make_record("c1", "end"))]
    start, end = stored = [r async for r in store.iter_records()]
    assert (start.seq, start.prev_hash) == (1, GENESIS_HASH)
    assert (end.seq, end.prev_hash) == (2, start.hash)
    assert start.hash == start.compute_hash() and end.hash == end.compute_hash()
    assert [r.id for r in stored] == [r.id for r in accepted]
    if getattr(store, "appends_at_once", False):  # accepted into a journal: sealed when moved in
        assert [r.seq for r in accepted] == [0, 0]
    else:
        assert accepted == stored
    report = await store.verify()
    assert report.ok and report.complete and report.records == 2
    head = await store.head()
    assert head is not None and (head.seq, head.hash) == (2, end.hash)


@every_store
async def test_append_checks_the_phase(store: AuditStore) -> None:
    with pytest.raises(ValueError, match="append_start got a end record"):
        await store.append_start(make_record("c1", "end"))


@every_store
async def test_filters_select_records(store: AuditStore) -> None:
    await store.append_start(make_record("a", tool="t1", principal="p1"))
    await store.append_start(make_record("b", tool="t2", principal="p2"))
    await store.append_end(make_record("b", "end", tool="t2", principal="p2", outcome="tool_error"))
    await store.append_end(make_record("a", "end", tool="t1", principal="p1"))
    assert await collect(store, RecordFilter(call_id="a")) == ["1:a:start", "4:a:end"]
    assert await collect(store, RecordFilter(tool="t2", phase="end")) == ["3:b:end"]
    assert await collect(store, RecordFilter(outcome="tool_error")) == ["3:b:end"]
    assert await collect(store, RecordFilter(principal="p1", after_seq=1)) == ["4:a:end"]
    assert await collect(store, RecordFilter(limit=2)) == ["1:a:start", "2:b:start"]
    everything = [r async for r in store.iter_records()]
    middle = RecordFilter(since=everything[1].time, until=everything[3].time)
    assert await collect(store, middle) == [f"{r.seq}:{r.call_id}:{r.phase}" for r in everything[1:3]]


@every_store
async def test_listing_pages_through_many_records(store: AuditStore) -> None:
    import anyio

    async with anyio.create_task_group() as group:
        for i in range(1203):
            group.start_soon(store.append_start, make_record(f"c{i}"))
    listed = await collect(store)
    assert [int(item.split(":")[0]) for item in listed] == list(range(1, 1204))
    assert len(await collect(store, RecordFilter(limit=501))) == 501
    assert len(await collect(store, RecordFilter(after_seq=1000))) == 203


@every_store
async def test_many_concurrent_appends_share_commits_and_keep_the_chain(store: AuditStore) -> None:
    import anyio

    async def call(i: int) -> None:
        await store.append_start(make_record(f"call-{i}"))
        await store.append_end(make_record(f"call-{i}", "end"))

    async with anyio.create_task_group() as group:
        for i in range(300):
            group.start_soon(call, i)
    report = await store.verify()
    assert report.ok and report.complete and report.records == 600
    assert isinstance(store, ThreadedStore)
    assert store.stats.records == 600
    assert store.stats.commits < 600 / 4, store.stats  # group commit, not one transaction per record
    assert store.stats.largest_batch > 1


@every_store
async def test_an_unfinished_call_is_reported(store: AuditStore) -> None:
    started = await store.append_start(make_record("lost"))
    report = await store.verify()
    assert report.ok and not report.complete
    assert [(u.call_id, u.seq, u.id) for u in report.unfinished] == [("lost", 1, started.id)]


@every_store
async def test_a_store_reopened_continues_the_chain(store: AuditStore, store_url: str) -> None:
    await store.append_start(make_record("a"))
    await store.close()
    again = await open_store(store_url)
    try:
        await again.append_end(make_record("a", "end"))
        assert [r.seq async for r in again.iter_records(RecordFilter(phase="end"))] == [2]
        assert (await again.verify()).complete
    finally:
        await again.close()


@every_store
async def test_appending_to_a_closed_store_fails_cleanly(store: AuditStore) -> None:
    await store.close()
    with pytest.raises(AuditStoreError, match="not open"):
        await store.append_start(make_record("late"))
    await store.close()  # idempotent


@every_store
async def test_a_store_is_verified_without_opening_it_for_writing(store: AuditStore, store_url: str) -> None:
    await store.append_start(make_record("a"))
    checkpoint = await store.head()
    await store.append_end(make_record("a", "end"))
    await store.close()
    reader = store_from_url(store_url)
    try:
        assert checkpoint is not None
        report = await reader.verify(checkpoint=checkpoint)
        assert report.complete and report.records == 2
        assert len([r async for r in reader.iter_records()]) == 2
    finally:
        await reader.close()


async def test_stores_opened_and_closed_beside_a_long_lived_one_keep_its_locks(tmp_path: Path) -> None:
    """Several hubs in one process (embedding apps, test suites) and `mcpea` subprocesses share one file.

    Opening and closing the database file outside SQLite would drop every SQLite lock this process
    holds on it; another process then believes it is the last user and deletes the WAL under us.
    """
    url = f"sqlite://{tmp_path / 'shared.sqlite3'}"
    first = await open_store(url)
    try:
        await first.append_start(make_record("a"))
        other = await open_store(url)
        await other.append_start(make_record("b"))
        await other.close()
        worker = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("_append_worker.py")), url, "hub-x", "3"],
            input="go\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert worker.returncode == 0, worker.stderr
        await first.append_end(make_record("a", "end"))
        report = await first.verify()
        assert report.ok and report.records == 9
    finally:
        await first.close()
    assert stat.S_IMODE((tmp_path / "shared.sqlite3").stat().st_mode) == 0o600


_NONE_ADAPTER_PROBE = """
import sqlite3, sys
if sys.argv[1] == "app-first":  # an application registered its own before the store was imported
    sqlite3.register_adapter(type(None), lambda value: "app's")
import mcpea_core.audit.sqlite  # noqa: F401
conn = sqlite3.connect(":memory:")
adapter = sqlite3.adapters.get((type(None), sqlite3.PrepareProtocol))
print(getattr(adapter, "__name__", None), conn.execute("SELECT ? IS NULL, ?", (None, None)).fetchone())
"""


_STORE_S_ADAPTER = "_null" if sys.version_info < (3, 12) else "None"  # 3.12+ binds None cheaply itself


@pytest.mark.parametrize(
    ("order", "bound"),
    [("store-only", f"{_STORE_S_ADAPTER} (1, None)"), ("app-first", "<lambda> (0, \"app's\")")],
)
def test_the_sqlite_store_binds_none_as_null_and_keeps_an_application_s_own_adapter(
    order: str, bound: str
) -> None:
    """On Python 3.11 the store gives ``None`` a cheap sqlite3 adapter (a shared registry): NULL
    stays NULL, and an adapter the application registered first is left alone."""
    probe = subprocess.run(
        [sys.executable, "-c", _NONE_ADAPTER_PROBE, order], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == bound
