#!/usr/bin/env python
"""Benchmark ``mcpea serve`` against a bare MCP server on the SDK's low-level ``Server``.

Run from the repository root::

    .venv/bin/python bench/bench_core.py            # full run, ~1.5-3 minutes
    .venv/bin/python bench/bench_core.py --quick    # smaller counts, under a minute
    .venv/bin/python bench/bench_core.py --check    # exit 1 when a target fails
    .venv/bin/python bench/bench_core.py --profile  # cProfile both servers instead
    .venv/bin/python bench/bench_core.py --startup-only --startup-pairs 10   # start-up rows only

Both servers run as child processes serving the same two tools (the test
plugin ``example``'s ``example_echo_text`` and ``example_block_sleep``; see
``bench/bare_server.py``). Measurements alternate between the servers in
blocks so that both share the noise of a shared machine. Only 127.0.0.1
traffic; every child is stopped at the end, even on error or Ctrl-C.

Targets (reported, not asserted, unless ``--check``): round trips >= 0.85x the
bare server (stdio sequential; HTTP at concurrency 1 and 16 with raw httpx
POSTs on one session; HTTP with the official ``mcp.client.Client``);
start-up <= 1.15x the bare server; 50 concurrent calls of the 200 ms blocking
tool finish within 2x one call's latency (measured in memory through
``mcp.client.Client(server)`` for both servers; the same burst over HTTP is
reported for information). See bench/README.md.

Exit status: 0 (targets are only reported), 1 with ``--check`` when a target
fails, 2 when the harness itself breaks (a server does not start, answers
with an error, times out).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
MCPEA = os.path.join(os.path.dirname(PY), "mcpea")
BARE = str(HERE / "bare_server.py")
HUB_APP = str(HERE / "hub_app_server.py")
PROTOCOL = "2025-11-25"  # the initialize handshake (legacy era); the official client row uses its default
ECHO_ARGS = {"text": "hello bench"}
SLEEP_SECONDS = 0.2
BURST = 50
CONCURRENCY = 16

ROUND_TRIP_TARGET = 0.85
STARTUP_TARGET = 1.15
BURST_TARGET = 2.0


class HarnessError(Exception):
    """The harness itself broke: a server did not start, answered with an error, or timed out."""


class Aborted(HarnessError):
    """A signal (SIGTERM, SIGHUP, the hard time limit) stopped the run."""


# --------------------------------------------------------------------------
# child processes: every one is registered and stopped at the end
# --------------------------------------------------------------------------

_PROCS: list[subprocess.Popen[bytes]] = []


def _deathsig_setup() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM if this process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def setup() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return setup


_PREEXEC = _deathsig_setup()


# The targets hold "with all first-party plugins installed": by default the hub
# loads every installed first-party plugin (placeholder credentials; no tool of theirs is
# called) besides the example plugin whose tools are measured. --only-example turns it off.
FIRST_PARTY_SETTINGS = {
    "stripe": 'api_key = "sk_test_bench_placeholder"',
    "github": 'token = "ghp_benchplaceholder0000000000000000000000"',
    "slack": 'bot_token = "xoxb-bench-placeholder"',
    "keycloak": 'server_url = "http://127.0.0.1:9/"\nrealm = "bench"\nclient_id = "bench"\nclient_secret = "bench"',
}
_HUB: dict[str, str] = {"plugins": "example", "config": ""}


def use_first_party_plugins(only: set[str] | None = None) -> list[str]:
    """Write a config loading the installed first-party plugins (``only``: a subset); returns their names."""
    from importlib import metadata
    import tempfile

    installed = {ep.name for ep in metadata.entry_points(group="mcpea")}
    chosen = [name for name in FIRST_PARTY_SETTINGS if name in installed and (only is None or name in only)]
    path = Path(tempfile.mkdtemp(prefix="mcpea-bench-")) / "mcpea.toml"
    path.write_text("".join(f"[plugins.{n}]\n{FIRST_PARTY_SETTINGS[n]}\n\n" for n in chosen))
    _HUB.update(plugins=",".join(["example", *chosen]), config=str(path))
    return chosen


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["MCPEA_LOAD_PLUGINS"] = _HUB["plugins"]
    env["MCPEA_AUDIT_STORE"] = "off"  # the core benchmark measures the pipeline; audit has its own
    env.pop("MCPEA_CONFIG", None)  # built-in defaults, whatever the caller's environment says
    if _HUB["config"]:
        env["MCPEA_CONFIG"] = _HUB["config"]
    return env


def spawn(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(list(argv), cwd=REPO, env=server_env(), preexec_fn=_PREEXEC, **kwargs)
    _PROCS.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """Stop one child: EOF on stdin, then SIGTERM, then SIGKILL; always reaped."""
    try:
        if proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(8.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if proc in _PROCS:
            _PROCS.remove(proc)


def stop_all() -> None:
    for proc in list(reversed(_PROCS)):
        try:
            stop(proc, grace=1.0)
        except Exception:  # keep stopping the others
            traceback.print_exc()


def peak_rss_kb(pid: int) -> int | None:
    """Peak resident set size (VmHWM) of a live process, from /proc (psutil is not required)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a live process, all threads (/proc/PID/stat); NaN when unknown."""
    if pid is None:
        return math.nan
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return math.nan


# --------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Series:
    """Latencies of one server in one benchmark, and the wall time they took."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = math.nan  # CPU seconds (user + system, all threads) the server spent meanwhile

    @property
    def cpu_per_call(self) -> float:
        return self.cpu / self.count if self.count else math.nan

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall > 0 else math.nan

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


