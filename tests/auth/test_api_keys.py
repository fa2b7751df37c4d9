"""API-key mode: hashed keys in config, sent as a bearer token or X-API-Key; `mcpea auth hash-key`."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from auth.support import (
    Issuer,
    Recorder,
    auth_hub,
    bearer,
    call_message,
    listed,
    mcp_client,
    post,
    rpc_result,
    serve_hub,
    serve_issuer,
)
from click.testing import CliRunner

from mcpea_core.auth import ApiKey, generate_key, hash_key
from mcpea_core.auth.cli import auth_group
from mcpea_core.auth.keys import ApiKeyStore
from mcpea_core.auth.principal import AuthPrincipal

CI_KEY = "mcpea_ci-bot-key-0123456789abcdefghijklmnop"
OPS_KEY = "mcpea_ops-key-zyxwvutsrqponmlkjihgfedcba98"
KEYS: dict[str, Any] = {
    "api_keys": [
        {"id": "ci-bot", "sha256": hash_key(CI_KEY), "roles": ["reader"]},
        {"id": "ops", "sha256": hash_key(OPS_KEY).upper(), "groups": ["/ops"], "kind": "user"},
    ],
    "rbac": {"role:reader": ["vault_get_*", "vault_list_*"], "group:/ops": ["*"]},
}
CALL = call_message("vault_delete_secret", {"name": "prod-db"})


def test_hash_key_is_the_hex_sha256_of_the_stripped_key() -> None:
    assert hash_key("abc") == hashlib.sha256(b"abc").hexdigest()
    assert hash_key(" abc\n") == hash_key("abc")
    key = generate_key()
    assert key.startswith("mcpea_") and len(key) > 40 and generate_key() != key


def test_the_store_finds_only_the_matching_key() -> None:
    store = ApiKeyStore([ApiKey(id="a", sha256=hash_key("k1")), ApiKey(id="b", sha256=hash_key("k2"))])
    found = store.find("k2")
    assert found is not None and found.id == "b"
    assert store.find("k3") is None and store.find("") is None


@pytest.fixture
async def keyed() -> AsyncIterator[tuple[str, Recorder]]:
    hub, recorder = auth_hub(KEYS, stateless=True, json_response=True)
    async with serve_hub(hub) as url:
        yield url, recorder


@pytest.mark.anyio
@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
async def test_a_key_is_accepted_either_way(keyed: tuple[str, Recorder], header: str) -> None:
    url, recorder = keyed
    headers = bearer(OPS_KEY) if header == "bearer" else {"X-API-Key": OPS_KEY}
    response = await post(url, CALL, headers=headers)
    assert response.status_code == 200, response.text
    assert rpc_result(response)["result"]["content"][0]["text"] == "deleted prod-db"
    principal = recorder.calls[0].principal
    assert isinstance(principal, AuthPrincipal)
    assert (principal.id, principal.kind, principal.method) == ("api-key:ops", "user", "api_key")


@pytest.mark.anyio
async def test_a_keys_roles_limit_its_tools(keyed: tuple[str, Recorder]) -> None:
    url, recorder = keyed
    async with mcp_client(url, {"X-API-Key": CI_KEY}) as client:
        tools = await listed(client)
    refused = await post(url, CALL, headers=bearer(CI_KEY))
    assert tools == ["vault_get_secret", "vault_list_secrets"]
    assert "error" in rpc_result(refused) and "Unknown tool" in rpc_result(refused)["error"]["message"]
    assert recorder.calls == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "error", "reason"),
    [
        ({"X-API-Key": "mcpea_wrong-key-0000000000000000000000"}, "invalid_token", "unknown API key"),
        (bearer("mcpea_wrong-key-0000000000000000000000"), "invalid_token", "unknown API key"),
        (
            {"X-API-Key": CI_KEY, "Authorization": f"Bearer {CI_KEY}"},
            "invalid_request",
            "exactly one credential",
        ),
        ({"X-API-Key": hash_key(CI_KEY)}, "invalid_token", "unknown API key"),  # the hash is not the key
        ({}, None, "X-API-Key"),
    ],
    ids=["unknown key", "unknown bearer key", "two credentials", "the hash itself", "nothing"],
)
async def test_refused_keys(
    keyed: tuple[str, Recorder], headers: dict[str, str], error: str | None, reason: str
) -> None:
    url, recorder = keyed
    response = await post(url, CALL, headers=headers)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="mcpea"')
    assert "resource_metadata" not in challenge  # no authorization server to point to in API-key mode
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    assert reason in response.json()["error_description"]
    for value in headers.values():
        assert value.removeprefix("Bearer ") not in response.text
    assert recorder.calls == []


@pytest.mark.anyio
async def test_keys_and_tokens_together() -> None:
    async with serve_issuer(Issuer()) as issuer:
        auth = {**KEYS, "oauth": {"issuer": issuer.url}}
        hub, recorder = auth_hub(auth, stateless=True, json_response=True)
        async with serve_hub(hub) as url:
            token = issuer.mint(url, groups=["/ops"])
            by_token = await post(url, CALL, headers=bearer(token))
            by_key = await post(url, CALL, headers={"X-API-Key": OPS_KEY})
            bad_key = await post(url, CALL, headers=bearer("mcpea_nope"))
    assert by_token.status_code == 200 and by_key.status_code == 200
    assert bad_key.status_code == 401 and "unknown API key" in bad_key.json()["error_description"]
    assert "resource_metadata=" in bad_key.headers["www-authenticate"]
    assert [c.principal.id for c in recorder.calls] == ["f3b2c1d0-user-alice", "api-key:ops"]


@pytest.mark.anyio
async def test_api_keys_are_refused_when_none_are_configured() -> None:
    async with serve_issuer(Issuer()) as issuer:
        hub, recorder = auth_hub({"oauth": {"issuer": issuer.url}}, stateless=True, json_response=True)
        async with serve_hub(hub) as url:
            as_header = await post(url, CALL, headers={"X-API-Key": CI_KEY})
            as_bearer = await post(url, CALL, headers=bearer(CI_KEY))
    assert (
        as_header.status_code == 401 and "does not accept API keys" in as_header.json()["error_description"]
    )
    assert as_bearer.status_code == 401 and "not a JWT" in as_bearer.json()["error_description"]
    assert recorder.calls == []


def test_cli_hashes_a_key_from_stdin() -> None:
    result = CliRunner().invoke(auth_group, ["hash-key"], input=CI_KEY + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == hash_key(CI_KEY)
    assert CI_KEY not in result.stdout


def test_cli_generates_a_key_and_its_config_entry() -> None:
    result = CliRunner().invoke(auth_group, ["hash-key", "--generate", "--id", "ci-bot"])
    assert result.exit_code == 0, result.output
    key = result.stderr.split("give it to the client): ")[1].strip()
    entry = ApiKey.model_validate(
        dict(line.replace('"', "").split(" = ") for line in result.stdout.splitlines()[1:3])
    )
    assert entry.id == "ci-bot" and entry.sha256 == hash_key(key)
    assert key not in result.stdout  # only the hash goes into the config


def test_cli_refuses_an_empty_key_and_a_bad_id() -> None:
    assert CliRunner().invoke(auth_group, ["hash-key"], input="").exit_code == 2
    assert CliRunner().invoke(auth_group, ["hash-key", "--generate", "--id", 'x"y']).exit_code == 2
