"""Sustained audit ingest: how many records per second each audit store commits.

Each simulated tool call appends a start record and then an end record,
awaiting each append, exactly as the audit plugin does; ``--concurrency``
calls run at once for ``--seconds`` after a short warm-up. The figure is
records committed into the database per second, with the commits
(transactions) it took and the append latency (for SQLite with
``synchronous=NORMAL`` an append returns once its record is in the journal;
the records/s still count only what reached the database). Targets on a 2-core machine:
SQLite >= 3,000 records/s, PostgreSQL >= 1,500 records/s. At concurrency 1 every append waits
for the one before it to commit, so for PostgreSQL that row measures the commit round trip
(a WAL fsync each), not how much a hub serving many calls at once can write.

Usage::

    python bench/bench_audit.py                              # SQLite and JSONL, plus PostgreSQL if configured
    python bench/bench_audit.py --stores sqlite --synchronous FULL
    MCPEA_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test python bench/bench_audit.py

PostgreSQL is found from ``--postgres-url``, ``MCPEA_BENCH_POSTGRES_URL`` or
``MCPEA_TEST_POSTGRES_URL``; the benchmark writes into a schema of its own
and drops it afterwards. SQLite and JSONL files go to a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.lowlevel

from mcpea_core.audit import AuditRecord, open_store
from mcpea_core.audit._writer import ThreadedStore

TARGETS = {"sqlite": 3000.0, "postgresql": 1500.0}
TOOL = "stripe_create_payment_intent"
ARGUMENTS = {
    "customer": "cus_P5cRcL0QWqS6Rm",
    "amount": 1999,
    "currency": "eur",
    "metadata": {"order": "A-1042"},
}


@dataclass
class Result:
    store: str
    concurrency: int
    records: int
    seconds: float
    commits: int
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.records / self.seconds


async def ingest(url: str, concurrency: int, seconds: float, warmup: float) -> Result:
    store = await open_store(url)
    assert isinstance(store, ThreadedStore)
    latencies: list[float] = []
    measuring = False
    deadline = time.perf_counter() + warmup + seconds

    async def caller(worker: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            call_id = f"{worker}-{n}"
            began = time.perf_counter()
            await store.append_start(
                AuditRecord(call_id, "start", TOOL, "user:ada", "bench", arguments=ARGUMENTS)
            )
            middle = time.perf_counter()
            await store.append_end(
                AuditRecord(
                    call_id,
                    "end",
                    TOOL,
                    "user:ada",
                    "bench",
                    outcome="success",
                    duration_ms=12.5,
                    upstream={"request_ids": ["req_8RzPqXcYb"], "idempotency_keys": [f"mcpea-{call_id}"]},
                )
            )
            if measuring:
                latencies.extend(((middle - began) * 1000, (time.perf_counter() - middle) * 1000))
            # A store that accepts into a journal returns without suspending; a real call yields anyway.
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        for worker in range(concurrency):
            group.start_soon(caller, worker)
        await anyio.sleep(warmup)
        measuring = True
        records, commits, began = store.stats.records, store.stats.commits, time.perf_counter()
        await anyio.sleep(seconds)
        records, commits = store.stats.records - records, store.stats.commits - commits
        elapsed = time.perf_counter() - began
    report = await store.verify()
    await store.close()
    if not report.complete:
        raise SystemExit(f"{url}: the chain does not verify after the run: {report}")
    return Result(url.split(":", 1)[0], concurrency, records, elapsed, commits, latencies)


def show(result: Result) -> None:
    lat = sorted(result.latencies_ms)
    p50 = statistics.median(lat) if lat else 0.0
    p99 = lat[int(len(lat) * 0.99)] if lat else 0.0
    target = TARGETS.get(result.store)
    ratio = f"{result.rate / target:5.2f}x of {target:,.0f}/s target" if target else "(no target)"
    per_commit = result.records / result.commits if result.commits else 0.0
    print(
        f"{result.store:<11} concurrency {result.concurrency:>3}: {result.rate:>8,.0f} records/s  {ratio}  "
        f"| {result.commits:,} commits, {per_commit:5.1f} records/commit "
        f"| append p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )


def drop_schema(base: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--stores", default="sqlite,jsonl,postgresql")
    parser.add_argument(
        "--concurrency", default="1,16,64", help="comma-separated numbers of concurrent calls"
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--synchronous", default="NORMAL", help="SQLite synchronous: NORMAL or FULL")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("MCPEA_BENCH_POSTGRES_URL") or os.environ.get("MCPEA_TEST_POSTGRES_URL"),
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.seconds:g} s per run")
    with tempfile.TemporaryDirectory(prefix="mcpea-bench-audit-") as tmp:
        for kind in args.stores.split(","):
            for concurrency in levels:
                name = f"{kind}-{concurrency}-{uuid.uuid4().hex[:6]}"
                if kind == "sqlite":
                    url = f"sqlite://{Path(tmp) / name}.sqlite3?synchronous={args.synchronous}"
                elif kind == "jsonl":
                    url = f"jsonl://{Path(tmp) / name}.jsonl"
                elif kind == "postgresql":
                    if not args.postgres_url:
                        print("postgresql: skipped (set MCPEA_BENCH_POSTGRES_URL or --postgres-url)")
                        break
                    schema = f"mcpea_bench_{name.replace('-', '_')}"
                    url = f"{args.postgres_url}{'&' if '?' in args.postgres_url else '?'}schema={schema}"
                else:
                    raise SystemExit(f"unknown store {kind!r}")
                try:
                    show(await ingest(url, concurrency, args.seconds, args.warmup))
                finally:
                    if kind == "postgresql":
                        drop_schema(args.postgres_url, schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(anyio.run(main))