# --------------------------------------------------------------------------
# stdio: raw JSON-RPC lines over the child's pipes (no client library in the way)
# --------------------------------------------------------------------------


class StdioServer:
    def __init__(self, name: str, argv: Sequence[str]) -> None:
        self.name = name
        self.errfile = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errfile, bufsize=0)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.fd_in = self.proc.stdin.fileno()
        self.fd_out = self.proc.stdout.fileno()
        self.buf = b""
        self.next_id = 0

    def stderr_tail(self, limit: int = 1500) -> str:
        try:
            self.errfile.seek(0)
            return self.errfile.read().decode(errors="replace")[-limit:]
        except (OSError, ValueError):
            return ""

    def _fail(self, what: str) -> HarnessError:
        return HarnessError(f"{self.name} (stdio): {what}\n--- stderr tail ---\n{self.stderr_tail()}")

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        try:
            while data:
                data = data[os.write(self.fd_in, data) :]
        except BrokenPipeError:
            raise self._fail("stdin closed (server exited?)") from None

    def read_message(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self.buf:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise self._fail("timed out waiting for an answer")
            ready, _, _ = select.select([self.fd_out], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.fd_out, 1 << 16)
            if not chunk:
                raise self._fail(f"closed stdout (exit code {self.proc.poll()})")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            raise self._fail(f"wrote a line that is not JSON: {line[:200]!r}") from None

    def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        self.next_id += 1
        rid = self.next_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        deadline = time.perf_counter() + timeout
        while True:
            answer = self.read_message(deadline)
            if answer.get("id") == rid:
                break  # anything else is a notification or a server request: skip it
        if "error" in answer:
            raise self._fail(f"{method} answered with an error: {answer['error']}")
        return answer["result"]

    def initialize(self, timeout: float = 30.0) -> float:
        """Send ``initialize`` (from spawn on) and the ``initialized`` notification; seconds since spawn."""
        self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "mcpea-bench", "version": "0"},
            },
            timeout=timeout,
        )
        elapsed = time.perf_counter() - self.started
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return elapsed

    def call_echo(self) -> None:
        result = self.request("tools/call", {"name": "example_echo_text", "arguments": ECHO_ARGS})
        check_echo(self.name, result)

    def list_tools(self) -> None:
        result = self.request("tools/list", {})
        if len(result.get("tools", [])) < 2:
            raise self._fail(f"tools/list returned {result!r}")

    def close(self) -> None:
        stop(self.proc)
        self.errfile.close()


def check_echo(name: str, result: dict[str, Any]) -> None:
    if result.get("isError") or "hello bench" not in json.dumps(result.get("structuredContent")):
        raise HarnessError(f"{name}: unexpected example_echo_text result: {result!r}")


# --------------------------------------------------------------------------
# HTTP: servers announce their URL on stderr; raw httpx POSTs with the session header
# --------------------------------------------------------------------------


class HttpServer:
    URL = re.compile(r"serving MCP at (http://127\.0\.0\.1:\d+/\S*)")

    def __init__(self, name: str, argv: Sequence[str], timeout: float = 30.0) -> None:
        self.name = name
        self.lines: list[str] = []
        self.proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        deadline = time.perf_counter() + timeout
        buf = b""
        self.url = ""
        while not self.url:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise HarnessError(
                    f"{name}: no 'serving MCP at' line within {timeout:.0f}s:\n" + buf.decode()[-1500:]
                )
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise HarnessError(
                    f"{name}: exited ({self.proc.poll()}) before serving:\n" + buf.decode()[-1500:]
                )
            buf += chunk
            match = self.URL.search(buf.decode(errors="replace"))
            if match:
                self.url = match.group(1)
        self.lines.extend(buf.decode(errors="replace").splitlines())
        # keep draining stderr so that a chatty server never blocks on a full pipe
        self.drain = threading.Thread(target=self._drain, args=(fd,), daemon=True)
        self.drain.start()

    def _drain(self, fd: int) -> None:
        try:
            while chunk := os.read(fd, 1 << 16):
                self.lines.extend(chunk.decode(errors="replace").splitlines())
                del self.lines[:-50]
        except OSError:
            pass

    def close(self) -> None:
        stop(self.proc)


