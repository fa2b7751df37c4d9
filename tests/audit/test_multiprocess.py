"""Two OS processes appending to one store at once extend one intact chain."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from mcpea_core.audit import RecordFilter, store_from_url

from ._support import STORE_KINDS

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

WORKER = Path(__file__).with_name("_append_worker.py")
CALLS = 300


def run_two_writers(url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, f"hub-{n}", str(CALLS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    try:
        for proc in procs:  # both stores open before either writes
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line == "ready\n", proc.stderr.read() if proc.stderr else line
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0 and out == "done\n", err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


@pytest.mark.parametrize("store_url", STORE_KINDS, indirect=True)
async def test_two_processes_append_at_once_and_the_chain_verifies(store_url: str) -> None:
    run_two_writers(store_url)
    store = store_from_url(store_url)
    try:
        report = await store.verify()
        hubs = [r.hub async for r in store.iter_records(RecordFilter(phase="start"))]
    finally:
        await store.close()
    assert report.ok and report.complete, report.problems[:3]
    assert report.records == 2 * 2 * CALLS
    assert sorted(set(hubs)) == ["hub-1", "hub-2"]
    if store_url.startswith(
        "postgresql"
    ):  # PostgreSQL queues lock waiters fairly; SQLite's busy wait may not
        switches = sum(1 for a, b in itertools.pairwise(hubs) if a != b)
        assert switches > 1, "the two processes did not write at the same time"
