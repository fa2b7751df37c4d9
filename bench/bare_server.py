"""A bare MCP server on the SDK's low-level ``Server``: the baseline for ``bench_core.py``.

It serves the same two tools as the hub's test plugin ``example``, under the
same names so the benchmark can drive both servers identically:

* ``example_echo_text`` {"text": str, "times"?: int} -> the same result shape
  as the plugin (``structuredContent`` {"echoed", "length"} plus its JSON as text);
  runs inline on the event loop (``--sync-echo``: in a worker thread instead,
  like the hub runs a sync plugin tool);
* ``example_block_sleep`` {"seconds": float} -> blocks a worker thread with
  ``time.sleep`` via ``anyio.to_thread.run_sync`` (default thread limiter).

Usage::

    python bench/bare_server.py                      # stdio
    python bench/bare_server.py --transport http --port 0

Over HTTP it binds 127.0.0.1 only and announces
``bare: serving MCP at http://127.0.0.1:PORT/mcp`` on stderr once listening,
like ``mcpea serve --transport http`` does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

ECHO_INPUT = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "What to echo back."},
        "times": {
            "type": "integer",
            "minimum": 1,
            "maximum": 10,
            "default": 1,
            "description": "How many times.",
        },
    },
    "required": ["text"],
}
ECHO_OUTPUT = {
    "type": "object",
    "properties": {"echoed": {"type": "string"}, "length": {"type": "integer"}},
    "required": ["echoed", "length"],
}
SLEEP_INPUT = {
    "type": "object",
    "properties": {"seconds": {"type": "number", "minimum": 0, "maximum": 5}},
    "required": ["seconds"],
}

TOOLS = [
    types.Tool(
        name="example_echo_text",
        description="Echo the text back, `times` times.",
        input_schema=ECHO_INPUT,
        output_schema=ECHO_OUTPUT,
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name="example_block_sleep",
        description="Block the calling thread for `seconds`.",
        input_schema=SLEEP_INPUT,
        annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
    ),
]


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def _echo(text: str, times: int) -> dict[str, Any]:
    joined = " ".join([text] * times)
    return {"echoed": f"Hello: {joined}", "length": len(joined)}


def build_server(sync_echo: bool = False) -> Server[Any]:
    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=TOOLS)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        args = params.arguments or {}
        if params.name == "example_echo_text":
            text, times = args.get("text"), args.get("times", 1)
            if not isinstance(text, str) or not isinstance(times, int) or not 1 <= times <= 10:
                return _error("invalid arguments for example_echo_text")
            if sync_echo:
                data = await anyio.to_thread.run_sync(_echo, text, times)
            else:
                data = _echo(text, times)
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=json.dumps(data))], structured_content=data
            )
        if params.name == "example_block_sleep":
            seconds = args.get("seconds")
            if not isinstance(seconds, int | float) or not 0 <= seconds <= 5:
                return _error("invalid arguments for example_block_sleep")
            await anyio.to_thread.run_sync(time.sleep, seconds)
            return types.CallToolResult(content=[types.TextContent(type="text", text=f"slept {seconds}")])
        raise MCPError(types.INVALID_PARAMS, f"Unknown tool: {params.name!r}")

    return Server("bare", version="0", on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(server: Server[Any]) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def serve_http(server: Server[Any], port: int) -> None:
    """Serve over Streamable HTTP the way ``uvicorn.run(app, host=..., port=...)`` does: uvicorn binds."""
    import uvicorn

    host = "127.0.0.1"
    app = server.streamable_http_app(streamable_http_path="/mcp", host=host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    uv = uvicorn.Server(config)
    original_startup = uv.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets=sockets)
        bound = uv.servers[0].sockets[0].getsockname()[1]
        print(f"bare: serving MCP at http://{host}:{bound}/mcp", file=sys.stderr, flush=True)

    uv.startup = startup  # type: ignore[method-assign]
    await uv.serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--port", type=int, default=0, help="HTTP port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--sync-echo", action="store_true", help="run the echo tool in a worker thread")
    args = parser.parse_args(argv)
    server = build_server(sync_echo=args.sync_echo)
    try:
        if args.transport == "stdio":
            anyio.run(serve_stdio, server)
        else:
            anyio.run(serve_http, server, args.port)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
