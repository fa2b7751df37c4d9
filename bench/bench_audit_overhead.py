#!/usr/bin/env python
"""What the durable audit trail costs a tool call: ``mcpea serve`` with SQLite audit vs audit off.

Run from the repository root::

    .venv/bin/python bench/bench_audit_overhead.py            # about 25 seconds
    .venv/bin/python bench/bench_audit_overhead.py --quick    # about 5 seconds
    .venv/bin/python bench/bench_audit_overhead.py --check    # exit 1 when a target fails

Three ``mcpea serve`` processes over stdio, identical but for the audit store
(``MCPEA_AUDIT_STORE``):
``off``, ``sqlite:///...`` (the default durability, ``synchronous=NORMAL``:
survives a crash) and ``sqlite:///...?synchronous=FULL`` (survives power
loss too). Each serves the test plugin ``example`` only; the driver is bench_core's
raw JSON-RPC stdio client (no client library in the way). Two loads, each
alternating between the servers in blocks so all share the machine's noise:

* sequential ``tools/call example_echo_text`` round trips (one in flight);
* pipelined: 16 requests written at once, then their 16 answers read (group
  commit lets concurrent calls share one SQLite commit).

Reported per server: calls/s, latency p50/p99, the server's CPU per call, and
the ratio of calls/s to audit off. Both count everything the server does, also
after its answers are out (the audited hub's writer thread moves records into
SQLite in the background): each server is charged the CPU it used during the
other servers' blocks and at the end, and those blocks lose it (``Ledger``).
Target: audit on >= 0.85x audit off (reported, not asserted, unless ``--check``).
Afterwards each audited trail is verified: intact, complete, two records per call made.

With two or more CPUs the driver is pinned to the first and the servers to
the others (``--no-pin`` lets the scheduler place them): unpinned, where the
scheduler puts each server moves its ratio by up to ±0.2 between identical
servers in one run on a 2-core machine.

Every loop is bounded in count and time, there is a hard time limit, and every
child is stopped at the end (also on error, Ctrl-C or SIGTERM). Exit status:
0, 1 with ``--check`` when a target fails, 2 when the harness breaks.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_core as core  # noqa: E402  (the stdio driver, statistics, child-process bookkeeping)
from bench_core import Budget, HarnessError, Series, StdioServer  # noqa: E402

TARGET = 0.85
WINDOW = 16


@dataclass(frozen=True)
class Plan:
    sequential: Budget
    pipelined: Budget  # count: calls; block: calls per turn (a multiple of WINDOW)
    hard_limit: float


FULL = Plan(Budget(3000, 8.0, 250), Budget(6000, 8.0, 480), hard_limit=240.0)
QUICK = Plan(Budget(800, 2.5, 200), Budget(1600, 2.5, 320), hard_limit=120.0)


# Run a command on the given CPUs (execs it: the process, its pid and its CPU figures stay the same).
_PINNED = (
    "import os, sys; os.sched_setaffinity(0, {int(c) for c in sys.argv[1].split(',')}); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


def store_urls(directory: Path, with_full: bool) -> dict[str, str]:
    urls = {"audit off": "off", "sqlite NORMAL": f"sqlite://{directory / 'normal.sqlite3'}"}
    if with_full:
        urls["sqlite FULL"] = f"sqlite://{directory / 'full.sqlite3'}?synchronous=FULL"
    return urls


def pinning() -> tuple[set[int], set[int]] | None:
    """CPUs for (this driver, the servers) when there are two or more: each side keeps its own core.

    Unpinned, the scheduler's placement of each server (beside the driver or not) moves a
    ratio by up to ±0.2 between identical servers in one run on a 2-core machine.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return {cpus[0]}, set(cpus[1:])


def start_servers(urls: dict[str, str], cpus: set[int] | None = None) -> dict[str, StdioServer]:
    servers: dict[str, StdioServer] = {}
    for name, url in urls.items():
        # bench_core's environment (example plugin, no config, audit off) with this server's store:
        # env(1) execs mcpea in the same process, so the CPU figures are the hub's own.
        argv = ["/usr/bin/env", f"MCPEA_AUDIT_STORE={url}", core.MCPEA, "serve"]
        if cpus is not None:
            argv = [sys.executable, "-c", _PINNED, ",".join(map(str, sorted(cpus))), *argv]
        servers[name] = StdioServer(name, argv)
    for server in servers.values():
        server.initialize()
        for _ in range(50):  # warm-up: imports, caches, the SQLite file
            server.call_echo()
    return servers


def sequential(server: StdioServer, n: int, series: Series) -> None:
    """``n`` tools/call round trips, one in flight."""
    for _ in range(n):
        began = time.perf_counter()
        server.call_echo()
        series.latencies.append(time.perf_counter() - began)


