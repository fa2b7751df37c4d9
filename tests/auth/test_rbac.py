"""RBAC: roles, scopes and groups decide which tools a caller sees and calls; the principal is who called."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from auth.support import (
    ALL_TOOLS,
    Issuer,
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
from mcp.shared.exceptions import MCPError

from mcpea_core import Hub, ToolCall
from mcpea_core.auth import AuthSection
from mcpea_core.auth.principal import AuthPrincipal
from mcpea_core.auth.rbac import RBAC_PLUGIN, RbacPlugin
from mcpea_core.context import Principal, local_principal

pytestmark = pytest.mark.anyio

RBAC = {
    "role:reader": ["vault_get_*", "vault_list_*"],
    "role:vault:admin": ["vault_*"],
    "scope:payments:write": ["payments_*"],
    "group:/ops": ["*"],
}


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    async with serve_issuer(Issuer()) as served:
        yield served


def reader(issuer: Issuer, url: str, **claims: Any) -> dict[str, str]:
    """Alice: realm role `reader` only."""
    defaults: dict[str, Any] = {"resource_access": None, "groups": None, "scope": "openid"}
    return bearer(issuer.mint(url, **{**defaults, **claims}))


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_tools_list_is_filtered_and_hidden_tools_are_unknown(issuer: Issuer, mode: str) -> None:
    hub, recorder = auth_hub({"oauth": {"issuer": issuer.url}, "rbac": RBAC})
    async with serve_hub(hub) as url, mcp_client(url, reader(issuer, url), mode=mode) as client:
        tools = await listed(client)
        result = await client.call_tool("vault_get_secret", {"name": "a"})
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("vault_delete_secret", {"name": "prod-db"})
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("payments_create_refund", {"amount": 5})
    assert tools == ["vault_get_secret", "vault_list_secrets"]
    assert not result.is_error
    assert recorder.ran == ["vault_get_secret"]  # the refused calls never reached a tool


async def test_the_principal_is_the_tokens_subject(issuer: Issuer) -> None:
    hub, recorder = auth_hub({"oauth": {"issuer": issuer.url}, "rbac": RBAC})
    async with serve_hub(hub) as url, mcp_client(url, reader(issuer, url)) as client:
        await client.call_tool("vault_list_secrets", {})
    principal = recorder.calls[0].principal
    assert isinstance(principal, AuthPrincipal)
    assert (principal.id, principal.kind, principal.display_name) == ("f3b2c1d0-user-alice", "user", "alice")
    assert principal.roles == {"reader"} and principal.method == "oauth"
    assert recorder.calls[0].call.transport == "http"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (
            {"resource_access": {"vault": {"roles": ["admin"]}}},
            ["vault_get_secret", "vault_list_secrets", "vault_delete_secret"],
        ),
        (
            {"scope": "openid payments:write"},
            ["payments_create_refund", "vault_get_secret", "vault_list_secrets"],
        ),
        ({"groups": ["/ops"]}, ALL_TOOLS),
        ({"realm_access": {"roles": []}}, []),
    ],
    ids=["client role", "scope", "group", "nothing granted"],
)
async def test_client_roles_scopes_and_groups_grant_tools(
    issuer: Issuer, claims: dict[str, Any], expected: list[str]
) -> None:
    hub, _ = auth_hub({"oauth": {"issuer": issuer.url}, "rbac": RBAC}, stateless=True, json_response=True)
    async with serve_hub(hub) as url:
        response = await post(
            url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=reader(issuer, url, **claims)
        )
    assert [t["name"] for t in rpc_result(response)["result"]["tools"]] == expected


async def test_without_grants_authenticated_callers_see_nothing(issuer: Issuer) -> None:
    """The safe default: [auth] without [auth.rbac] grants is default = "deny"."""
    hub, recorder = auth_hub({"oauth": {"issuer": issuer.url}})
    async with serve_hub(hub) as url, mcp_client(url, reader(issuer, url, groups=["/ops"])) as client:
        tools = await listed(client)
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("vault_list_secrets", {})
    assert tools == [] and recorder.calls == []


async def test_default_allow_grants_every_tool(issuer: Issuer) -> None:
    hub, _ = auth_hub({"oauth": {"issuer": issuer.url}, "rbac": {"default": "allow"}})
    async with serve_hub(hub) as url, mcp_client(url, reader(issuer, url)) as client:
        assert await listed(client) == ALL_TOOLS


async def test_a_session_belongs_to_the_caller_that_opened_it(issuer: Issuer) -> None:
    """The SDK binds a session to the caller that opened it (the gate says who): Bob cannot use Alice's."""
    from auth.support import INIT

    hub, recorder = auth_hub({"oauth": {"issuer": issuer.url}, "rbac": RBAC}, json_response=True)
    async with serve_hub(hub) as url:
        alice = reader(issuer, url, groups=["/ops"])
        opened = await post(url, INIT, headers=alice)
        session = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        await post(
            url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers={**alice, **session}
        )
        bob = bearer(issuer.mint(url, sub="bob", preferred_username="bob", groups=["/ops"]))
        hijack = await post(
            url, call_message("vault_delete_secret", {"name": "x"}), headers={**bob, **session}
        )
        own = await post(url, call_message("vault_list_secrets", {}), headers={**alice, **session})
    assert hijack.status_code == 404
    assert own.status_code == 200
    assert recorder.ran == ["vault_list_secrets"]


