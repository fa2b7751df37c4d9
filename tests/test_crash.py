"""``kill -9`` of a serving hub: the audit trail and the notification outbox survive it.

One real ``mcpea serve --transport http`` with a SQLite audit trail and a
webhook channel to a receiver in this process, driven by the official SDK
client. The hub is SIGKILLed while calls run (a blocking call certainly, echo
calls most likely) and while the receiver refuses every delivery (503), so
notifications are pending. Then, checked with ``mcpea audit verify --json``,
``mcpea audit export`` and ``mcpea notify status --json``:

* the chain is intact; the calls reported unfinished are calls that were in
  flight at the kill, and only those; every call the client saw answered has
  its start and end record;
* every finished echo call's notification is pending in the outbox, and a hub
  restarted on the same files delivers every pending notification once the
  receiver accepts: at least once, compared by ``Idempotency-Key`` set
  equality; duplicates carry the same key and the same signed body.

Both outbox placements run: a table in the audit database, committed with the
end record (the default), and a file of its own (``[notify] outbox``).

An entry the killed worker had leased (a delivery in flight at the kill) is
sent again only when its lease runs out: 120 s, ``DeliveryWorker``'s default,
which ``mcpea.toml`` cannot change. The wait for delivery is bounded by the
latest such lease plus a margin, so each case takes about two minutes.
Every wait is bounded and polled; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
from _support import ServedHub, mcpea_command
from mcp.client import Client

from mcpea_core.audit import AuditRecord, RecordFilter, store_from_url
from mcpea_core.notify.outbox import idempotency_key
from mcpea_core.notify.webhook import verify_signature

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

CHANNEL = "webhook:ops"
SECRET = "crash-test-webhook-secret-0123456789"
SLEEP_SECONDS = 3.0  # long enough to be certainly running when the hub is killed
ECHO_WORKERS = 4
ENOUGH_ANSWERED = 30
ENOUGH_REFUSED = 10


# --- the webhook receiver ---------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    key: str
    status: int
    body: bytes
    signed: bool
    complete: bool  # the whole body arrived (a request cut off by the kill does not)


class Receiver:
    """A webhook receiver on 127.0.0.1 in a thread: answers 503 until ``accepting``, then 200."""

    def __init__(self) -> None:
        self.accepting = False
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                signed = verify_signature(SECRET.encode(), body, self.headers.get("X-Mcpea-Signature"))
                complete = len(body) == length
                key = self.headers.get("Idempotency-Key", "")
                with receiver._lock:
                    status = 200 if receiver.accepting and complete else 503
                    receiver.hits.append(Hit(key, status, body, signed, complete))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/mcpea"

    def snapshot(self) -> list[Hit]:
        with self._lock:
            return list(self.hits)

    def accept(self) -> None:
        with self._lock:
            self.accepting = True

    def delivered(self) -> set[str]:
        return {hit.key for hit in self.snapshot() if hit.status == 200}

    def refused(self) -> int:
        return sum(1 for hit in self.snapshot() if hit.status != 200)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


# --- the hub, its files and its CLI ------------------------------------------------


@dataclass
class Files:
    config: Path
    audit_url: str
    outbox: Path  # the SQLite file that holds the notify_outbox table


OUTBOXES = {
    # the default: a table in the audit database, written in the end record's transaction
    "outbox in the audit database": False,
    # [notify] outbox set: a SQLite file of its own, written before the end record
    "outbox file of its own": True,
}


def write_config(tmp_path: Path, receiver_url: str, *, own_outbox: bool) -> Files:
    audit = tmp_path / "audit.sqlite3"
    outbox = tmp_path / "notify.sqlite3" if own_outbox else audit
    config = tmp_path / "mcpea.toml"
    config.write_text(
        f"""
[hub]
plugins = ["example"]

[audit]
store = "sqlite://{audit}"

[notify]
{f'outbox = "{outbox}"' if own_outbox else ""}

[notify.channels."{CHANNEL}"]
url = "{receiver_url}"
secret = "{SECRET}"
timeout = 2

