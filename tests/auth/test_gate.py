"""The gate keeps the caller's credential to itself: not in what tools see, not in logs, not in answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from auth.support import Issuer, auth_hub, bearer, call_message, mcp_client, post, serve_hub, serve_issuer
from starlette.types import Receive, Scope, Send

from mcpea_core.auth import AuthSection, hash_key
from mcpea_core.auth.gate import PRINCIPAL_SCOPE_KEY, Authenticator, AuthGate, Challenge
from mcpea_core.auth.principal import AuthPrincipal

KEY = "mcpea_gate-test-key-0123456789abcdefghij"


def reachable_strings(root: Any, limit: int = 200_000) -> Iterator[str]:
    """Every string reachable from ``root`` through attributes, mappings and sequences (bounded)."""
    seen: set[int] = set()
    stack = [root]
    while stack and len(seen) < limit:
        item = stack.pop()
        if id(item) in seen or item is None or isinstance(item, int | float | bool | type):
            continue
        seen.add(id(item))
        if isinstance(item, str):
            yield item
        elif isinstance(item, bytes):
            yield item.decode("latin-1")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        else:
            stack.extend(getattr(item, "__dict__", {}).values())
            for slot in getattr(type(item), "__slots__", ()):
                stack.append(getattr(item, slot, None))


@pytest.mark.anyio
async def test_the_token_is_out_of_reach_of_tools_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve_issuer(Issuer()) as issuer:
        hub, recorder = auth_hub({"oauth": {"issuer": issuer.url}, "rbac": {"default": "allow"}})
        async with serve_hub(hub) as url:
            token = issuer.mint(url)
            async with mcp_client(url, bearer(token)) as client:
                await client.call_tool("vault_get_secret", {"name": "a"})
            refused = await post(
                url, call_message("vault_get_secret", {"name": "a"}), headers=bearer(token + "x")
            )

    signature = token.rsplit(".", 1)[1]
    ctx = recorder.calls[0]
    assert ctx.principal.id == "f3b2c1d0-user-alice"
    leaks = [s for s in reachable_strings(ctx) if signature in s]  # the call, its principal, the session...
    assert leaks == []
    assert not any(signature in record.getMessage() for record in caplog.records)
    assert refused.status_code == 401 and signature not in refused.text


@pytest.mark.anyio
async def test_the_inner_app_gets_a_principal_and_no_credential() -> None:
    seen: list[Scope] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    section = AuthSection.model_validate(
        {"api_keys": [{"id": "bot", "sha256": hash_key(KEY), "roles": ["r"]}]}
    )
    gate = AuthGate(inner, Authenticator(section, "http://127.0.0.1:1/mcp"), Challenge(metadata_url=None))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "headers": [(b"x-api-key", KEY.encode()), (b"accept", b"application/json")],
    }

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        raise AssertionError("the gate should not answer an authenticated request")

    await gate(scope, receive, send)

    (inner_scope,) = seen
    assert inner_scope["headers"] == [(b"accept", b"application/json")]
    principal = inner_scope[PRINCIPAL_SCOPE_KEY]
    assert isinstance(principal, AuthPrincipal) and principal.id == "api-key:bot"
    assert inner_scope["user"].access_token.token == "api-key:bot"
    assert inner_scope["auth"].scopes == []
    assert KEY not in repr(inner_scope)
    assert scope["headers"][0] == (b"x-api-key", KEY.encode())  # the caller's scope is left as it was


def test_challenge_header_never_carries_quotes_or_control_characters() -> None:
    from mcpea_core.auth.failures import AuthFailure

    challenge = Challenge(metadata_url="https://hub.example.com/.well-known/oauth-protected-resource/mcp")
    header = challenge.header(AuthFailure('bad "thing"\r\nX-Injected: 1'))
    assert header == (
        'Bearer error="invalid_token", error_description="bad thingX-Injected: 1", '
        'resource_metadata="https://hub.example.com/.well-known/oauth-protected-resource/mcp"'
    )