async def test_the_local_user_is_never_restricted() -> None:
    """stdio, `mcpea call` and in-process calls are the local user's: RBAC has no say."""
    hub, recorder = auth_hub({"api_keys": [{"id": "k", "sha256": "0" * 64}]})
    install(hub)
    result = await hub.call_tool("vault_delete_secret", {"name": "x"})
    assert not result.is_error and recorder.ran == ["vault_delete_secret"]
    assert [t.name for t in hub.visible_tools()] == ALL_TOOLS


async def test_the_wrapper_refuses_a_call_built_by_hand() -> None:
    """Code that builds a ToolCall itself skips tool_visible; the RBAC wrapper still refuses it."""
    hub, recorder = auth_hub(
        {"api_keys": [{"id": "k", "sha256": "0" * 64}], "rbac": {"role:reader": ["vault_get_*"]}}
    )
    install(hub)
    caller = AuthPrincipal(id="api-key:k", kind="service", roles=frozenset({"reader"}), method="api_key")
    call = ToolCall(tool=hub.tools["vault_delete_secret"], arguments={"name": "x"}, principal=caller)
    outcome = await hub.execute(call)
    assert outcome.outcome == "denied" and "not granted" in outcome.result.content[0].text  # type: ignore[union-attr]
    assert recorder.calls == []


def install(hub: Hub) -> None:
    from mcpea_core.auth.wiring import install_rbac

    hub.load()
    install_rbac(hub)
    assert hub.host.pm.get_plugin(RBAC_PLUGIN) is not None


def section(rbac: dict[str, Any]) -> AuthSection:
    return AuthSection.model_validate({"api_keys": [{"id": "k", "sha256": "0" * 64}], "rbac": rbac})


def test_subjects_and_globs() -> None:
    plugin = RbacPlugin(
        section({"role:reader": ["*_get_*"], "kind:service": ["*_list_*"], "principal:svc": ["x_*"]})
    )
    svc = AuthPrincipal(id="svc", kind="service", roles=frozenset({"reader"}))
    user = AuthPrincipal(id="u", kind="user", roles=frozenset({"reader"}))
    assert [plugin.allows(svc, t) for t in ("a_get_b", "a_list_b", "x_do_y", "a_delete_b")] == [
        True,
        True,
        True,
        False,
    ]
    assert [plugin.allows(user, t) for t in ("a_get_b", "a_list_b", "x_do_y")] == [True, False, False]


def test_who_is_judged() -> None:
    plugin = RbacPlugin(section({}))
    assert plugin.allows(local_principal(), "anything")
    assert not plugin.allows(Principal(id="anonymous", kind="anonymous"), "anything")
    assert not plugin.allows(AuthPrincipal(id="u", kind="user"), "anything")
    unauthenticated_hub = RbacPlugin(None)
    assert unauthenticated_hub.allows(Principal(id="anonymous", kind="anonymous"), "anything")
    assert unauthenticated_hub.tool_visible.__name__ == "tool_visible"
