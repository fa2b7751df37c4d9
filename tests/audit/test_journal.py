"""SQLite's journal: records are durable once written to it, and none is lost when a hub dies."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from mcpea_core.audit import RecordFilter, open_store, store_from_url
from mcpea_core.audit._journal import Journal, encode, journal_paths, rejected_path
from mcpea_core.audit.record import AuditRecord, draft_of
from mcpea_core.audit.sqlite import SQLiteStore

from ._support import make_record

pytestmark = pytest.mark.anyio

# A hub stand-in: appends start and end records, says so, then waits to be killed.
KILLED_WRITER = textwrap.dedent(
    """
    import sys, threading, anyio
    from mcpea_core.audit import open_store, AuditRecord

    async def main(url, calls):
        store = await open_store(url)
        store._write_drafts = lambda *args: threading.Event().wait()  # a stuck disk: all stays journaled
        for n in range(calls):
            await store.append_start(AuditRecord(f"c{n}", "start", "t", "p", "killed", arguments={"n": n}))
            await store.append_end(AuditRecord(f"c{n}", "end", "t", "p", "killed", outcome="success"))
        print("accepted", flush=True)
        await anyio.sleep_forever()  # until the test kills it

    anyio.run(main, sys.argv[1], int(sys.argv[2]))
    """
)


def hold_writer(store: object) -> threading.Event:
    """Make the store's writer thread wait (at most 30 s) before each commit, until the event is set."""
    assert isinstance(store, SQLiteStore)
    release = threading.Event()
    write_drafts = store._write_drafts

    def held(*args: Any) -> None:
        release.wait(30)
        write_drafts(*args)

    store._write_drafts = held  # type: ignore[method-assign]
    return release


