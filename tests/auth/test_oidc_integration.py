"""End to end: a real OIDC provider issues real JWTs; `mcpea serve --transport http` with a config file
accepts them over real HTTP from the SDK's own client, and RBAC shapes what each caller gets.

The provider is oauth2-mock-server (npm, run on the Node 22 binary the conformance suite brings) with its
endpoints at Keycloak's paths (``keycloak_mock.mjs``). Nobody on this project wrote its JWT signing, its
JWKS or its discovery document.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _support import ServedHub
from auth.support import listed, mcp_client
from mcp.shared.exceptions import MCPError

from mcpea_core import HubConfig

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
NODE = TESTS / "conformance" / "node_modules" / ".bin" / "node"
MOCK = TESTS / "doubles" / "node_modules" / "oauth2-mock-server" / "dist" / "index.mjs"
DIRECTORY = {
    "users": {"alice": {"sub": "0c5d6e51-alice", "roles": ["mcp-reader"], "groups": ["/staff"]}},
    "clients": {"ops-bot": {"client_roles": {"mcpea": ["operator"]}}},
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "auth" not in HubConfig.model_fields,
        reason="HubConfig has no [auth] section yet (config.py must add mcpea_core.auth.AuthSection)",
    ),
    pytest.mark.skipif(not NODE.exists(), reason="Node 22 not installed: run `npm ci` in tests/conformance"),
    pytest.mark.skipif(
        not MOCK.exists(), reason="oauth2-mock-server not installed: run `npm ci` in tests/doubles"
    ),
]


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    errors = tmp_path_factory.mktemp("oidc") / "stderr.txt"
    with errors.open("w") as stderr:
        proc = subprocess.Popen(
            [str(NODE), str(HERE / "keycloak_mock.mjs"), str(MOCK), "acme", json.dumps(DIRECTORY)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout or []:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        ready = json.loads(lines.get(timeout=30))
    except queue.Empty:
        proc.kill()
        raise RuntimeError(f"the mock OIDC provider did not start: {errors.read_text()}") from None
    yield str(ready["issuer"])
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def hub(issuer: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedHub]:
    config = tmp_path_factory.mktemp("auth") / "mcpea.toml"
    config.write_text(
        f"""
[hub]
plugins = ["example"]

[auth.oauth]
issuer = "{issuer}"
required_scopes = ["mcp:tools"]

[auth.rbac]
"role:mcp-reader" = ["example_echo_*"]
"role:mcpea:operator" = ["example_*"]
"""
    )
    env = dict(os.environ, MCPEA_LOAD_PLUGINS="example")
    env.pop("MCPEA_CONFIG", None)
    served = ServedHub("--config", str(config), "--log-level", "debug", env=env)
    yield served
    served.stop()


def token(issuer: str, **form: str) -> str:
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    response = httpx.post(discovery["token_endpoint"], data=form)
    response.raise_for_status()
    return str(response.json()["access_token"])


def user_token(issuer: str, audience: str | None, scope: str = "openid mcp:tools") -> str:
    form = {"grant_type": "password", "username": "alice", "client_id": "mcp-inspector", "scope": scope}
    return token(issuer, **form, **({"resource": audience} if audience else {}))


@pytest.mark.anyio
async def test_a_keycloak_user_gets_the_tools_of_her_role(issuer: str, hub: ServedHub) -> None:
    bearer = {"Authorization": f"Bearer {user_token(issuer, hub.url)}"}
    async with mcp_client(hub.url, bearer) as client:
        tools = await listed(client)
        echoed = await client.call_tool("example_echo_text", {"text": "hi"})
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("example_fail_tool", {"message": "boom"})
    assert tools == ["example_echo_text"]
    assert echoed.structured_content == {"echoed": "Hello: hi", "length": 2}


@pytest.mark.anyio
async def test_a_service_account_gets_the_tools_of_its_client_role(issuer: str, hub: ServedHub) -> None:
    access = token(
        issuer, grant_type="client_credentials", client_id="ops-bot", scope="mcp:tools", resource=hub.url
    )
    async with mcp_client(hub.url, {"Authorization": f"Bearer {access}"}) as client:
        tools = await listed(client)
        failed = await client.call_tool("example_fail_tool", {"message": "as expected"})
    assert "example_fail_tool" in tools and len(tools) == 5
    assert failed.is_error  # it ran: the tool's own error, not a refusal


def test_refusals_point_to_the_metadata(issuer: str, hub: ServedHub) -> None:
    metadata_url = f"{hub.base}/.well-known/oauth-protected-resource/mcp"
    headers = {"Accept": "application/json, text/event-stream"}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    cases: dict[str, Any] = {
        "no token": {},
        "another audience": {
            "Authorization": f"Bearer {user_token(issuer, 'https://other.example.com/mcp')}"
        },
        "no audience": {"Authorization": f"Bearer {user_token(issuer, None)}"},
        "no mcp:tools scope": {"Authorization": f"Bearer {user_token(issuer, hub.url, scope='openid')}"},
    }
    answers = {
        name: httpx.post(hub.url, json=init, headers={**headers, **extra}) for name, extra in cases.items()
    }
    assert {name: r.status_code for name, r in answers.items()} == {
        "no token": 401,
        "another audience": 401,
        "no audience": 401,
        "no mcp:tools scope": 403,
    }
    for response in answers.values():
        assert f'resource_metadata="{metadata_url}"' in response.headers["www-authenticate"]
    assert "audience" in answers["another audience"].json()["error_description"]
    metadata = httpx.get(metadata_url).json()
    assert metadata["authorization_servers"] == [issuer] and metadata["resource"] == hub.url
    logged = "".join(hub.stderr)
    assert "refused POST /mcp" in logged  # refusals are logged (at info), with their reason...
    assert "eyJ" not in logged  # ...and never with a token
