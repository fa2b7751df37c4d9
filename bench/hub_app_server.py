"""Diagnostic: the hub's own ASGI app (``hub.http_app()``) served the way the bare server is.

``mcpea serve --transport http`` binds its listening socket itself and hands
it to uvicorn. This script builds the very same app (same ``Hub``, same
plugins from ``MCPEA_LOAD_PLUGINS``, same security settings) but lets uvicorn
bind 127.0.0.1, exactly like ``bench/bare_server.py`` does. Comparing the
two separates what the hub's request pipeline costs from what the way
``mcpea serve`` sets up its socket costs.

Usage::

    MCPEA_LOAD_PLUGINS=example python bench/hub_app_server.py --port 0

Announces ``hub-app: serving MCP at http://127.0.0.1:PORT/mcp`` on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import anyio


async def serve(port: int) -> None:
    import uvicorn

    from mcpea_core.hub import Hub

    host = "127.0.0.1"
    hub = Hub()
    hub.config.server.host = host
    hub.load()
    app = hub.http_app()
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
        print(
            f"hub-app: serving MCP at http://{host}:{bound}{hub.config.server.path}",
            file=sys.stderr,
            flush=True,
        )

    uv.startup = startup  # type: ignore[method-assign]
    await uv.serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    args = parser.parse_args(argv)
    try:
        anyio.run(serve, args.port)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