def pipelined(server: StdioServer, n: int, series: Series) -> None:
    """Write ``n`` tools/call requests at once, then read their answers; latency per request."""
    ids = []
    for _ in range(n):
        server.next_id += 1
        ids.append(server.next_id)
    began = time.perf_counter()
    for rid in ids:
        server.send(
            {
                "jsonrpc": "2.0",
                "id": rid,
                "method": "tools/call",
                "params": {"name": "example_echo_text", "arguments": core.ECHO_ARGS},
            }
        )
    waiting = set(ids)
    deadline = began + 30.0
    while waiting:
        answer = server.read_message(deadline)
        if answer.get("id") not in waiting:
            continue  # a notification
        if "error" in answer:
            raise HarnessError(f"{server.name}: tools/call answered with an error: {answer['error']}")
        core.check_echo(server.name, answer["result"])
        waiting.discard(answer["id"])
        series.latencies.append(time.perf_counter() - began)


def thread_cpu_seconds(pid: int) -> float:
    """On-CPU time of every thread of a live process, in nanoseconds' precision (/proc/PID/task/*/schedstat).

    /proc/PID/stat counts in 10 ms ticks: too coarse for blocks of a tenth of a second.
    """
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (OSError, IndexError, ValueError):  # a thread that just ended
            continue
    return total / 1e9


