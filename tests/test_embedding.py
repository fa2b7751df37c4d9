"""Embedding the hub in an application: in-process calls, a mounted ASGI app, an in-memory client."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest
import uvicorn
from mcp.client import Client
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from mcpea_core import Hub, UnknownToolError

pytestmark = pytest.mark.anyio


async def test_call_tool_in_process() -> None:
    async with Hub() as hub:
        result = await hub.call_tool("example_echo_text", {"text": "lib"})
        with pytest.raises(UnknownToolError, match="example_nothing"):
            await hub.call_tool("example_nothing", {})
    assert result.structured_content == {"echoed": "Hello: lib", "length": 3}


async def test_in_memory_client() -> None:
    async with Hub().client() as client:
        result = await client.call_tool("example_echo_text", {"text": "mem"})
    assert result.structured_content == {"echoed": "Hello: mem", "length": 3}


async def test_mount_into_a_starlette_app() -> None:
    hub = Hub()

    async def home(request: object) -> PlainTextResponse:
        return PlainTextResponse("the host application")

    app = Starlette(
        routes=[Route("/", home), Mount("/hub", app=hub.http_app())],
        lifespan=hub.lifespan,
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: server.serve(sockets=[sock]))
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            async with httpx.AsyncClient() as http:
                assert (await http.get(f"http://127.0.0.1:{port}/")).text == "the host application"
                ready = await http.get(f"http://127.0.0.1:{port}/hub/readyz")
            async with Client(f"http://127.0.0.1:{port}/hub/mcp") as client:
                result = await client.call_tool("example_echo_text", {"text": "mounted"})
        finally:
            server.should_exit = True
    assert ready.json()["status"] == "ready"
    assert result.structured_content == {"echoed": "Hello: mounted", "length": 7}
    assert not hub.ready