[[notify.routes]]
tools = ["example_echo_text"]
outcomes = ["success"]
channels = ["{CHANNEL}"]

[notify.retry]
max_attempts = 100       # never dead-letter while the receiver refuses
base_backoff = 0.2
max_backoff = 1.0
""",
        encoding="utf-8",
    )
    return Files(config, f"sqlite://{audit}", outbox)


@pytest.fixture
def hub_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    env = dict(subprocess_env)
    env.pop("MCPEA_AUDIT_STORE", None)  # the config file's [audit] store applies
    return env


def run_cli(env: dict[str, str], *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [mcpea_command(), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def outbox_status(files: Files, env: dict[str, str]) -> dict[str, Any]:
    """``mcpea notify status --json``: counts and the pending entries."""
    done = run_cli(env, "notify", "status", "--json", "--limit", "10000", "--config", str(files.config))
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def verify(files: Files, env: dict[str, str]) -> dict[str, Any]:
    """``mcpea audit verify --json``: exit 3 is "intact, with unfinished calls", which a kill leaves."""
    done = run_cli(env, "audit", "verify", "--json", "--config", str(files.config))
    assert done.returncode == 3, f"exit {done.returncode}:\n{done.stdout}{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    accepting = run_cli(env, "audit", "verify", "--allow-unfinished", "--config", str(files.config))
    assert accepting.returncode == 0, accepting.stdout + accepting.stderr
    return report


def export(files: Files, env: dict[str, str]) -> list[AuditRecord]:
    """Every record, through ``mcpea audit export`` (JSON Lines, exactly as stored)."""
    done = run_cli(env, "audit", "export", "--config", str(files.config))
    assert done.returncode == 0, done.stderr
    return [AuditRecord.from_dict(json.loads(line)) for line in done.stdout.splitlines() if line.strip()]


async def read_records(url: str, filters: RecordFilter | None = None) -> list[AuditRecord]:
    """Records through the store API, while the hub runs (cheaper than a CLI process per poll)."""
    store = store_from_url(url)  # reading needs no writer: the file is not touched
    try:
        return [record async for record in store.iter_records(filters)]
    finally:
        await store.close()


def outbox_leases(path: Path) -> list[float]:
    """``lease_until`` of the pending entries of the ``notify_outbox`` table in ``path``.

    An entry leased by the killed worker is claimed again only when its lease
    runs out, so these bound how long a restarted hub may take.
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT lease_until FROM notify_outbox WHERE status = 'pending' AND lease_until IS NOT NULL"
        ).fetchall()
    finally:
        conn.close()
    return [float(row[0]) for row in rows]


