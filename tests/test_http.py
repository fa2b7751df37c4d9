"""Streamable HTTP: a real `mcpea serve` on an ephemeral port, a real SDK client, hostile input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError

from _support import ServedHub

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def served() -> Iterator[ServedHub]:
    import os

    env = dict(os.environ, MCPEA_LOAD_PLUGINS="example", MCPEA_AUDIT_STORE="off")
    env.pop("MCPEA_CONFIG", None)
    hub = ServedHub(env=env)
    yield hub
    hub.stop()


def rpc_session(base_url: str, client: httpx.Client) -> dict[str, str]:
    response = client.post(base_url, json=INIT, headers=HEADERS)
    assert response.status_code == 200, response.text
    headers = dict(HEADERS, **{"mcp-session-id": response.headers["mcp-session-id"]})
    headers["mcp-protocol-version"] = "2025-11-25"
    client.post(base_url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


def sse_json(response: httpx.Response) -> dict[str, object]:
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()  # type: ignore[no-any-return]
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])  # type: ignore[no-any-return]
    raise AssertionError(f"no JSON-RPC message in {response.text!r}")


@pytest.mark.anyio
async def test_sdk_client_round_trip(served: ServedHub) -> None:
    async with Client(served.url) as client:
        tools = await client.list_tools()
        result = await client.call_tool("example_echo_text", {"text": "over http"})
        bad = await client.call_tool("example_echo_text", {"times": "many"})
        with pytest.raises(MCPError):
            await client.call_tool("example_missing_tool", {})
    assert "example_echo_text" in [t.name for t in tools.tools]
    assert result.structured_content == {"echoed": "Hello: over http", "length": 9}
    assert bad.is_error and "text: Field required" in bad.content[0].text  # type: ignore[union-attr]
    assert "times: Input should be a valid integer" in bad.content[0].text  # type: ignore[union-attr]


def test_health_and_readiness(served: ServedHub) -> None:
    health = httpx.get(f"{served.base}/healthz")
    ready = httpx.get(f"{served.base}/readyz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["tools"] == 5


def test_hostile_host_and_origin_are_refused(served: ServedHub) -> None:
    with httpx.Client() as client:
        evil_host = client.post(served.url, json=INIT, headers=dict(HEADERS, Host="evil.example.com"))
        evil_origin = client.post(served.url, json=INIT, headers=dict(HEADERS, Origin="http://evil.example.com"))
        fine = client.post(served.url, json=INIT, headers=dict(HEADERS, Origin=served.base))
    assert evil_host.status_code == 421
    assert evil_origin.status_code == 403
    assert fine.status_code == 200


def test_bad_input_gets_answers_and_the_server_keeps_serving(served: ServedHub) -> None:
    with httpx.Client(timeout=10) as client:
        headers = rpc_session(served.url, client)
        malformed = client.post(served.url, content=b'{"jsonrpc": "2.0", "id": 2, "meth', headers=headers)
        assert malformed.status_code == 400
        assert sse_json(malformed)["error"]["code"] == -32700  # type: ignore[index]
        oversized = client.post(served.url, content=b" " * (5 * 1024 * 1024), headers=headers)
        assert oversized.status_code == 413
        unknown = client.post(
            served.url, json={"jsonrpc": "2.0", "id": 3, "method": "tools/explode", "params": {}}, headers=headers
        )
        assert sse_json(unknown)["error"]["code"] == -32601  # type: ignore[index]
        wrong_types = client.post(
            served.url,
            json={"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": 5}},
            headers=headers,
        )
        assert sse_json(wrong_types)["error"]["code"] == -32602  # type: ignore[index]
        call = {
            "jsonrpc": "2.0",
            "id": 5,
            "method": "tools/call",
            "params": {"name": "example_echo_text", "arguments": {"text": "still here"}},
        }
        answer = sse_json(client.post(served.url, json=call, headers=headers))
    assert answer["id"] == 5
    assert answer["result"]["structuredContent"] == {"echoed": "Hello: still here", "length": 10}  # type: ignore[index]


@pytest.mark.anyio
async def test_stateless_mode(anyio_backend: str) -> None:
    import os

    env = dict(os.environ, MCPEA_LOAD_PLUGINS="example", MCPEA_AUDIT_STORE="off")
    hub = ServedHub("--stateless", "--json-response", env=env)
    try:
        async with Client(hub.url) as client:
            result = await client.call_tool("example_echo_text", {"text": "stateless"})
        with httpx.Client() as raw:
            response = raw.post(hub.url, json=INIT, headers=HEADERS)
        assert "mcp-session-id" not in response.headers
        assert response.headers["content-type"].startswith("application/json")
    finally:
        hub.stop()
    assert result.structured_content == {"echoed": "Hello: stateless", "length": 9}
