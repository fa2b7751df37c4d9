"""Serving the hub over stdio (``mcpea serve``, the default transport)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp.server.stdio import stdio_server

if TYPE_CHECKING:
    from .hub import Hub

__all__ = ["serve_stdio"]


async def serve_stdio(hub: Hub) -> None:
    """Serve MCP on this process's stdin/stdout until stdin closes."""
    server = hub.mcp_server
    server.mcpea_handlers.stdio = True  # type: ignore[attr-defined]
    await hub.start()
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await hub.stop()