class Ledger:
    """Charges each server for all the CPU it uses, whenever it uses it.

    The servers share one core, and an audited hub keeps working after its answers are out
    (its writer thread moves accepted records into SQLite every ``gather_delay``). Timing only
    each server's own blocks would credit that work to whichever server runs next. So each
    block's wall time loses the CPU other servers used during it, and each server's time
    gains the CPU it used outside its own blocks (including a final drain at the end):

        time(S) = sum over S's blocks (wall - CPU of the others meanwhile) + CPU of S outside them
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start = self.read()
        self.own: dict[str, float] = dict.fromkeys(pids, 0.0)  # CPU used within its own blocks
        self.time: dict[str, float] = dict.fromkeys(pids, 0.0)  # wall of its blocks, less the others' CPU

    def read(self) -> dict[str, float]:
        return {name: thread_cpu_seconds(pid) for name, pid in self.pids.items()}

    def block(self, name: str, run: Callable[[], None]) -> None:
        before = self.read()
        began = time.perf_counter()
        run()
        wall = time.perf_counter() - began
        after = self.read()
        self.own[name] += after[name] - before[name]
        self.time[name] += wall - sum(after[o] - before[o] for o in self.pids if o != name)

    def settle(self, quiet: float = 0.25, limit: float = 10.0) -> dict[str, tuple[float, float]]:
        """Wait until every server is idle; per server, (time charged, CPU used) since the start."""
        deadline = time.perf_counter() + limit
        last = self.read()
        while time.perf_counter() < deadline:
            time.sleep(quiet)
            now = self.read()
            if all(now[n] - last[n] < 0.002 for n in now):
                break
            last = now
        end = self.read()
        charged = {}
        for name in self.pids:
            used = end[name] - self.start[name]
            charged[name] = (self.time[name] + used - self.own[name], used)
        return charged


def alternate(
    servers: dict[str, StdioServer],
    budget: Budget,
    load: Callable[[StdioServer, int, Series], None],
    step: int = 1,
) -> dict[str, Series]:
    """Blocks of ``load`` (``step`` calls at a time), alternating between servers, charged by a ``Ledger``.

    Each series' ``wall`` is the time charged to its server and ``cpu`` all the CPU it used.
    """
    series = {name: Series(cpu=0.0) for name in servers}
    ledger = Ledger({name: server.proc.pid for name, server in servers.items()})
    order = list(servers)
    spent = dict.fromkeys(servers, 0.0)  # wall of each server's blocks, for the time budget
    while True:
        active = [n for n in order if series[n].count < budget.count and spent[n] < budget.seconds]
        if not active:
            break
        for name in active:
            s, server = series[name], servers[name]
            quota = min(budget.block, budget.count - s.count)
            stop_at = time.perf_counter() + (budget.seconds - spent[name])

            def run(
                s: Series = s, server: StdioServer = server, quota: int = quota, stop_at: float = stop_at
            ) -> None:
                left = quota
                while left > 0 and time.perf_counter() < stop_at:
                    n = min(step, left)
                    load(server, n, s)
                    left -= n

            began = time.perf_counter()
            ledger.block(name, run)
            spent[name] += time.perf_counter() - began
        order.reverse()
    for name, (charged, used) in ledger.settle().items():
        series[name].wall, series[name].cpu = charged, used
    return series


def verify_trails(urls: dict[str, str], calls: dict[str, int]) -> dict[str, str]:
    """Each audited trail is intact and complete, with a start and an end record per call."""
    import anyio

    from mcpea_core.audit import store_from_url

    async def check(url: str) -> tuple[bool, int, int]:
        store = store_from_url(url)
        try:
            report = await store.verify()
        finally:
            await store.close()
        return report.complete, report.records, len(report.errors)

    found = {}
    for name, url in urls.items():
        if url == "off":
            continue
        complete, records, errors = anyio.run(check, url)
        expected = 2 * calls[name]
        ok = complete and records == expected
        found[name] = (
            f"{'ok' if ok else 'FAILED'}: {records} records (expected {expected}), "
            f"{errors} error(s), {'complete' if complete else 'INCOMPLETE'}"
        )
        if not ok:
            raise HarnessError(f"{name}: the audit trail does not verify: {found[name]}")
    return found


@dataclass
class Row:
    load: str
    name: str
    series: Series
    ratio: float

    def cells(self) -> list[str]:
        s = self.series
        ratio = "1.00x (base)" if self.name == "audit off" else f"{self.ratio:.2f}x"
        verdict = "" if self.name == "audit off" else ("ok" if self.ratio >= TARGET else "BELOW TARGET")
        return [
            self.load,
            self.name,
            f"{s.count}",
            f"{s.rate:,.0f}",
            f"{s.p(50) * 1000:.2f} / {s.p(99) * 1000:.2f}",
            f"{s.cpu_per_call * 1000:.2f}" if not math.isnan(s.cpu_per_call) else "-",
            ratio,
            verdict,
        ]


def report(results: dict[str, dict[str, Series]]) -> list[Row]:
    rows = []
    for load, series in results.items():
        base = series["audit off"].rate
        for name, s in series.items():
            rows.append(Row(load, name, s, s.rate / base if base else math.nan))
    header = [
        "load",
        "server",
        "calls",
        "calls/s",
        "p50 / p99 ms",
        "CPU ms/call",
        "vs audit off",
        f">= {TARGET}x",
    ]
    table = [header] + [row.cells() for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, cells in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts: about 5 seconds")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--no-full", action="store_true", help="leave out the synchronous=FULL server")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument(
        "--no-pin", action="store_true", help="let the scheduler place the driver and the servers"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, core._on_signal)
    signal.alarm(int(plan.hard_limit))
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="mcpea-bench-audit-") as tmp:
            urls = store_urls(Path(tmp), with_full=not args.no_full)
            pins = None if args.no_pin else pinning()
            if pins is not None:
                os.sched_setaffinity(0, pins[0])
                core.log(f"driver pinned to CPU {sorted(pins[0])}, servers to CPU {sorted(pins[1])}")
            core.log(f"starting {len(urls)} stdio servers: {', '.join(urls)}")
            servers = start_servers(urls, pins[1] if pins is not None else None)
            try:
                core.log("sequential tools/call round trips")
                results = {"sequential": alternate(servers, plan.sequential, sequential)}
                core.log(f"pipelined tools/call, {WINDOW} in flight")
                results[f"{WINDOW} in flight"] = alternate(servers, plan.pipelined, pipelined, WINDOW)
            finally:
                for server in servers.values():
                    server.close()
            calls = {n: 50 + sum(r[n].count for r in results.values()) for n in urls}
            trails = verify_trails(urls, calls)
        print()
        rows = report(results)
        print()
        for name, verdict in trails.items():
            print(f"audit trail of {name}: {verdict}")
        print(f"(total {time.perf_counter() - started:.0f}s; every child stopped)")
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    [
                        {
                            "load": r.load,
                            "server": r.name,
                            "calls": r.series.count,
                            "calls_per_s": r.series.rate,
                            "p50_ms": r.series.p(50) * 1000,
                            "p99_ms": r.series.p(99) * 1000,
                            "cpu_ms_per_call": r.series.cpu_per_call * 1000,
                            "ratio_vs_off": r.ratio,
                        }
                        for r in rows
                    ],
                    indent=2,
                )
            )
        failed = [r for r in rows if r.name != "audit off" and not r.ratio >= TARGET]
        return 1 if args.check and failed else 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 2
    except Exception as exc:
        harness = core._harness_error(exc)
        if harness is not None:
            print(f"\nharness error: {harness}", file=sys.stderr)
        else:
            traceback.print_exc()
        return 2
    finally:
        signal.alarm(0)
        core.stop_all()


if __name__ == "__main__":
    sys.exit(main())
