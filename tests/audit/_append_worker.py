"""Run as a separate OS process by the multi-process tests: append calls to a store, on cue.

Usage: python _append_worker.py STORE_URL HUB_NAME CALLS

Prints ``ready`` once the store is open, waits for a line on stdin, appends
CALLS start and end records from 20 concurrent tasks, prints ``done``.
"""

from __future__ import annotations

import sys

import anyio
import anyio.to_thread

from mcpea_core.audit import AuditRecord, open_store


async def main(url: str, hub: str, calls: int) -> None:
    store = await open_store(url)
    print("ready", flush=True)
    await anyio.to_thread.run_sync(sys.stdin.readline)
    pending = iter(range(calls))

    async def worker() -> None:
        for i in pending:
            common = {"call_id": f"{hub}-{i}", "tool": "example_echo_text", "principal": "p", "hub": hub}
            await store.append_start(AuditRecord(phase="start", arguments={"i": i}, **common))  # type: ignore[arg-type]
            await store.append_end(AuditRecord(phase="end", outcome="success", duration_ms=0.1, **common))  # type: ignore[arg-type]

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(worker)
    await store.close()
    print("done", flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]))