async def test_records_a_killed_hub_accepted_are_moved_in_by_the_next_store(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    url = f"sqlite://{path}"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, url, "40"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "accepted\n", proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert len(journal_paths(path)) == 1, "the killed hub left its journal"

    store = store_from_url(url)  # a reader (mcpea audit verify) moves it in before reading
    try:
        report = await store.verify()
        starts = [r.arguments async for r in store.iter_records(RecordFilter(phase="start"))]
    finally:
        await store.close()
    assert report.ok and report.complete and report.records == 80
    assert starts == [{"n": n} for n in range(40)], "in the order they were accepted"
    assert journal_paths(path) == []


async def test_a_live_hubs_journal_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    live = await open_store(f"sqlite://{path}")
    stuck = hold_writer(live)
    try:
        await live.append_start(make_record("running"))
        other = await open_store(f"sqlite://{path}")  # another hub opening the same file
        try:
            assert [r async for r in other.iter_records()] == [], "not moved in while its hub lives"
        finally:
            await other.close()
        assert len(journal_paths(path)) == 1
    finally:
        stuck.set()
        await live.close()  # its own writer moves it in and deletes it
    assert journal_paths(path) == []
    again = store_from_url(f"sqlite://{path}")
    try:
        assert [r.call_id async for r in again.iter_records()] == ["running"]
    finally:
        await again.close()


async def test_records_already_in_the_database_are_not_moved_in_twice(tmp_path: Path) -> None:
    """A hub can die after committing a batch and before emptying its journal."""
    path = tmp_path / "audit.sqlite3"
    first, second, third = make_record("a"), make_record("a", "end"), make_record("b")
    store = await open_store(f"sqlite://{path}")
    await store.append_start(first)
    await store.append_end(second)
    await store.close()
    left = path.with_name(f"{path.name}.pending-999999-dead")
    left.write_bytes(b"".join(encode(draft_of(r), ()) for r in (first, second, third)))

    store = await open_store(f"sqlite://{path}")
    try:
        stored = [r async for r in store.iter_records()]
        report = await store.verify()
    finally:
        await store.close()
    assert [r.id for r in stored] == [first.id, second.id, third.id]
    assert report.ok and report.records == 3
    assert not left.exists()


async def test_appends_wait_for_a_writer_that_falls_behind(tmp_path: Path) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    assert isinstance(store, SQLiteStore) and store.appends_at_once
    store.max_accepted, store.gather_delay = 8, 0.02
    waiting = []
    try:
        for n in range(60):  # one task that never yields on its own: only backpressure lets the writer in
            await store.append_start(make_record(f"c{n}"))
            waiting.append(len(store._accepted))
        assert max(waiting) <= store.max_accepted
        assert len([r async for r in store.iter_records()]) == 60
    finally:
        await store.close()


async def test_a_record_journaled_twice_is_recovered_once(tmp_path: Path) -> None:
    database = tmp_path / "a.sqlite3"
    left = database.with_name(f"{database.name}.pending-1-dead")
    line = encode(draft_of(make_record("twice")), ())
    left.write_bytes(line + line)
    store = await open_store(f"sqlite://{database}")
    try:
        records = [r async for r in store.iter_records(RecordFilter())]
        assert [r.call_id for r in records] == ["twice"] and not left.exists()
    finally:
        await store.close()


def test_a_journal_has_its_name_only_once_locked(tmp_path: Path) -> None:
    import fcntl

    journal = Journal(tmp_path / "a.sqlite3")
    journal.open()
    try:
        assert journal_paths(tmp_path / "a.sqlite3") == [journal.path]
        assert [p.name for p in tmp_path.iterdir()] == [journal.path.name]  # no half-made file left
        fd = os.open(journal.path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    finally:
        journal.close(delete=True)


async def test_records_after_a_rest_gather_into_one_commit(tmp_path: Path) -> None:
    """The first record after the writer went idle waits ``gather_delay`` too, like the rest."""
    import anyio

    store = store_from_url(f"sqlite://{tmp_path / 'a.sqlite3'}")
    assert isinstance(store, SQLiteStore)
    store.gather_delay = 0.3
    await store.open()
    try:
        for n in range(3):
            await store.append_start(make_record(f"c{n}"))
            await anyio.sleep(0.02)
        assert store.stats.commits == 0  # none of the three went in on its own
        with anyio.fail_after(5):
            while not store.stats.commits:
                await anyio.sleep(0.01)
        assert (store.stats.commits, store.stats.records) == (1, 3)
    finally:
        await store.close()


async def test_an_unwritable_journal_refuses_the_append(tmp_path: Path) -> None:
    from mcpea_core.audit import AuditStoreError

    store = await open_store(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    try:
        journal = store._journal  # type: ignore[attr-defined]
        assert isinstance(journal, Journal)
        os.close(journal._fd)  # the disk goes away under it
        journal._fd = os.open(os.devnull, os.O_RDONLY)
        with pytest.raises(AuditStoreError, match="could not write its journal"):
            await store.append_start(make_record("lost"))
    finally:
        await store.close()


@pytest.mark.parametrize(
    "arguments",
    [
        {"text": "héllo \u2028 \"q\"", "n": 1.5, "ok": True, "none": None},
        {"big": 2**70},  # beyond what orjson writes: the json module does
        {"nested": [{"a": [1]}]},
    ],
)
def test_journal_lines_decode_to_the_record_they_were_made_from(arguments: dict[str, object]) -> None:
    from mcpea_core.audit._journal import decode, encode

    record = make_record("c1", arguments=arguments)
    line = encode(draft_of(record), ())
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line).record == record


@pytest.mark.parametrize("prev_hash", ["0" * 64, "ab" * 32, 'not "hex"\\'])
def test_sealing_after_any_previous_hash_matches_the_record_hash(prev_hash: str) -> None:
    record = AuditRecord(
        "c1",
        "end",
        "stripe_create_refund",
        'user:"ada" é',
        "hub\n1",
        outcome="tool_error",
        error_message="card_declined \u2028",
        duration_ms=3,
        upstream={"request_ids": ["req_1"], "z": []},
        arguments=None,
    )
    sealed = record.seal(42, prev_hash)
    assert sealed.hash == sealed.compute_hash()
    assert (sealed.seq, sealed.prev_hash) == (42, prev_hash)


def test_notify_status_sees_the_notifications_a_killed_hub_left_in_its_journal(tmp_path: Path) -> None:
    import json

    import anyio
    from click.testing import CliRunner
    from notify.support import make_entry

    from mcpea_core.notify.cli import notify_group

    path = tmp_path / "audit.sqlite3"
    async def create() -> None:  # the database and its outbox table
        await (await open_store(f"sqlite://{path}")).close()

    anyio.run(create)
    end = make_record("paid", "end")
    left = path.with_name(f"{path.name}.pending-999999-dead")
    left.write_bytes(encode(draft_of(make_record("paid")), ()) + encode(draft_of(end), (make_entry("paid"),)))

    result = CliRunner().invoke(notify_group, ["status", "--outbox", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [row["call_id"] for row in report["pending"]] == ["paid"]
    assert not left.exists()


async def test_a_database_that_keeps_failing_makes_the_store_refuse_records_at_last(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mcpea_core.audit import AuditStoreError

    store = await open_store(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    assert isinstance(store, SQLiteStore)
    store.max_backlog = 3

    def failing(*args: Any) -> None:
        raise OSError("disk I/O error")

    store._write_drafts = failing  # type: ignore[method-assign]
    try:
        for n in range(3):
            await store.append_start(make_record(f"c{n}"))
        await store.head()  # the writer tried: all three wait
        with pytest.raises(AuditStoreError, match="has not taken records for a while"):
            await store.append_start(make_record("refused"))
        assert "cannot be moved into" in caplog.text
    finally:
        del store._write_drafts  # the database works again: closing moves the three in
        await store.close()
    again = store_from_url(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    try:
        assert [r.call_id async for r in again.iter_records()] == ["c0", "c1", "c2"]
    finally:
        await again.close()


async def test_a_reader_does_not_wait_forever_for_a_stuck_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from mcpea_core.audit import _writer

    monkeypatch.setattr(_writer, "_CATCH_UP_LIMIT", 0.3)
    store = await open_store(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    stuck = hold_writer(store)
    try:
        await store.append_start(make_record("waiting"))
        assert await store.head() is None, "nothing is in the database yet, and the reader says so"
        assert "is behind; reading what is there" in caplog.text
    finally:
        stuck.set()
        await store.close()


async def test_a_record_appended_twice_goes_in_once_and_the_rest_go_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The second copy fails the UNIQUE id: it used to hold back every later record until the hub stopped."""
    path = tmp_path / "audit.sqlite3"
    first, after = make_record("first"), make_record("after")
    store = await open_store(f"sqlite://{path}")
    assert isinstance(store, SQLiteStore)
    release = hold_writer(store)
    try:
        for record in (first, first, after):  # the same record twice, then one more, in one batch
            await store.append_start(record)
        release.set()
        stored = [r async for r in store.iter_records()]
        report = await store.verify()
    finally:
        release.set()
        await store.close()
    assert [r.call_id for r in stored] == ["first", "after"]
    assert report.ok and report.records == 2
    assert store.stats.set_aside == 0 and not rejected_path(path).exists()
    assert journal_paths(path) == []  # the journal was emptied: nothing waits
    assert f"record {first.id} of call first is in" in caplog.text and "not again" in caplog.text


async def test_a_record_that_can_never_be_stored_is_set_aside_and_the_rest_go_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``accept`` takes drafts unchecked (the plugin's are sound): a bad one must not stop the trail."""
    path = tmp_path / "audit.sqlite3"
    store = await open_store(f"sqlite://{path}")
    assert isinstance(store, SQLiteStore)
    bad = list(draft_of(make_record("bad")))
    bad[5] = ["not", "text"]  # principal
    release = hold_writer(store)
    try:
        store.accept(tuple(bad))
        await store.append_start(make_record("after"))
        release.set()
        stored = [r async for r in store.iter_records()]
    finally:
        release.set()
        await store.close()
    assert [r.call_id for r in stored] == ["after"]
    assert store.stats.set_aside == 1 and journal_paths(path) == []
    rejected = rejected_path(path)
    (line,) = rejected.read_text().splitlines()
    entry = json.loads(line)
    assert entry["record"][2] == "bad" and entry["record"][5] == ["not", "text"]
    assert entry["reason"] == "its principal must be text, not list"
    assert oct(rejected.stat().st_mode & 0o777) == "0o600"
    assert f"record {bad[0]} of call bad can never go into" in caplog.text and str(rejected) in caplog.text


async def test_a_broken_chain_head_sets_nothing_aside(tmp_path: Path) -> None:
    """When the database, not the record, is at fault, every record would fail: they wait instead."""
    path = tmp_path / "audit.sqlite3"
    store = await open_store(f"sqlite://{path}")
    assert isinstance(store, SQLiteStore)
    try:
        await store.append_start(make_record("c0"))
        await store.head()
        with sqlite3.connect(path) as conn:  # the head falls behind: the next seq is taken
            conn.execute("UPDATE audit_head SET seq = seq - 1")
        for n in (1, 2):
            await store.append_start(make_record(f"c{n}"))
        await store.head()  # the writer tried
        assert len(store._backlog) == 2 and store.stats.set_aside == 0
        assert not rejected_path(path).exists()
    finally:
        await store.close()


async def test_a_failure_that_may_pass_still_holds_the_records_back(tmp_path: Path) -> None:
    """Only what the database refuses for good is set aside: a locked or failing disk is retried."""
    path = tmp_path / "audit.sqlite3"
    store = await open_store(f"sqlite://{path}")
    assert isinstance(store, SQLiteStore)

    def failing(*args: Any) -> None:
        raise sqlite3.OperationalError("database is locked")

    store._write_drafts = failing  # type: ignore[method-assign]
    try:
        for n in range(2):
            await store.append_start(make_record(f"c{n}"))
        await store.head()  # the writer tried
        assert len(store._backlog) == 2 and store.stats.set_aside == 0
        assert not rejected_path(path).exists()
    finally:
        del store._write_drafts
        await store.close()


async def test_a_record_that_could_never_be_sealed_is_refused_naming_the_field(tmp_path: Path) -> None:
    from mcpea_core.audit import AuditStoreError

    store = await open_store(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    try:
        with pytest.raises(AuditStoreError, match="its arguments cannot be sealed: Out of range float"):
            await store.append_start(make_record("nan", arguments={"x": float("nan")}))
        with pytest.raises(AuditStoreError, match="its upstream cannot be sealed"):
            await store.append_start(make_record("obj", upstream={"request_ids": [object()]}))
        with pytest.raises(AuditStoreError, match="its principal must be text, not list"):
            await store.append_start(make_record("list", principal=["p"]))  # SQLite could not bind it
        with pytest.raises(AuditStoreError, match="its duration_ms is out of range"):
            await store.append_end(make_record("inf", "end", duration_ms=float("inf")))
        await store.append_start(make_record("fine"))
        assert [r.call_id async for r in store.iter_records()] == ["fine"]
    finally:
        await store.close()


async def test_a_dead_hubs_record_the_database_refuses_is_set_aside_and_the_store_opens(
    tmp_path: Path,
) -> None:
    """Recovery must not keep the hub from starting because of one record (here: no tool)."""
    database = tmp_path / "audit.sqlite3"
    broken, fine = make_record("broken"), make_record("fine")
    lines = [encode(draft_of(r), ()) for r in (broken, fine)]
    lines[0] = lines[0].replace(b'"example_echo_text"', b"null", 1)  # tool is NOT NULL in the table
    left = database.with_name(f"{database.name}.pending-1-dead")
    left.write_bytes(b"".join(lines))
    store = await open_store(f"sqlite://{database}")
    try:
        assert [r.call_id async for r in store.iter_records()] == ["fine"]
    finally:
        await store.close()
    assert not left.exists()
    (line,) = rejected_path(database).read_text().splitlines()
    assert json.loads(line)["record"][2] == "broken"
    assert json.loads(line)["reason"] == "its tool must be text, not NoneType"


async def test_a_reader_sets_aside_what_can_never_be_stored_and_moves_the_rest_in(tmp_path: Path) -> None:
    """``mcpea audit verify`` and the other readers recover dead journals the same way a hub does."""
    database = tmp_path / "audit.sqlite3"
    broken, fine = make_record("broken"), make_record("fine")
    lines = [encode(draft_of(r), ()) for r in (broken, fine)]
    lines[0] = lines[0].replace(b'"example_echo_text"', b'["a", "list"]', 1)  # SQLite cannot bind it
    left = database.with_name(f"{database.name}.pending-1-dead")
    await (await open_store(f"sqlite://{database}")).close()  # a database, then a hub that died
    left.write_bytes(b"".join(lines))
    SQLiteStore(database).recover_left_behind()
    assert not left.exists()
    (line,) = rejected_path(database).read_text().splitlines()
    assert json.loads(line)["reason"] == "its tool must be text, not list"
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT call_id FROM audit_records").fetchall() == [("fine",)]


async def test_a_record_too_odd_to_seal_is_set_aside_without_stopping_the_writer(tmp_path: Path) -> None:
    class Hostile(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("no")

        def keys(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("no")

    path = tmp_path / "audit.sqlite3"
    store = await open_store(f"sqlite://{path}")
    assert isinstance(store, SQLiteStore)
    odd = list(draft_of(make_record("odd")))
    odd[11] = Hostile(text="hi")  # arguments
    try:
        store.accept(tuple(odd))
        await store.append_start(make_record("after"))
        assert [r.call_id async for r in store.iter_records()] == ["after"]
        assert store.stats.set_aside == 1
    finally:
        await store.close()
    (line,) = rejected_path(path).read_text().splitlines()
    assert json.loads(line)["reason"] == "its arguments cannot be sealed (RuntimeError)"


@pytest.mark.parametrize("url", ["sqlite://{dir}/full.sqlite3?synchronous=FULL", "jsonl://{dir}/audit.jsonl"])
async def test_stores_without_a_journal_refuse_a_wrongly_typed_field_too(tmp_path: Path, url: str) -> None:
    from mcpea_core.audit import AuditStoreError

    store = await open_store(url.format(dir=tmp_path))
    try:
        with pytest.raises(AuditStoreError, match="its principal must be text, not int"):
            await store.append_start(make_record("five", principal=5))
        await store.append_start(make_record("fine"))
        assert [r.call_id async for r in store.iter_records()] == ["fine"]
    finally:
        await store.close()
