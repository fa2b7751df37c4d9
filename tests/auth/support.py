"""Helpers for the auth tests (imported as ``auth.support``): an issuer with its own RSA keys, a hub whose
tools leave a trace, and real HTTP on loopback (uvicorn in the test's event loop)."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import httpx
import httpx2
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcpea_core import Annotations, Hub, HubConfig, ToolContext, hookimpl
from mcpea_core.auth import AuthSection
from mcpea_core.http import build_http_app

REALM = "/realms/acme"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


# --- keys and tokens -----------------------------------------------------------


@dataclass
class KeyPair:
    kid: str
    private: rsa.RSAPrivateKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def rsa_key(kid: str | None = None) -> KeyPair:
    return KeyPair(
        kid or uuid.uuid4().hex[:12], rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )


@dataclass
class Issuer:
    """A local OIDC issuer: discovery and JWKS over real HTTP, keys it can rotate, fetches it counts."""

    keys: list[KeyPair] = field(default_factory=lambda: [rsa_key("key-1")])
    url: str = ""
    jwks_fetches: int = 0
    discovery_fetches: int = 0
    hold: anyio.Event | None = None  # when set, JWKS requests wait for it (a slow identity provider)

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            self.discovery_fetches += 1
            return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/protocol/openid-connect/certs"})

        async def certs(request: Request) -> JSONResponse:
            self.jwks_fetches += 1
            if self.hold is not None:
                await self.hold.wait()
            return JSONResponse({"keys": [k.public_jwk for k in self.keys]})

        return Starlette(
            routes=[
                Route(f"{REALM}/.well-known/openid-configuration", discovery),
                Route(f"{REALM}/protocol/openid-connect/certs", certs),
            ]
        )

    def rotate(self) -> KeyPair:
        """A new signing key replaces the old ones (what Keycloak does when a key is rotated out)."""
        new = rsa_key()
        self.keys = [new]
        return new

    def claims(self, audience: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": audience,
            "sub": "f3b2c1d0-user-alice",
            "azp": "mcp-client",
            "preferred_username": "alice",
            "iat": now,
            "exp": now + 300,
            "scope": "openid mcp:tools",
            "realm_access": {"roles": ["reader"]},
            "resource_access": {"vault": {"roles": ["admin"]}},
            "groups": ["/staff"],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(self, audience: str, *, key: KeyPair | None = None, **overrides: Any) -> str:
        signer = key or self.keys[0]
        return jwt.encode(
            self.claims(audience, **overrides), signer.private, algorithm="RS256", headers={"kid": signer.kid}
        )


# --- a hub whose tools count their calls ---------------------------------------------


class Secret(BaseModel):
    name: str


class Refund(BaseModel):
    amount: int


class Recorder:
    """Every tool call that reached a tool, with its context: a call that ran is never invisible."""

    def __init__(self) -> None:
        self.calls: list[ToolContext] = []

    @property
    def ran(self) -> list[str]:
        return [ctx.call.name for ctx in self.calls]


class Vault:
    """Plugin ``vault``: two read-only tools and a destructive one."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    @hookimpl
    def register_tools(self, register: Any) -> None:
        calls = self.recorder.calls

        def vault_get_secret(params: Secret, ctx: ToolContext) -> str:
            """Read a secret."""
            calls.append(ctx)
            return f"secret {params.name}"

        def vault_list_secrets(ctx: ToolContext) -> str:
            """List the secrets."""
            calls.append(ctx)
            return "a, b"

        def vault_delete_secret(params: Secret, ctx: ToolContext) -> str:
            """Delete a secret."""
            calls.append(ctx)
            return f"deleted {params.name}"

        register(vault_get_secret, annotations=Annotations(read_only=True))
        register(vault_list_secrets, annotations=Annotations(read_only=True))
        register(vault_delete_secret, annotations=Annotations(destructive=True))


class Payments:
    """Plugin ``payments``: one destructive tool."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    @hookimpl
    def register_tools(self, register: Any) -> None:
        calls = self.recorder.calls

        def payments_create_refund(params: Refund, ctx: ToolContext) -> str:
            """Refund a payment."""
            calls.append(ctx)
            return f"refunded {params.amount}"

        register(payments_create_refund, annotations=Annotations(destructive=True))


ALL_TOOLS = ["payments_create_refund", "vault_get_secret", "vault_list_secrets", "vault_delete_secret"]


class AuthHubConfig(HubConfig):
    """``HubConfig`` with the ``[auth]`` section the lead adds to the real one."""

    auth: AuthSection | None = None


def auth_hub(auth: dict[str, Any] | None, **server: Any) -> tuple[Hub, Recorder]:
    """A hub with the ``vault`` and ``payments`` plugins only, ``[auth]`` and ``[server]`` as given."""
    recorder = Recorder()
    config = AuthHubConfig.model_validate({"auth": auth, "server": server})
    plugins = [("vault", Vault(recorder)), ("payments", Payments(recorder))]
    return Hub(config, plugins=plugins, load_entrypoints=False), recorder


# --- real HTTP on loopback ------------------------------------------------------------


@asynccontextmanager
async def serve(build: Callable[[int], Any], *, lifespan: Literal["on", "off"] = "on") -> AsyncIterator[str]:
    """Serve the app ``build(port)`` returns on 127.0.0.1 (port chosen by the OS); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(build(port), log_level="warning", lifespan=lifespan, access_log=False)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]  # older uvicorn
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
    sock.close()


@asynccontextmanager
async def serve_issuer(issuer: Issuer) -> AsyncIterator[Issuer]:
    async with serve(lambda port: issuer.app(), lifespan="off") as base:
        issuer.url = base + REALM
        yield issuer


@asynccontextmanager
async def serve_hub(hub: Hub) -> AsyncIterator[str]:
    """The hub's HTTP app (built after the port is known, as ``serve_http`` does); yields the MCP URL."""

    def build(port: int) -> Any:
        hub.config.server.port = port
        return build_http_app(hub)

    async with serve(build) as base:
        yield base + hub.config.server.path


def oauth_section(issuer: Issuer, **oauth: Any) -> dict[str, Any]:
    return {"oauth": {"issuer": issuer.url, **oauth}, "rbac": {"default": "allow"}}


async def post(
    url: str,
    message: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as own:
        return await (client or own).post(url, json=message, headers={**HEADERS, **(headers or {})})


def call_message(tool: str, arguments: dict[str, Any], request_id: int = 2) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rpc_result(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC message of a JSON or SSE response."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()  # type: ignore[no-any-return]
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])  # type: ignore[no-any-return]
    raise AssertionError(f"no JSON-RPC message in {response.text!r}")


@asynccontextmanager
async def mcp_client(url: str, headers: dict[str, str], **options: Any) -> AsyncIterator[Client]:
    """The SDK's client over Streamable HTTP, every request carrying ``headers``."""
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with Client(streamable_http_client(url, http_client=http), **options) as client:
            yield client


async def listed(client: Client) -> list[str]:
    return [tool.name for tool in (await client.list_tools()).tools]
