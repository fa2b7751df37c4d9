"""The outbox kept with the audit trail: a call's notifications commit in its end record's transaction."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit._support import make_record
from click.testing import CliRunner

from mcpea_core import HubConfig
from mcpea_core.audit import AuditPlugin, AuditRecord, AuditStoreError, open_store, store_from_url
from mcpea_core.audit._journal import journal_paths
from mcpea_core.audit.jsonl import JsonlStore
from mcpea_core.audit.store import OutboxStore
from mcpea_core.notify.channels import Delivery
from mcpea_core.notify.cli import notify_group
from mcpea_core.notify.outbox import Outbox, OutboxEntry, idempotency_key
from mcpea_core.notify.plugin import NotifyPlugin
from mcpea_core.notify.sqlite_outbox import SQLiteOutbox
from mcpea_core.notify.worker import DeliveryWorker, WorkerThread
from notify.support import FAST_WORKER, SECRET, Receiver, eventually, make_entry, notify_hub, settings

pytestmark = pytest.mark.anyio
OPTIONS: dict[str, Any] = dict(FAST_WORKER)

ROUTED: dict[str, Any] = {"routes": [{"tools": ["example_*"], "channels": ["webhook:ops"]}]}


def hub_config(audit_url: str, receiver_url: str, **notify: Any) -> HubConfig:
    """A configuration as an operator writes it: an audit store, a webhook channel, no [notify] outbox."""
    channel = {"url": receiver_url, "secret": SECRET, "timeout": 2}
    retry = {"max_attempts": 20, "base_backoff": 0.05, "max_backoff": 0.1}
    return HubConfig.model_validate(
        {
            "audit": {"store": audit_url},
            "notify": {"channels": {"webhook:ops": channel}, "retry": retry, **ROUTED, **notify},
        }
    )


@pytest.fixture
def from_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The built-in audit and notification plugins configured from [audit]; the state dir is the test's."""
    monkeypatch.delenv("MCPEA_AUDIT_STORE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "mcpea" / "notify.sqlite3"


async def rows(audit_url: str) -> tuple[list[AuditRecord], list[OutboxEntry]]:
    """The trail's records and every entry of the outbox in the same database."""
    store = store_from_url(audit_url)
    assert isinstance(store, OutboxStore)
    outbox = store.notify_outbox()
    await outbox.open()
    try:
        return [r async for r in store.iter_records()], await outbox.list_entries(limit=1000)
    finally:
        await outbox.close()
        await store.close()


def notify_of(hub: Any) -> NotifyPlugin:
    plugin = hub.host.pm.get_plugin("mcpea.notify")
    assert isinstance(plugin, NotifyPlugin)
    return plugin


async def test_the_hub_keeps_the_outbox_in_the_audit_database_from_configuration(
    audit_url: str, from_config: Path
) -> None:
    with Receiver() as receiver:
        async with notify_hub(config=hub_config(audit_url, receiver.url)) as hub:
            notify = notify_of(hub)
            assert notify.with_end_record
            result = await hub.call_tool("example_echo_text", {"text": "hi"})
            await eventually(lambda: receiver.answered == 1)
            await eventually(lambda: _status(audit_url, "delivered", 1))
    assert not result.is_error
    records, (entry,) = await rows(audit_url)
    end = records[-1]
    assert end.phase == "end" and entry.idempotency_key == idempotency_key(end.call_id, "webhook:ops")
    assert receiver.requests[0].headers["Idempotency-Key"] == entry.idempotency_key
    assert not from_config.exists(), "no separate outbox file"


async def _status(audit_url: str, status: str, n: int) -> bool:
    _, entries = await rows(audit_url)
    return sum(e.status == status for e in entries) == n


async def test_a_separate_outbox_when_configured_or_when_the_trail_is_json_lines(
    tmp_path: Path, from_config: Path
) -> None:
    own = tmp_path / "own.sqlite3"
    jsonl = f"jsonl://{tmp_path / 'audit.jsonl'}"
    for config, expected in (
        (hub_config(f"sqlite://{tmp_path / 'a.sqlite3'}", "http://127.0.0.1:9/", outbox=str(own)), own),
        (hub_config(jsonl, "http://127.0.0.1:9/"), from_config),
    ):
        async with notify_hub(config=config) as hub:
            notify = notify_of(hub)
            assert not notify.with_end_record
            assert isinstance(notify.outbox, SQLiteOutbox) and notify.outbox.path == expected
            await hub.call_tool("example_echo_text", {"text": "hi"})
            assert sum((await notify.outbox.counts()).values()) == 1


# --- one transaction ---------------------------------------------------------------------


def audit_and_notify(audit_url: str, *, deliver: bool = True) -> Any:
    """A hub with an audit plugin and a notification plugin whose outbox is the audit store's.

    ``deliver=False``: the worker's clock stands at 0, so nothing is ever due and rows stay as committed.
    """
    audit = AuditPlugin(audit_url, hub_instance="hub-test")
    options = FAST_WORKER if deliver else {**FAST_WORKER, "clock": lambda: 0.0}
    notify = NotifyPlugin(
        settings(**ROUTED), outbox=audit.notify_outbox(), with_end_record=True, worker_options=options
    )
    return notify_hub(("audit", audit), ("notify", notify))


FAILING_COMMITS = {
    "the end record cannot be written": (
        "CREATE TRIGGER fail BEFORE INSERT ON audit_records WHEN NEW.phase = 'end' "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ),
    "the outbox entry cannot be written": (
        "CREATE TRIGGER fail BEFORE INSERT ON notify_outbox BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ),
}


@pytest.mark.parametrize("failing", list(FAILING_COMMITS))
async def test_when_the_commit_fails_neither_the_end_record_nor_the_notification_exists(
    tmp_path: Path, failing: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "audit.sqlite3"
    hub = audit_and_notify(f"sqlite://{path}")
    async with hub:
        audit = next(p for p in hub.host.pm.get_plugins() if isinstance(p, AuditPlugin))
        assert isinstance(audit, AuditPlugin)
        ok = await hub.call_tool("example_echo_text", {"text": "before"})
        await audit.store.head()  # what the store accepted is in the database now
        with sqlite3.connect(path) as conn:
            conn.execute(FAILING_COMMITS[failing])
        unlucky = await hub.call_tool("example_echo_text", {"text": "during"})
        await audit.store.head()  # one attempt made, and failed
    assert not ok.is_error and not unlucky.is_error, "the call's result stands: its effect happened"
    records, entries = await rows(f"sqlite://{path}")  # a reader tries the left journal again: fails again
    assert [(r.phase, r.arguments) for r in records] == [
        ("start", {"text": "before"}), ("end", None), ("start", {"text": "during"})
    ]  # fmt: skip
    assert [e.idempotency_key for e in entries] == [idempotency_key(records[0].call_id, "webhook:ops")]
    assert "cannot be moved into" in caplog.text and "stay in" in caplog.text
    assert len(journal_paths(path)) == 1, "the end record and its notification wait in the journal"

    with sqlite3.connect(path) as conn:  # the fault is repaired: both arrive, together
        conn.execute("DROP TRIGGER fail")
    records, entries = await rows(f"sqlite://{path}")
    assert [(r.phase, r.outcome) for r in records][3:] == [("end", "success")]
    assert {e.idempotency_key for e in entries} == {
        idempotency_key(records[n].call_id, "webhook:ops") for n in (0, 2)
    }
    assert journal_paths(path) == []
    assert (await verify_url(f"sqlite://{path}")).complete


async def verify_url(url: str) -> Any:
    store = store_from_url(url)
    try:
        return await store.verify()
    finally:
        await store.close()


async def test_the_end_record_and_its_notification_share_one_postgresql_transaction(
    postgres_url: str,
) -> None:
    import psycopg
    from psycopg import sql

    hub = audit_and_notify(postgres_url, deliver=False)
    async with hub:
        for n in range(2):
            await hub.call_tool("example_echo_text", {"text": f"call {n}"})
        await hub.call_tool("example_echo_text", {"text": "asked", "notify": "log:audit"})
    base, schema = postgres_url.split("?schema=", 1)
    with psycopg.connect(base, autocommit=True) as conn:
        ends = conn.execute(
            sql.SQL("SELECT call_id, xmin::text FROM {} WHERE phase = 'end' ORDER BY seq").format(
                sql.Identifier(schema, "audit_records")
            )
        ).fetchall()
        starts = conn.execute(
            sql.SQL("SELECT call_id, xmin::text FROM {} WHERE phase = 'start'").format(
                sql.Identifier(schema, "audit_records")
            )
        ).fetchall()
        outbox = conn.execute(
            sql.SQL("SELECT idempotency_key, xmin::text FROM {}").format(
                sql.Identifier(schema, "notify_outbox")
            )
        ).fetchall()
    assert len(ends) == 3 and len(outbox) == 4  # the last call also asked for log:audit
    committed_with = {key: xid for key, xid in outbox}
    for call_id, xid in ends:
        assert committed_with[idempotency_key(call_id, "webhook:ops")] == xid, "same transaction id"
    asked, xid = ends[-1]
    assert committed_with[idempotency_key(asked, "log:audit")] == xid
    assert not {xid for _, xid in starts} & set(committed_with.values())


# --- surviving a restart ------------------------------------------------------------------


async def test_pending_notifications_survive_a_restart_in_the_audit_database(
    audit_url: str, from_config: Path
) -> None:
    with Receiver(default=503) as down:
        async with notify_hub(config=hub_config(audit_url, down.url)) as hub:
            for text in ("one", "two"):
                await hub.call_tool("example_echo_text", {"text": text})
            await eventually(lambda: len(down.requests) >= 2)
    _, entries = await rows(audit_url)
    assert [e.status for e in entries] == ["pending", "pending"]
    keys = {e.idempotency_key for e in entries}
    assert {r.headers["Idempotency-Key"] for r in down.requests} == keys

    with Receiver() as up:  # a new hub process: new plugins and a new worker over the same database
        async with notify_hub(config=hub_config(audit_url, up.url)):
            await eventually(lambda: _status(audit_url, "delivered", 2))
    assert {r.headers["Idempotency-Key"] for r in up.requests} == keys
    assert {r.payload["arguments"]["text"] for r in up.requests} == {"one", "two"}
    assert not from_config.exists()


def test_notify_status_reads_the_outbox_in_the_audit_database(
    audit_url: str, from_config: Path, tmp_path: Path
) -> None:
    config = tmp_path / "mcpea.toml"
    config.write_text(f'[audit]\nstore = "{audit_url}"\n')

    async def queue_two() -> None:
        store = await open_store(audit_url)
        assert isinstance(store, OutboxStore)
        for call in ("a", "b"):
            await store.append_start(make_record(call))
            await store.append_end(make_record(call, "end"), notifications=[make_entry(call)])
        await store.close()

    anyio.run(queue_two)
    result = CliRunner().invoke(notify_group, ["status", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"] == {"pending": 2, "delivered": 0, "dead": 0}
    assert [row["call_id"] for row in report["pending"]] == ["a", "b"]
    if audit_url.startswith("sqlite:"):
        assert report["outbox"] == audit_url.removeprefix("sqlite://")
    else:
        assert report["outbox"].endswith("(table notify_outbox)") and "schema=" in report["outbox"]
    assert not from_config.exists()


# --- several workers over one PostgreSQL outbox ---------------------------------------------------


class Counting:
    """A worker's channel: counts each idempotency key in ``sent``, which the workers share, and its own."""

    def __init__(self, sent: Counter[str], lock: threading.Lock) -> None:
        self.sent = sent
        self.mine = 0
        self._lock = lock

    async def send(self, delivery: Delivery) -> None:
        await anyio.sleep(0.001)
        with self._lock:
            self.sent[delivery.idempotency_key] += 1
            self.mine += 1

    async def aclose(self) -> None:
        return None


async def test_two_workers_over_one_postgresql_outbox_never_deliver_twice(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    assert isinstance(store, OutboxStore)
    calls = [f"call-{n}" for n in range(150)]
    for call in calls:
        await store.append_start(make_record(call))
        await store.append_end(make_record(call, "end"), notifications=[make_entry(call, "webhook:ops")])
    await store.close()

    sent: Counter[str] = Counter()
    lock = threading.Lock()
    channels = [Counting(sent, lock) for _ in range(2)]
    outboxes: list[Outbox] = []
    runners = []
    for n, channel in enumerate(channels):  # each on its own thread, loop and connection, as two hubs'
        outbox = store.notify_outbox()
        await outbox.open()
        outboxes.append(outbox)
        worker = DeliveryWorker(outbox, {"webhook:ops": channel}, concurrency=4, worker_id=f"w{n}", **OPTIONS)
        runners.append(WorkerThread(worker))
    try:
        for runner in runners:
            await anyio.to_thread.run_sync(runner.start)
        await eventually(lambda: _all_delivered(outboxes[0], len(calls)), timeout=60)
    finally:
        for runner in runners:
            await anyio.to_thread.run_sync(runner.stop)
        entries = await outboxes[0].list_entries(limit=1000)
        for outbox in outboxes:
            await outbox.close()
    assert set(sent) == {idempotency_key(c, "webhook:ops") for c in calls}
    assert max(sent.values()) == 1, "no notification was delivered twice"
    assert all(e.attempts == 1 for e in entries), "every entry was claimed once"
    assert all(channel.mine > 0 for channel in channels), [c.mine for c in channels]


async def _all_delivered(outbox: Outbox, n: int) -> bool:
    return (await outbox.counts())["delivered"] == n


# --- when the audit store keeps no outbox, or cannot be reached ---------------------------------


async def test_a_json_lines_trail_keeps_no_outbox(tmp_path: Path) -> None:
    store = await open_store(f"jsonl://{tmp_path / 'audit.jsonl'}")
    try:
        assert not isinstance(store, OutboxStore) and AuditPlugin(store).notify_outbox() is None
        assert isinstance(store, JsonlStore)
        await store.append_start(make_record("a"))
        with pytest.raises(AuditStoreError, match="keeps no notification outbox"):
            await store.append_end(make_record("a", "end"), notifications=[make_entry("a")])
    finally:
        await store.close()


async def test_without_an_audit_plugin_the_notifications_are_enqueued_after_all(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = SQLiteOutbox(tmp_path / "audit.sqlite3")
    notify = NotifyPlugin(settings(**ROUTED), outbox=outbox, with_end_record=True, worker_options=FAST_WORKER)
    async with notify_hub(("notify", notify)) as hub:
        await hub.call_tool("example_echo_text", {"text": "hi"})
        assert not notify.with_end_record
        assert sum((await outbox.counts()).values()) == 1
    assert "no audit plugin keeps the outbox" in caplog.text


async def test_an_unreachable_audit_store_under_allow_leaves_the_hub_serving(
    tmp_path: Path, from_config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "not-a-directory").write_text("")
    url = f"sqlite://{tmp_path / 'not-a-directory' / 'audit.sqlite3'}"
    config = hub_config(url, "http://127.0.0.1:9/")
    config.audit.on_failure = "allow"
    async with notify_hub(config=config) as hub:
        assert notify_of(hub).with_end_record
        result = await hub.call_tool("example_echo_text", {"text": "hi"})
    assert not result.is_error
    assert "the outbox in the audit store cannot be opened yet" in caplog.text
    assert "its outcome is missing from the audit trail, and its 1 notification(s) with it" in caplog.text
    assert not from_config.exists()
