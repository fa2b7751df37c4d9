"""Two ``mcpea serve`` processes writing one PostgreSQL audit trail at the same time.

Needs ``MCPEA_TEST_POSTGRES_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``);
skipped with a reason when it is unset. Each run writes into a schema of its
own (``?schema=`` in the store URL) and drops it afterwards.

Both hubs are driven at once by the official SDK client. Afterwards the trail
verifies as one intact, complete chain; it holds the records of both hub
processes, interleaved; and the counts match what was called, per hub.
The trail is read with ``mcpea audit verify --json`` and ``mcpea audit export``.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _support import ServedHub, mcpea_command
from mcp.client import Client

from mcpea_core.audit import AuditRecord

POSTGRES_ENV = "MCPEA_TEST_POSTGRES_URL"
CALLS_PER_HUB = 120
TASKS_PER_HUB = 4

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The store URL with a schema unique to this run; the schema is dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test) to run PostgreSQL tests"
        )
    import psycopg
    from psycopg import sql

    schema = f"mcpea_hubs_test_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{base}{'&' if '?' in base else '?'}schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [mcpea_command(), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def drive(url: str, name: str, start: anyio.Event, answered: set[str]) -> None:
    """``CALLS_PER_HUB`` echo calls from ``TASKS_PER_HUB`` tasks on one session, each with a unique text."""

    async def task(worker: int) -> None:
        await start.wait()
        for i in range(worker, CALLS_PER_HUB, TASKS_PER_HUB):
            text = f"{name}-{i}"
            result = await client.call_tool("example_echo_text", {"text": text})
            assert not result.is_error, result
            assert result.structured_content == {"echoed": f"Hello: {text}", "length": len(text)}
            answered.add(text)

    async with Client(url) as client:
        await client.list_tools()  # connected before the race starts
        async with anyio.create_task_group() as tg:
            for worker in range(TASKS_PER_HUB):
                tg.start_soon(task, worker)


async def test_two_hubs_extend_one_chain(
    postgres_url: str, subprocess_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "mcpea.toml"
    config.write_text(
        f'[hub]\nplugins = ["example"]\n\n[audit]\nstore = "{postgres_url}"\n', encoding="utf-8"
    )
    env = dict(subprocess_env)
    env.pop("MCPEA_AUDIT_STORE")  # the config file's [audit] store applies
    hubs = {name: ServedHub("--config", str(config), env=env) for name in ("hub-a", "hub-b")}
    answered: dict[str, set[str]] = {name: set() for name in hubs}
    try:
        start = anyio.Event()
        with anyio.fail_after(240):
            async with anyio.create_task_group() as tg:
                for name, hub in hubs.items():
                    tg.start_soon(drive, hub.url, name, start, answered[name])
                start.set()
    finally:
        for hub in hubs.values():
            hub.stop()
    for name, hub in hubs.items():
        assert hub.proc.returncode in (0, -15), f"{name} did not stop cleanly:\n{''.join(hub.stderr)}"
        assert len(answered[name]) == CALLS_PER_HUB

    # One intact chain, every call finished: `mcpea audit verify` exits 0.
    verified = run_cli(env, "audit", "verify", "--json", "--config", str(config))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["ok"] and not report["errors"] and not report["unfinished"]
    exported = run_cli(env, "audit", "export", "--config", str(config))
    assert exported.returncode == 0, exported.stderr
    records = [AuditRecord.from_dict(json.loads(line)) for line in exported.stdout.splitlines() if line]
    assert report["records"] == len(records) == 2 * 2 * CALLS_PER_HUB
    assert report["head"]["seq"] == records[-1].seq and report["head"]["hash"] == records[-1].hash
    assert [r.seq for r in records] == list(range(1, len(records) + 1))

    # The records of both hub processes, told apart by their instance id (host:pid:random).
    instances = {r.hub for r in records}
    assert len(instances) == 2
    pid_of = {int(instance.split(":")[-2]): instance for instance in instances}
    assert set(pid_of) == {hub.proc.pid for hub in hubs.values()}
    switches = sum(1 for a, b in itertools.pairwise(records) if a.hub != b.hub)
    assert switches >= 2, "the two hubs wrote at the same time, so their records interleave"

    # Counts match what was called, per hub: a start and a success end record for every answered call.
    for name, hub in hubs.items():
        mine = [r for r in records if r.hub == pid_of[hub.proc.pid]]
        starts = {r.call_id: r for r in mine if r.phase == "start"}
        ends = {r.call_id: r for r in mine if r.phase == "end"}
        assert len(starts) == len(ends) == CALLS_PER_HUB
        assert set(starts) == set(ends)
        assert {r.arguments["text"] for r in starts.values() if r.arguments} == answered[name]
        assert all(r.outcome == "success" and r.tool == "example_echo_text" for r in ends.values())
        assert all(r.transport == "http" for r in mine)
    print(f"\n{len(records)} records from 2 hubs in one chain, {switches} switches between them")