async def eventually(check: Callable[[], bool | Awaitable[bool]], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        await anyio.sleep(0.05)


# --- the client's view ---------------------------------------------------------------


@dataclass
class Ledger:
    """Every call the client made, keyed by its unique argument, and how each ended for the client."""

    sent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    lost: dict[str, str] = field(default_factory=dict)

    @property
    def in_flight_at_kill(self) -> set[str]:
        return set(self.sent) - self.answered


def key_of(tool: str, arguments: dict[str, Any] | None) -> str:
    args = arguments or {}
    return args["text"] if tool == "example_echo_text" else f"sleep:{args.get('seconds')!r}"


async def one_call(client: Client, ledger: Ledger, tool: str, arguments: dict[str, Any]) -> bool:
    key = key_of(tool, arguments)
    ledger.sent[key] = (tool, arguments)
    try:
        with anyio.fail_after(SLEEP_SECONDS + 30):
            result = await client.call_tool(tool, arguments)
    except Exception as exc:  # the hub was killed under it (or a timeout): not answered
        ledger.lost[key] = type(exc).__name__
        return False
    assert not result.is_error, result
    if tool == "example_echo_text":
        assert result.structured_content == {
            "echoed": f"Hello: {arguments['text']}",
            "length": len(arguments["text"]),
        }
    ledger.answered.add(key)
    return True


async def drive(url: str, ledger: Ledger, killed: anyio.Event, ready: anyio.Event) -> None:
    """Echo calls from several tasks, plus one long blocking call after another, until the kill."""

    async def echoes(worker: int) -> None:
        for i in range(100_000):
            if killed.is_set():
                return
            text = f"crash-{worker}-{i}-{uuid.uuid4().hex[:8]}"
            if not await one_call(client, ledger, "example_echo_text", {"text": text}):
                return

    async def sleeps() -> None:
        for i in range(1000):
            if killed.is_set():
                return
            seconds = SLEEP_SECONDS + i / 1_000_000  # unique, so the audit record names the call
            if not await one_call(client, ledger, "example_block_sleep", {"seconds": seconds}):
                return

    try:
        async with Client(url) as client:
            ready.set()
            async with anyio.create_task_group() as tg:
                for worker in range(ECHO_WORKERS):
                    tg.start_soon(echoes, worker)
                tg.start_soon(sleeps)
    except Exception:  # the session's own tasks fail when the server dies: expected after the kill
        if not killed.is_set():
            raise


async def sleep_call_running(url: str) -> bool:
    """A blocking call has its start record and no end record yet: it is running in the hub."""
    records = await read_records(url, RecordFilter(tool="example_block_sleep"))
    started = {r.call_id for r in records if r.phase == "start"}
    ended = {r.call_id for r in records if r.phase == "end"}
    return bool(started - ended)


# --- the test --------------------------------------------------------------------------


@pytest.mark.parametrize("outbox", list(OUTBOXES))
async def test_kill_9_loses_no_audit_record_and_no_notification(
    outbox: str, tmp_path: Path, receiver: Receiver, hub_env: dict[str, str]
) -> None:
    files = write_config(tmp_path, receiver.url, own_outbox=OUTBOXES[outbox])
    ledger = Ledger()
    killed = anyio.Event()
    ready = anyio.Event()

    driven = anyio.Event()

    async def driver() -> None:
        try:
            await drive(hub.url, ledger, killed, ready)
        finally:
            driven.set()

    hub = ServedHub("--config", str(files.config), env=hub_env)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(driver)
            with anyio.fail_after(60):
                await ready.wait()

            async def busy() -> bool:
                return (
                    len(ledger.answered) >= ENOUGH_ANSWERED
                    and receiver.refused() >= ENOUGH_REFUSED
                    and await sleep_call_running(files.audit_url)
                )

            await eventually(busy, timeout=90, what="calls answered, deliveries refused, a call running")
            hub.proc.kill()  # SIGKILL: no shutdown hook, no flush, no goodbye
            hub.proc.wait(10)
            killed.set()
            with anyio.move_on_after(SLEEP_SECONDS + 30):  # the client's calls fail now; bounded anyway
                await driven.wait()
            tg.cancel_scope.cancel()  # whatever still waits counts as not answered
    finally:
        hub.stop()
    in_flight = ledger.in_flight_at_kill
    assert hub.proc.returncode == -9
    assert not any(hit.status == 200 for hit in receiver.snapshot()), "nothing could be delivered yet"

    # 1. The chain is intact; unfinished calls are exactly some of those in flight at the kill.
    report = verify(files, hub_env)
    assert report["ok"] and not report["errors"], report
    records = export(files, hub_env)
    assert report["records"] == len(records)
    starts = {r.call_id: r for r in records if r.phase == "start"}
    ends = {r.call_id: r for r in records if r.phase == "end"}
    call_of = {key_of(r.tool, r.arguments): call_id for call_id, r in starts.items()}
    assert len(call_of) == len(starts), "each call's argument is unique"
    unfinished = {u["call_id"] for u in report["unfinished"]}
    assert unfinished == set(starts) - set(ends)
    assert unfinished, "the blocking call running at the kill is reported unfinished"
    assert {key_of(starts[c].tool, starts[c].arguments) for c in unfinished} <= in_flight
    assert set(starts) <= {call_of[k] for k in ledger.sent if k in call_of}, "no record of an unknown call"

    # 2. Every call the client saw answered has its start and end record, with its outcome.
    missing = [key for key in ledger.answered if key not in call_of or call_of[key] not in ends]
    assert not missing, f"answered calls without an end record: {missing[:5]}"
    assert all(ends[call_of[key]].outcome == "success" for key in ledger.answered)

    # 3. The notifications of every finished echo call are pending in the outbox.
    status = outbox_status(files, hub_env)
    pending = {row["idempotency_key"]: row for row in status["pending"]}
    assert status["counts"]["pending"] == len(pending) > 0
    assert status["counts"]["delivered"] == status["counts"]["dead"] == 0
    echo_done = {c for c, r in ends.items() if r.tool == "example_echo_text" and r.outcome == "success"}
    expected = {idempotency_key(c, CHANNEL) for c in echo_done}
    assert expected <= set(pending), (
        f"{len(expected - set(pending))} finished call(s) lost their notification"
    )
    if not OUTBOXES[outbox]:  # one transaction: a notification exactly for each end record
        assert set(pending) == expected
    assert {row["call_id"] for row in pending.values()} <= {
        c for c, r in starts.items() if r.tool == "example_echo_text"
    }, "a notification for a call that never started"

    # 4. A restarted hub on the same files delivers every pending notification once the receiver accepts.
    before_restart = len(receiver.snapshot())
    receiver.accept()
    leases = outbox_leases(files.outbox)
    # An entry leased by the killed worker waits for its lease to run out (DeliveryWorker's default,
    # 120 s, is not configurable in mcpea.toml); everything else goes out at once.
    budget = 60.0 + max([lease - time.time() for lease in leases] + [0.0])
    restarted = ServedHub("--config", str(files.config), env=hub_env)
    restart_began = time.monotonic()
    try:
        await eventually(
            lambda: set(pending) <= receiver.delivered(),
            timeout=budget,
            what=f"every one of {len(pending)} pending notification(s) delivered",
        )
        delivery_took = time.monotonic() - restart_began
        await eventually(
            lambda: outbox_status(files, hub_env)["counts"]["pending"] == 0,
            timeout=30,
            what="the outbox shows nothing pending",
        )
    finally:
        restarted.stop()
    # uvicorn re-raises the SIGTERM it handled after its graceful shutdown
    assert restarted.proc.returncode in (0, -15), "".join(restarted.stderr)

    hits = receiver.snapshot()
    assert receiver.delivered() == set(pending), "at least once: exactly the pending keys, no others"
    assert all(hit.complete for hit in hits[before_restart:]), "only the kill cuts a request off"
    whole = [hit for hit in hits if hit.complete]
    unsigned = [(hit.key, hit.status, len(hit.body)) for hit in whole if not hit.signed]
    assert not unsigned, f"every request is signed with the channel's secret: {unsigned}"
    bodies: dict[str, set[bytes]] = {}
    for hit in whole:
        bodies.setdefault(hit.key, set()).add(hit.body)
    assert all(len(b) == 1 for b in bodies.values()), "a retry sends the same body under the same key"
    for key, (body,) in ((k, tuple(b)) for k, b in bodies.items()):
        payload = json.loads(body)
        assert payload["id"] == key and payload["tool"] == "example_echo_text"
        assert key == idempotency_key(payload["call_id"], CHANNEL)

    # 5. The restarted hub changed nothing in the trail: same records, same unfinished calls.
    after = verify(files, hub_env)
    assert after["ok"] and after["records"] == report["records"] and after["head"] == report["head"]
    assert {u["call_id"] for u in after["unfinished"]} == unfinished
    print(
        f"\n{len(ledger.answered)} calls answered, {len(in_flight)} in flight at the kill, "
        f"{len(unfinished)} unfinished in the trail; {len(pending)} notifications pending "
        f"({len(leases)} leased by the dead worker), {len(hits)} requests received, all delivered "
        f"{delivery_took:.1f}s after the restart ({outbox})"
    )