class HttpSession:
    """One MCP session over Streamable HTTP (initialize handshake, ``Mcp-Session-Id`` header)."""

    def __init__(self, name: str, url: str) -> None:
        import httpx

        self.name = name
        self.url = url
        limits = httpx.Limits(max_connections=BURST + 10, max_keepalive_connections=BURST + 10)
        self.client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0))
        self.headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        self.next_id = 0

    async def _post(self, message: dict[str, Any]) -> Any:
        return await self.client.post(
            self.url, headers=self.headers, content=json.dumps(message, separators=(",", ":"))
        )

    async def open(self) -> None:
        response = await self._post(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": PROTOCOL,
                    "capabilities": {},
                    "clientInfo": {"name": "mcpea-bench", "version": "0"},
                },
            }
        )
        session = response.headers.get("mcp-session-id")
        if response.status_code != 200 or not session:
            raise HarnessError(
                f"{self.name}: initialize over HTTP failed: {response.status_code} {response.text[:300]}"
            )
        self.headers = {**self.headers, "mcp-session-id": session, "mcp-protocol-version": PROTOCOL}
        response = await self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        if response.status_code not in (200, 202):
            raise HarnessError(f"{self.name}: initialized notification: {response.status_code}")

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        rid = self.next_id
        response = await self._post({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        if response.status_code != 200:
            raise HarnessError(
                f"{self.name}: {method} over HTTP: {response.status_code} {response.text[:300]}"
            )
        if response.headers.get("content-type", "").startswith("application/json"):
            messages = [response.json()]
        else:  # an SSE stream: one "data:" line per message
            messages = [
                json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")
            ]
        for message in messages:
            if message.get("id") == rid:
                if "error" in message:
                    raise HarnessError(f"{self.name}: {method} answered with an error: {message['error']}")
                return message["result"]
        raise HarnessError(f"{self.name}: no answer to {method} in {response.text[:300]!r}")

    async def call_echo(self) -> None:
        check_echo(
            self.name, await self.request("tools/call", {"name": "example_echo_text", "arguments": ECHO_ARGS})
        )

    async def call_sleep(self) -> None:
        result = await self.request(
            "tools/call", {"name": "example_block_sleep", "arguments": {"seconds": SLEEP_SECONDS}}
        )
        if result.get("isError"):
            raise HarnessError(f"{self.name}: example_block_sleep failed: {result!r}")

    async def close(self) -> None:
        try:
            await self.client.delete(self.url, headers=self.headers)
        except Exception:
            pass
        await self.client.aclose()


# --------------------------------------------------------------------------
# the measurements
# --------------------------------------------------------------------------


@dataclass
class Budget:
    count: int  # calls per server
    seconds: float  # wall time per server
    block: int  # calls per turn before switching to the other server


def alternate_sync(
    calls: dict[str, Callable[[], None]], budget: Budget, pids: dict[str, int] | None = None
) -> dict[str, Series]:
    """Sequential round trips, alternating blocks between servers; bounded in count and time."""
    series = {name: Series(cpu=0.0) for name in calls}
    pids = pids or {}
    order = list(calls)
    while True:
        active = [n for n in order if series[n].count < budget.count and series[n].wall < budget.seconds]
        if not active:
            return series
        for name in active:
            s, call = series[name], calls[name]
            n = min(budget.block, budget.count - s.count)
            stop_at = time.perf_counter() + (budget.seconds - s.wall)
            cpu0 = cpu_seconds(pids.get(name))
            begin = time.perf_counter()
            for _ in range(n):
                t = time.perf_counter()
                call()
                s.latencies.append(time.perf_counter() - t)
                if t > stop_at:
                    break
            s.wall += time.perf_counter() - begin
            s.cpu += cpu_seconds(pids.get(name)) - cpu0
        order.reverse()


async def alternate_async(
    calls: dict[str, Callable[[], Any]], budget: Budget, concurrency: int, pids: dict[str, int] | None = None
) -> dict[str, Series]:
    """Like ``alternate_sync`` with ``concurrency`` workers in flight per server."""
    import anyio

    series = {name: Series(cpu=0.0) for name in calls}
    pids = pids or {}
    order = list(calls)
    while True:
        active = [n for n in order if series[n].count < budget.count and series[n].wall < budget.seconds]
        if not active:
            return series
        for name in active:
            s, call = series[name], calls[name]
            quota = min(budget.block, budget.count - s.count)
            stop_at = time.perf_counter() + (budget.seconds - s.wall)
            left = [quota]

            async def worker(
                s: Series = s,
                call: Callable[[], Any] = call,
                stop_at: float = stop_at,
                left: list[int] = left,
            ) -> None:
                while left[0] > 0 and time.perf_counter() < stop_at:
                    left[0] -= 1
                    t = time.perf_counter()
                    await call()
                    s.latencies.append(time.perf_counter() - t)

            cpu0 = cpu_seconds(pids.get(name))
            begin = time.perf_counter()
            with anyio.fail_after(budget.seconds + 60):
                async with anyio.create_task_group() as tg:
                    for _ in range(concurrency):
                        tg.start_soon(worker)
            s.wall += time.perf_counter() - begin
            s.cpu += cpu_seconds(pids.get(name)) - cpu0
        order.reverse()


@dataclass
class Plan:
    startup_pairs: int
    stdio_echo: Budget
    stdio_list: Budget
    http_c1: Budget
    http_c16: Budget
    client_c1: Budget
    burst_rounds: int
    single_calls: int
    hard_limit: float


FULL = Plan(
    startup_pairs=8,
    stdio_echo=Budget(4000, 8.0, 250),
    stdio_list=Budget(600, 3.0, 100),
    http_c1=Budget(1500, 10.0, 100),
    http_c16=Budget(5000, 10.0, 400),
    client_c1=Budget(500, 6.0, 50),
    burst_rounds=3,
    single_calls=3,
    hard_limit=300.0,
)
QUICK = Plan(
    startup_pairs=3,
    stdio_echo=Budget(1000, 2.5, 250),
    stdio_list=Budget(150, 1.0, 50),
    http_c1=Budget(400, 3.0, 100),
    http_c16=Budget(1600, 3.0, 400),
    client_c1=Budget(120, 2.0, 40),
    burst_rounds=2,
    single_calls=2,
    hard_limit=120.0,
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


STDIO_ARGV = {"mcpea": [MCPEA, "serve"], "bare": [PY, BARE]}


def bench_startup(plan: Plan) -> dict[str, list[float]]:
    """Spawn-to-``initialize``-answer time, alternating servers (ABBA order), after one warm-up each."""
    times: dict[str, list[float]] = {"mcpea": [], "bare": []}
    sequence = ["mcpea", "bare"]  # warm-up: page cache, .pyc files
    for pair in range(plan.startup_pairs):
        sequence += ["bare", "mcpea"] if pair % 2 == 0 else ["mcpea", "bare"]
    for i, name in enumerate(sequence):
        server = StdioServer(name, STDIO_ARGV[name])
        try:
            elapsed = server.initialize()
        finally:
            server.close()
        if i >= 2:
            times[name].append(elapsed)
    return times


def bench_stdio(plan: Plan) -> dict[str, Any]:
    servers = {
        "mcpea": StdioServer("mcpea", STDIO_ARGV["mcpea"]),
        "bare": StdioServer("bare", STDIO_ARGV["bare"]),
        "bare-thread": StdioServer("bare-thread", [PY, BARE, "--sync-echo"]),
    }
    try:
        for server in servers.values():
            server.initialize()
            for _ in range(50):  # warm-up
                server.call_echo()
        pids = {n: s.proc.pid for n, s in servers.items()}
        echo = alternate_sync({n: s.call_echo for n, s in servers.items()}, plan.stdio_echo, pids)
        listing = alternate_sync(
            {n: s.list_tools for n, s in servers.items() if n != "bare-thread"}, plan.stdio_list, pids
        )
        rss = {n: peak_rss_kb(s.proc.pid) for n, s in servers.items()}
    finally:
        for server in servers.values():
            server.close()
    return {"echo": echo, "list": listing, "rss_kb": rss}


async def _bench_http_async(plan: Plan, servers: dict[str, HttpServer]) -> dict[str, Any]:
    import anyio

    pids = {n: s.proc.pid for n, s in servers.items()}

    sessions = {name: HttpSession(name, server.url) for name, server in servers.items()}
    out: dict[str, Any] = {}
    try:
        for session in sessions.values():
            await session.open()
            for _ in range(20):
                await session.call_echo()
        calls = {n: s.call_echo for n, s in sessions.items()}
        log("HTTP: sequential round trips (concurrency 1)")
        out["c1"] = await alternate_async(calls, plan.http_c1, 1, pids)
        log(f"HTTP: round trips at concurrency {CONCURRENCY}")
        out["c16"] = await alternate_async(calls, plan.http_c16, CONCURRENCY, pids)

        log(f"HTTP: {BURST} concurrent calls of the {SLEEP_SECONDS * 1000:.0f} ms blocking tool")
        single: dict[str, list[float]] = {n: [] for n in sessions}
        burst: dict[str, list[float]] = {n: [] for n in sessions}
        for _ in range(plan.single_calls):
            for name, session in sessions.items():
                t = time.perf_counter()
                await session.call_sleep()
                single[name].append(time.perf_counter() - t)
        order = list(sessions)
        for _ in range(plan.burst_rounds):
            for name in order:
                session = sessions[name]
                t = time.perf_counter()
                with anyio.fail_after(60):
                    async with anyio.create_task_group() as tg:
                        for _ in range(BURST):
                            tg.start_soon(session.call_sleep)
                burst[name].append(time.perf_counter() - t)
            order.reverse()
        out["single"], out["burst"] = single, burst
    finally:
        for session in sessions.values():
            await session.close()

    log("HTTP: sequential round trips with the official mcp.client.Client (its default protocol)")
    from contextlib import AsyncExitStack

    from mcp.client import Client

    async with AsyncExitStack() as stack:
        clients = {}
        for name, server in servers.items():
            clients[name] = await stack.enter_async_context(Client(server.url))
        out["client_protocol"] = {n: c.protocol_version for n, c in clients.items()}

        def official(name: str, client: Any) -> Callable[[], Any]:
            async def call() -> None:
                result = await client.call_tool("example_echo_text", ECHO_ARGS)
                if result.is_error:
                    raise HarnessError(f"{name}: official client call failed: {result!r}")

            return call

        client_calls = {n: official(n, c) for n, c in clients.items()}
        for call in client_calls.values():
            for _ in range(5):
                await call()
        out["client"] = await alternate_async(client_calls, plan.client_c1, 1, pids)
    return out


async def _burst_inmemory_async(plan: Plan) -> dict[str, Any]:
    """One call, then ``BURST`` concurrent calls, of the blocking tool through ``mcp.client.Client(server)``.

    Both servers run in this process on one event loop, one after the other (never
    at the same time), so each burst has the default thread limiter to itself.
    """
    import anyio
    from mcp.client import Client

    sys.path.insert(0, str(HERE))
    import bare_server

    from mcpea_core.config import HubConfig
    from mcpea_core.hub import Hub

    os.environ["MCPEA_LOAD_PLUGINS"] = "example"  # this process only: the hub chooses its plugins from it
    hub = Hub(HubConfig())
    single: dict[str, list[float]] = {"mcpea": [], "bare": []}
    burst: dict[str, list[float]] = {"mcpea": [], "bare": []}
    async with hub:
        async with Client(hub.mcp_server) as hub_client, Client(bare_server.build_server()) as bare_client:
            clients = {"mcpea": hub_client, "bare": bare_client}

            async def sleep_call(name: str) -> None:
                result = await clients[name].call_tool("example_block_sleep", {"seconds": SLEEP_SECONDS})
                if result.is_error:
                    raise HarnessError(f"{name}: example_block_sleep failed in memory: {result!r}")

            for _ in range(plan.single_calls):
                for name in clients:
                    t = time.perf_counter()
                    await sleep_call(name)
                    single[name].append(time.perf_counter() - t)
            order = list(clients)
            for _ in range(plan.burst_rounds):
                for name in order:
                    t = time.perf_counter()
                    with anyio.fail_after(60):
                        async with anyio.create_task_group() as tg:
                            for _ in range(BURST):
                                tg.start_soon(sleep_call, name)
                    burst[name].append(time.perf_counter() - t)
                order.reverse()
    return {"single": single, "burst": burst}


def bench_burst_inmemory(plan: Plan) -> dict[str, Any]:
    import anyio

    return anyio.run(_burst_inmemory_async, plan)


def bench_http(plan: Plan) -> dict[str, Any]:
    import anyio

    argv = {
        "mcpea": [MCPEA, "serve", "--transport", "http", "--port", "0"],
        "bare": [PY, BARE, "--transport", "http", "--port", "0"],
        "hub-app": [PY, HUB_APP, "--port", "0"],
    }
    servers: dict[str, HttpServer] = {}
    try:
        for name, args in argv.items():
            servers[name] = HttpServer(name, args)
        out = anyio.run(_bench_http_async, plan, servers)
        out["rss_kb"] = {n: peak_rss_kb(s.proc.pid) for n, s in servers.items()}
        return out
    finally:
        for server in servers.values():
            server.close()


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    mcpea: str
    bare: str
    ratio: float
    target: str = ""
    verdict: str = ""
    diag: str = ""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def rate(value: float) -> str:
    return f"{value:,.0f}/s"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def startup_report(st: dict[str, list[float]]) -> tuple[list[Row], list[tuple[str, bool, str]]]:
    """The start-up rows and check, from ``bench_startup``'s times."""
    rows: list[Row] = []
    checks: list[tuple[str, bool, str]] = []
    hub_start, bare_start = statistics.median(st["mcpea"]), statistics.median(st["bare"])
    # each pair of spawns ran back to back: the median of the per-pair ratios resists load that drifts
    r = statistics.median(ratio(h, b) for h, b in zip(st["mcpea"], st["bare"], strict=True))
    ok = r <= STARTUP_TARGET
    rows.append(
        Row(
            "stdio start-up, spawn -> initialize (median; ratio: median of pairs)",
            ms(hub_start),
            ms(bare_start),
            r,
            f"<= {STARTUP_TARGET}x",
            verdict(ok),
        )
    )
    rows.append(
        Row(
            "  start-up min / max",
            f"{ms(min(st['mcpea']))} / {ms(max(st['mcpea']))}",
            f"{ms(min(st['bare']))} / {ms(max(st['bare']))}",
            ratio(min(st["mcpea"]), min(st["bare"])),
        )
    )
    checks.append(("start-up (stdio, median of paired ratios)", ok, f"{r:.2f}x <= {STARTUP_TARGET}x"))
    return rows, checks


def build_report(results: dict[str, Any]) -> tuple[list[Row], list[tuple[str, bool, str]]]:
    rows, checks = startup_report(results["startup"])

    def round_trip_rows(label: str, series: dict[str, Series], key: str, diag: str | None = None) -> None:
        hub, bare = series["mcpea"], series["bare"]
        rr = ratio(hub.rate, bare.rate)
        ok = rr >= ROUND_TRIP_TARGET
        extra = ""
        if diag and diag in series:
            extra = f"{rate(series[diag].rate)} ({ratio(series[diag].rate, bare.rate):.2f}x)"
        rows.append(
            Row(
                f"{label}: round trips ({hub.count}/{bare.count} calls)",
                rate(hub.rate),
                rate(bare.rate),
                rr,
                f">= {ROUND_TRIP_TARGET}x",
                verdict(ok),
                extra,
            )
        )
        extra_p = ""
        if diag and diag in series:
            extra_p = f"{ms(series[diag].p(50))} / {ms(series[diag].p(99))}"
        rows.append(
            Row(
                "  latency p50 / p99",
                f"{ms(hub.p(50))} / {ms(hub.p(99))}",
                f"{ms(bare.p(50))} / {ms(bare.p(99))}",
                ratio(hub.p(50), bare.p(50)),
                diag=extra_p,
            )
        )
        extra_c = ms(series[diag].cpu_per_call) if diag and diag in series else ""
        rows.append(
            Row(
                "  server CPU per call",
                ms(hub.cpu_per_call),
                ms(bare.cpu_per_call),
                ratio(hub.cpu_per_call, bare.cpu_per_call),
                "info",
                diag=extra_c,
            )
        )
        checks.append((key, ok, f"{rr:.2f}x >= {ROUND_TRIP_TARGET}x"))

    stdio = results["stdio"]
    round_trip_rows("stdio tools/call, sequential", stdio["echo"], "round trips stdio", diag="bare-thread")
    lst = stdio["list"]
    rows.append(
        Row(
            f"stdio tools/list, sequential ({lst['mcpea'].count}/{lst['bare'].count})",
            rate(lst["mcpea"].rate),
            rate(lst["bare"].rate),
            ratio(lst["mcpea"].rate, lst["bare"].rate),
            "info",
        )
    )
    rows.append(
        Row(
            "  server CPU per tools/list",
            ms(lst["mcpea"].cpu_per_call),
            ms(lst["bare"].cpu_per_call),
            ratio(lst["mcpea"].cpu_per_call, lst["bare"].cpu_per_call),
            "info",
        )
    )
    rss = stdio["rss_kb"]
    rows.append(
        Row(
            "stdio peak RSS (VmHWM) after the calls",
            f"{rss['mcpea'] / 1024:.1f} MB",
            f"{rss['bare'] / 1024:.1f} MB",
            ratio(rss["mcpea"], rss["bare"]),
            "info",
            diag=f"{rss['bare-thread'] / 1024:.1f} MB",
        )
    )

    http = results["http"]
    round_trip_rows("HTTP tools/call, concurrency 1", http["c1"], "round trips HTTP c=1", diag="hub-app")
    round_trip_rows(
        f"HTTP tools/call, concurrency {CONCURRENCY}",
        http["c16"],
        f"round trips HTTP c={CONCURRENCY}",
        diag="hub-app",
    )
    proto = http.get("client_protocol", {}).get("mcpea", "?")
    round_trip_rows(
        f"HTTP mcp.client.Client ({proto}), c=1",
        http["client"],
        "round trips HTTP official client",
        diag="hub-app",
    )

    mem = results["burst"]
    single = {n: statistics.median(v) for n, v in mem["single"].items()}
    burst = {n: statistics.median(v) for n, v in mem["burst"].items()}
    rows.append(
        Row(
            f"in memory: blocking tool, one call ({SLEEP_SECONDS * 1000:.0f} ms sleep)",
            ms(single["mcpea"]),
            ms(single["bare"]),
            ratio(single["mcpea"], single["bare"]),
        )
    )
    rows.append(
        Row(
            f"in memory: {BURST} concurrent blocking calls, wall",
            ms(burst["mcpea"]),
            ms(burst["bare"]),
            ratio(burst["mcpea"], burst["bare"]),
        )
    )
    hub_x, bare_x = burst["mcpea"] / single["mcpea"], burst["bare"] / single["bare"]
    ok = hub_x <= BURST_TARGET
    rows.append(
        Row(
            f"  {BURST} concurrent wall / one call",
            f"{hub_x:.2f}x",
            f"{bare_x:.2f}x",
            ratio(hub_x, bare_x),
            f"<= {BURST_TARGET}x",
            verdict(ok),
        )
    )
    checks.append(
        (
            f"{BURST} blocking calls (in memory)",
            ok,
            f"{hub_x:.2f}x of one call <= {BURST_TARGET}x (bare: {bare_x:.2f}x)",
        )
    )

    single = {n: statistics.median(v) for n, v in http["single"].items()}
    burst = {n: statistics.median(v) for n, v in http["burst"].items()}
    rows.append(
        Row(
            "HTTP: blocking tool, one call",
            ms(single["mcpea"]),
            ms(single["bare"]),
            ratio(single["mcpea"], single["bare"]),
            "info",
            diag=ms(single["hub-app"]),
        )
    )
    rows.append(
        Row(
            f"HTTP: {BURST} concurrent blocking calls, wall",
            ms(burst["mcpea"]),
            ms(burst["bare"]),
            ratio(burst["mcpea"], burst["bare"]),
            "info",
            diag=ms(burst["hub-app"]),
        )
    )
    rows.append(
        Row(
            f"  {BURST} concurrent wall / one call",
            f"{burst['mcpea'] / single['mcpea']:.2f}x",
            f"{burst['bare'] / single['bare']:.2f}x",
            ratio(burst["mcpea"] / single["mcpea"], burst["bare"] / single["bare"]),
            "info",
            diag=f"{burst['hub-app'] / single['hub-app']:.2f}x",
        )
    )
    hr = http["rss_kb"]
    rows.append(
        Row(
            "HTTP peak RSS (VmHWM) at the end",
            f"{hr['mcpea'] / 1024:.1f} MB",
            f"{hr['bare'] / 1024:.1f} MB",
            ratio(hr["mcpea"], hr["bare"]),
            "info",
            diag=f"{hr['hub-app'] / 1024:.1f} MB",
        )
    )
    return rows, checks


def print_report(
    rows: list[Row], checks: list[tuple[str, bool, str]], quick: bool, notes: bool = True
) -> None:
    header = ("metric", "mcpea", "bare", "mcpea/bare", "target", "", "diag*")
    table = [header] + [
        (
            r.metric,
            r.mcpea,
            r.bare,
            f"{r.ratio:.2f}x" if not math.isnan(r.ratio) else "-",
            r.target,
            r.verdict,
            r.diag,
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    align = ["<", ">", ">", ">", "<", "<", ">"]
    print()
    print(
        f"MC-PEA core benchmark ({'quick' if quick else 'full'} run; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f})"
    )
    for i, row in enumerate(table):
        print("  ".join(f"{cell!s:{align[j]}{widths[j]}}" for j, cell in enumerate(row)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    if not notes:
        for name, ok, detail in checks:
            print(f"{verdict(ok)}  {name}: {detail}")
        return
    print(
        "* diag: stdio rows - the bare server with its echo tool run in a worker thread (like the hub's sync"
    )
    print(
        "  tool); HTTP rows - the hub's own http_app() served with uvicorn binding the socket"
        " (bench/hub_app_server.py)."
    )
    print()
    for name, ok, detail in checks:
        print(f"{verdict(ok)}  {name}: {detail}")


def to_json(results: dict[str, Any]) -> Any:
    if isinstance(results, Series):
        return {
            "count": results.count,
            "wall": results.wall,
            "rate": results.rate,
            "p50": results.p(50),
            "p99": results.p(99),
            "server_cpu": results.cpu,
            "server_cpu_per_call": results.cpu_per_call,
        }
    if isinstance(results, dict):
        return {k: to_json(v) for k, v in results.items()}
    if isinstance(results, list):
        return [to_json(v) for v in results]
    return results


# --------------------------------------------------------------------------
# --profile: cProfile inside both servers over stdio
# --------------------------------------------------------------------------

CATEGORIES = [
    ("pluggy", "/pluggy/"),
    ("pydantic", "/pydantic"),
    ("mcpea_core", "/mcpea_core/"),
    ("mcpea plugin", "/mcpea_plugin_example/"),
    ("mcp (sdk)", "/mcp/"),
    ("mcp_types", "/mcp_types/"),
    ("anyio", "/anyio/"),
    ("asyncio", "/asyncio/"),
    ("json", "/json/"),
    ("threading/queue", "/threading.py"),
    ("starlette/uvicorn/sse", "/starlette/"),
]


def _category(filename: str) -> str:
    for label, needle in CATEGORIES:
        if needle in filename:
            return label
    if filename.startswith("~") or filename == "~":
        return "builtins (C)"
    return "other"


def profile(calls: int, top: int) -> None:
    import pstats

    tmp = Path(tempfile.mkdtemp(prefix="mcpea-bench-prof-"))
    argv = {
        "mcpea": [PY, "-m", "cProfile", "-o", str(tmp / "mcpea.prof"), MCPEA, "serve"],
        "bare": [PY, "-m", "cProfile", "-o", str(tmp / "bare.prof"), BARE],
    }
    for name, args in argv.items():
        server = StdioServer(name, args)
        try:
            server.initialize()
            t = time.perf_counter()
            for _ in range(calls):
                server.call_echo()
            echo_wall = time.perf_counter() - t
            for _ in range(calls // 10):
                server.list_tools()
        finally:
            server.close()
        log(f"{name}: {calls} echo calls under cProfile in {echo_wall:.2f}s")
    for name in argv:
        path = tmp / f"{name}.prof"
        if not path.exists():
            raise HarnessError(f"{name}: no profile written at {path}")
        stats = pstats.Stats(str(path))
        totals: dict[str, float] = {}
        for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            cat = _category(filename)
            totals[cat] = totals.get(cat, 0.0) + tt
        grand = sum(totals.values())
        print(
            f"\n=== {name}: own time by package over start-up + {calls} tools/call"
            f" + {calls // 10} tools/list (main thread; total {grand:.2f}s) ==="
        )
        for cat, tt in sorted(totals.items(), key=lambda kv: -kv[1]):
            print(f"  {cat:<24} {tt:7.3f}s  {tt / grand * 100:5.1f}%")
        print(f"\n--- {name}: top {top} by cumulative time ---")
        stats.sort_stats("cumulative").print_stats(top)
        print(f"--- {name}: top {top} by own time ---")
        stats.sort_stats("tottime").print_stats(top)
    print(f"profiles kept in {tmp} (python -m pstats FILE)")


# --------------------------------------------------------------------------


def _harness_error(exc: BaseException) -> HarnessError | None:
    """The ``HarnessError`` behind ``exc``, looking inside task groups' exception groups."""
    if isinstance(exc, HarnessError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _harness_error(inner)
            if found is not None:
                return found
    return None


def _on_signal(signum: int, _frame: Any) -> None:
    raise Aborted(f"stopped by signal {signal.Signals(signum).name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark `mcpea serve` against a bare low-level MCP server."
    )
    parser.add_argument("--quick", action="store_true", help="smaller counts: under a minute")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="run both servers under cProfile over stdio instead"
    )
    parser.add_argument("--profile-calls", type=int, default=3000, help="tools/call round trips to profile")
    parser.add_argument(
        "--only-example", action="store_true", help="load only the example plugin (default: all first-party too)"
    )
    parser.add_argument(
        "--plugins", metavar="A,B", help="first-party plugins to load besides the example one (default: all)"
    )
    parser.add_argument(
        "--startup-only", action="store_true", help="measure only the stdio start-up (for iterating on it)"
    )
    parser.add_argument(
        "--startup-pairs", type=int, metavar="N", help="pairs of start-up spawns (default: 3 quick, 8 full)"
    )
    args = parser.parse_args(argv)
    if not args.only_example:
        only = set(args.plugins.split(",")) if args.plugins else None
        log("hub plugins: example + " + (", ".join(use_first_party_plugins(only)) or "no first-party plugin installed"))
    # A pip-installed wheel ships compiled bytecode; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would recompile ~40 modules on every spawn.
    sources = [str(REPO / "mcpea_core")]
    for pattern in ("plugins/*/mcpea_plugin_*", "tests/plugins/*/mcpea_plugin_*"):
        sources += [str(path) for path in REPO.glob(pattern)]
    subprocess.run([PY, "-m", "compileall", "-q", *sources], check=False, stdout=subprocess.DEVNULL)
    plan = QUICK if args.quick else FULL
    if args.startup_pairs:
        plan = dataclasses.replace(plan, startup_pairs=args.startup_pairs)

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, _on_signal)
    signal.alarm(int(plan.hard_limit))
    if not os.path.exists(MCPEA):
        print(f"harness error: no mcpea console script at {MCPEA}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        if args.profile:
            profile(args.profile_calls, 25)
            return 0
        results: dict[str, Any] = {}
        log(f"stdio start-up: {plan.startup_pairs} pairs of spawns (+1 warm-up each)")
        results["startup"] = bench_startup(plan)
        if args.startup_only:
            rows, checks = startup_report(results["startup"])
            print_report(rows, checks, args.quick, notes=False)
            if args.json:
                Path(args.json).write_text(json.dumps(to_json(results), indent=2))
            return 1 if args.check and not all(ok for _, ok, _ in checks) else 0
        log("stdio: sequential tools/call and tools/list round trips")
        results["stdio"] = bench_stdio(plan)
        log(f"in memory: {BURST} concurrent calls of the {SLEEP_SECONDS * 1000:.0f} ms blocking tool")
        results["burst"] = bench_burst_inmemory(plan)
        log("HTTP: starting servers")
        results["http"] = bench_http(plan)
        rows, checks = build_report(results)
        print_report(rows, checks, args.quick)
        print(f"\n(total {time.perf_counter() - started:.0f}s; peak RSS from /proc/PID/status VmHWM)")
        if args.json:
            Path(args.json).write_text(json.dumps(to_json(results), indent=2))
        if args.check and not all(ok for _, ok, _ in checks):
            return 1
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 2
    except Exception as exc:
        harness = _harness_error(exc)
        if harness is not None:
            print(f"\nharness error: {harness}", file=sys.stderr)
        else:
            traceback.print_exc()
        return 2
    finally:
        signal.alarm(0)
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
