"""Read-only mode and allow/deny globs hide tools from tools/list and refuse them on call."""

from __future__ import annotations

from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from policy.support import policy_hub, text
from mcpea_core import Hub, PolicyDenied, ToolCall, UnknownToolError
from mcpea_core.context import local_principal

pytestmark = pytest.mark.anyio

READ_ONLY_TOOLS = ["example_echo_text", "example_block_sleep", "example_report_progress"]


async def listed(hub: Hub) -> list[str]:
    async with hub.client() as client:
        return [t.name for t in (await client.list_tools()).tools]


async def test_read_only_lists_only_read_only_tools() -> None:
    assert await listed(policy_hub(read_only=True)) == READ_ONLY_TOOLS


async def test_read_only_refuses_other_tools_on_call() -> None:
    hub = policy_hub(read_only=True)
    async with hub.client() as client:
        with pytest.raises(MCPError) as info:
            await client.call_tool("example_fail_tool", {"message": "ran"})
        allowed = await client.call_tool("example_echo_text", {"text": "x"})
    assert info.value.code == types.INVALID_PARAMS and "example_fail_tool" in str(info.value)
    assert not allowed.is_error
    with pytest.raises(UnknownToolError):
        await hub.call_tool("example_crash_tool", {})


async def test_a_call_that_skips_the_lookup_is_still_refused() -> None:
    """An embedder that builds the ToolCall itself meets the wrapper, which names the policy and the fix."""
    async with policy_hub(read_only=True) as hub:
        call = ToolCall(tool=hub.tools["example_fail_tool"], arguments={"message": "ran"}, principal=local_principal())
        outcome = await hub.execute(call)
    assert outcome.outcome == "denied"
    assert isinstance(outcome.error, PolicyDenied) and outcome.error.policy == "read_only"
    assert text(outcome.result) == (
        "Tool 'example_fail_tool' is refused by policy 'read_only': the hub is in read-only mode and the tool "
        "is not annotated read-only. Set policy.read_only = false to permit it."
    )


async def test_allow_globs_list_only_what_they_match() -> None:
    assert await listed(policy_hub(allow=["example_echo_*", "example_*_tool"])) == [
        "example_echo_text",
        "example_fail_tool",
        "example_crash_tool",
    ]


async def test_deny_wins_over_allow() -> None:
    hub = policy_hub(allow=["example_*"], deny=["example_*_tool", "example_block_*"])
    assert await listed(hub) == ["example_echo_text", "example_report_progress"]
    with pytest.raises(UnknownToolError):
        await hub.call_tool("example_fail_tool", {"message": "ran"})


@pytest.mark.parametrize(
    ("settings", "policy", "fix"),
    [
        ({"deny": ["example_fail_*"]}, "deny", "matches 'example_fail_*' in policy.deny. Remove that glob"),
        ({"allow": ["example_echo_*"]}, "allow", "matches no glob in policy.allow. Add it to policy.allow"),
    ],
)
async def test_refusals_name_the_policy_the_tool_and_the_fix(settings: dict[str, Any], policy: str, fix: str) -> None:
    async with policy_hub(**settings) as hub:
        call = ToolCall(tool=hub.tools["example_fail_tool"], arguments={"message": "ran"}, principal=local_principal())
        outcome = await hub.execute(call)
    assert isinstance(outcome.error, PolicyDenied) and outcome.error.policy == policy
    assert text(outcome.result).startswith(f"Tool 'example_fail_tool' is refused by policy '{policy}'")
    assert fix in text(outcome.result)
