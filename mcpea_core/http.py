"""Streamable HTTP: the ASGI app, health endpoints, and ``mcpea serve --transport http``.

DNS-rebinding protection (``Host`` and ``Origin`` checks) is always on: the
SDK only enables it by itself for apps built for a loopback host, so the hub
passes its own settings: loopback plus ``[server] allowed_hosts`` /
``allowed_origins``. Request bodies over ``[server] max_request_bytes`` get 413.

With an ``[auth]`` section the MCP endpoint needs a bearer JWT or an API key
(:mod:`mcpea_core.auth`); the health endpoints and the RFC 9728 metadata stay
open. Without one, the hub warns when it listens beyond loopback.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from mcp.server.streamable_http import EventStore
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._heap import freeze_startup_heap
from .errors import ConfigError

if TYPE_CHECKING:
    from .auth.wiring import HttpAuth
    from .hub import Hub

__all__ = ["build_http_app", "running", "serve_http", "transport_security"]

logger = logging.getLogger("mcpea.http")

_LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
_LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


def transport_security(allowed_hosts: list[str], allowed_origins: list[str]) -> TransportSecuritySettings:
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*_LOOPBACK_HOSTS, *allowed_hosts],
        allowed_origins=[*_LOOPBACK_ORIGINS, *allowed_origins],
    )


def _health_routes(hub: Hub) -> list[Route]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        failed = [p.name for p in hub.host.infos.values() if p.status == "failed"]
        body = {"status": "ready" if hub.ready else "starting", "tools": len(hub.tools), "failed_plugins": failed}
        return JSONResponse(body, status_code=200 if hub.ready else 503)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]


@asynccontextmanager
async def running(hub: Hub) -> AsyncIterator[None]:
    """Start the hub and its HTTP session manager; stop both on exit."""
    server = hub.mcp_server
    if getattr(server, "_session_manager", None) is None:
        build_http_app(hub)
    await hub.start()
    try:
        async with server.session_manager.run():
            yield
    finally:
        await hub.stop()


def _auth(hub: Hub) -> HttpAuth | None:
    """The gate for ``[auth]`` (``None`` without one), with the RBAC plugin registered."""
    from .auth.settings import is_loopback_host
    from .auth.wiring import HttpAuth, install_rbac, resource_url_for

    install_rbac(hub)
    section = getattr(hub.config, "auth", None)  # HubConfig's [auth] section, once it has one
    cfg = hub.config.server
    if section is None:
        if not is_loopback_host(cfg.host):
            logger.warning("serving on %s without [auth]: whoever reaches it can call every tool", cfg.host)
        return None
    resource_url = resource_url_for(section, host=cfg.host, port=cfg.port, path=cfg.path)
    return HttpAuth(section, resource_url=resource_url, resource_name=hub.config.hub.name)


def build_http_app(hub: Hub, *, event_store: EventStore | None = None, retry_interval: int | None = None) -> Starlette:
    """The hub's ASGI app; its lifespan starts and stops the hub."""
    cfg = hub.config.server
    server = hub.mcp_server
    auth = _auth(hub)
    routes = [*_health_routes(hub), *(auth.routes() if auth else [])]
    app = server.streamable_http_app(
        streamable_http_path=cfg.path,
        json_response=cfg.json_response,
        stateless_http=cfg.stateless,
        event_store=event_store,
        retry_interval=retry_interval,
        max_request_body_size=cfg.max_request_bytes,
        transport_security=transport_security(cfg.allowed_hosts, cfg.allowed_origins),
        host=cfg.host,
        custom_starlette_routes=routes,
    )
    if auth is not None:
        auth.protect(app, cfg.path)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with running(hub):
            yield

    app.router.lifespan_context = lifespan
    return app


async def serve_http(hub: Hub, host: str, port: int, *, log_level: str = "warning", **app_options: Any) -> None:
    """Serve the hub over Streamable HTTP until cancelled; announces the bound URL on stderr."""
    import uvicorn

    hub.config.server.host = host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says TCP; without it every kept-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    bound = sock.getsockname()[1]
    hub.config.server.port = bound  # built after binding: the default auth resource URL names the port
    try:
        app = build_http_app(hub, **app_options)
    except BaseException:
        sock.close()
        raise
    shown = f"[{host}]" if ":" in host else host
    # log_config=None: uvicorn logs through the root handlers, which carry the redacting filter.
    config = uvicorn.Config(
        app, log_level=log_level, lifespan="on", access_log=False, timeout_graceful_shutdown=5, log_config=None
    )
    server = uvicorn.Server(config)

    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets=sockets)  # the app's lifespan has started the hub
        freeze_startup_heap()
        print(f"mcpea: serving MCP at http://{shown}:{bound}{hub.config.server.path}", file=sys.stderr, flush=True)

    server.startup = startup  # type: ignore[method-assign]
    await server.serve(sockets=[sock])
