"""``mcpea serve`` freezes its start-up heap, on stdio and over HTTP (``mcpea_core._heap``).

A throw-away plugin's tool reports ``gc.get_freeze_count()`` from inside the real served
process: the objects start-up made (tens of thousands) are out of the collector's way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from _support import ServedHub, mcpea_command
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

HEAP_PLUGIN = '''
import gc

from mcpea_core import hookimpl


def heap_frozen_objects() -> dict:
    """How many objects the collector leaves alone, and how many it still tracks."""
    return {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}


@hookimpl
def register_tools(register):
    register(heap_frozen_objects)
'''

# The example plugin alone leaves ~85,000 tracked objects after start-up; far fewer are made later.
STARTUP_OBJECTS = 20_000


def env_with(site: Path) -> dict[str, str]:
    env = dict(os.environ, MCPEA_LOAD_PLUGINS="heap,example", MCPEA_AUDIT_STORE="off")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env.pop("MCPEA_CONFIG", None)
    return env


async def frozen_and_tracked(client: Client) -> tuple[int, int]:
    await client.call_tool("example_echo_text", {"text": "some garbage first"})
    result = await client.call_tool("heap_frozen_objects", {})
    assert result.is_error is False, result.content
    counts = json.loads(result.content[0].text)  # type: ignore[union-attr]
    return counts["frozen"], counts["tracked"]


@pytest.mark.anyio
async def test_stdio_server_freezes_its_startup_heap(make_dist: Callable[..., Path]) -> None:
    site = make_dist("heap", HEAP_PLUGIN)
    params = StdioServerParameters(command=mcpea_command(), args=["serve"], env=env_with(site))
    with anyio.fail_after(60):
        async with Client(params) as client:
            frozen, tracked = await frozen_and_tracked(client)
    assert frozen > STARTUP_OBJECTS
    assert frozen > tracked  # most of the heap is start-up's


@pytest.mark.anyio
async def test_http_server_freezes_its_startup_heap(make_dist: Callable[..., Path]) -> None:
    site = make_dist("heap", HEAP_PLUGIN)
    served = ServedHub(env=env_with(site))
    try:
        with anyio.fail_after(60):
            async with Client(served.url) as client:
                frozen, tracked = await frozen_and_tracked(client)
    finally:
        served.stop()
    assert frozen > STARTUP_OBJECTS
    assert frozen > tracked
