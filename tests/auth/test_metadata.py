"""RFC 9728 protected resource metadata, the challenge that points to it, and what stays open."""

from __future__ import annotations

import httpx
import pytest
from auth.support import Issuer, auth_hub, serve_hub, serve_issuer

from mcpea_core.auth import hash_key

pytestmark = pytest.mark.anyio


async def test_metadata_names_the_resource_and_its_issuer() -> None:
    async with serve_issuer(Issuer()) as issuer:
        auth = {
            "oauth": {"issuer": issuer.url, "required_scopes": ["mcp:tools"]},
            "resource_name": "Acme hub",
        }
        hub, _ = auth_hub(auth)
        async with serve_hub(hub) as url, httpx.AsyncClient() as client:
            base = url.removesuffix("/mcp")
            metadata = await client.get(f"{base}/.well-known/oauth-protected-resource/mcp")
            challenge = await client.post(url, json={})
            health = await client.get(f"{base}/healthz")
    assert metadata.status_code == 200
    assert metadata.json() == {
        "resource": url,
        "authorization_servers": [issuer.url],
        "scopes_supported": ["mcp:tools"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Acme hub",
    }
    assert challenge.status_code == 401
    assert challenge.headers["www-authenticate"] == (
        f'Bearer scope="mcp:tools", resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"'
    )
    assert health.status_code == 200  # probes need no credentials


async def test_a_configured_resource_url_is_the_audience_and_the_metadata() -> None:
    async with serve_issuer(Issuer()) as issuer:
        public = "https://hub.example.com/tenants/acme/mcp"
        hub, _ = auth_hub(
            {"oauth": {"issuer": issuer.url}, "resource_url": public, "rbac": {"default": "allow"}}
        )
        async with serve_hub(hub) as url, httpx.AsyncClient() as client:
            base = url.removesuffix("/mcp")
            metadata = await client.get(f"{base}/.well-known/oauth-protected-resource/tenants/acme/mcp")
            for_local = await client.post(
                url, json={}, headers={"Authorization": f"Bearer {issuer.mint(url)}"}
            )
    assert metadata.json()["resource"] == public
    assert for_local.status_code == 401 and public in for_local.json()["error_description"]


async def test_api_key_mode_publishes_no_metadata() -> None:
    hub, _ = auth_hub({"api_keys": [{"id": "k", "sha256": hash_key("k" * 32)}]})
    async with serve_hub(hub) as url, httpx.AsyncClient() as client:
        metadata = await client.get(url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp"))
    assert metadata.status_code == 404


async def test_without_auth_nothing_changes() -> None:
    hub, recorder = auth_hub(None, stateless=True, json_response=True)
    async with serve_hub(hub) as url, httpx.AsyncClient() as client:
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "vault_list_secrets"}}
        response = await client.post(
            url, json=call, headers={"Accept": "application/json, text/event-stream"}
        )
    assert response.status_code == 200 and recorder.calls[0].principal.kind == "anonymous"
