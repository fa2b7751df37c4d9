"""Confirmation of destructive tools through MCP elicitation.

Elicitation needs a back-channel for server-initiated requests, so these
tests connect with the handshake-era protocol (``mode="legacy"``); the
in-memory client's default 2026-07-28 connection has none.
"""

from __future__ import annotations

from typing import Any, Literal

import mcp_types as types
import pytest

from mcpea_core import PolicyDenied
from policy.support import Outermost, Shop, policy_hub, text

pytestmark = pytest.mark.anyio

Action = Literal["accept", "decline", "cancel"]


class User:
    """An elicitation callback that answers as told and remembers what it was asked."""

    def __init__(self, action: Action = "accept", content: dict[str, Any] | None = None) -> None:
        self.action = action
        self.content: dict[str, Any] = content if content is not None else {"confirm": True}
        self.asked: list[types.ElicitRequestFormParams] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        self.asked.append(params)
        accepted = self.action == "accept"
        return types.ElicitResult(action=self.action, content=self.content if accepted else None)


async def delete(user: User | None, shop: Shop, **settings: Any) -> types.CallToolResult:
    """Call shop_delete_item through an MCP client (with elicitation when ``user`` is given)."""
    hub = policy_hub(("shop", shop), **{"confirm_destructive": True, **settings})
    options = {"elicitation_callback": user} if user else {}
    async with hub.client(mode="legacy", **options) as client:
        return await client.call_tool("shop_delete_item", {"item_id": "sku-1"})


async def test_confirmed_call_runs() -> None:
    shop, user = Shop(), User()
    result = await delete(user, shop)
    assert not result.is_error and text(result) == "deleted sku-1"
    assert shop.deleted == ["sku-1"]
    (asked,) = user.asked
    assert "shop_delete_item" in asked.message and '{"item_id": "sku-1"}' in asked.message
    assert asked.requested_schema["properties"]["confirm"]["type"] == "boolean"
    assert asked.requested_schema["required"] == ["confirm"]


@pytest.mark.parametrize(
    ("action", "content", "answer"),
    [
        ("decline", None, "declined"),
        ("cancel", None, "cancelled"),
        ("accept", {"confirm": False}, "did not tick confirm"),
    ],
)
async def test_unconfirmed_call_is_denied_and_does_not_run(action: Action, content: dict[str, Any] | None, answer: str) -> None:
    shop, outer = Shop(), Outermost()
    hub = policy_hub(("shop", shop), ("outer", outer), confirm_destructive=True)
    async with hub.client(mode="legacy", elicitation_callback=User(action, content)) as client:
        result = await client.call_tool("shop_delete_item", {"item_id": "sku-1"})
    assert shop.deleted == []
    assert result.is_error and text(result) == (
        "Tool 'shop_delete_item' is refused by policy 'confirmation' (it is annotated destructive): "
        f"the user {answer}, so it did not run. Do not retry unless the user asks; the operator can "
        "set policy.confirm_destructive = false (or add the tool to policy.no_confirm) to stop asking."
    )
    (seen,) = outer.seen
    assert seen.outcome == "denied" and isinstance(seen.error, PolicyDenied) and seen.error.policy == "confirmation"


async def test_client_without_elicitation_is_refused_clearly() -> None:
    shop = Shop()
    result = await delete(None, shop)
    assert shop.deleted == []
    assert result.is_error and text(result) == (
        "Tool 'shop_delete_item' is refused by policy 'confirmation' (it is annotated destructive): it requires "
        "confirmation but this client cannot ask the user (no elicitation support); set "
        "policy.confirm_destructive = false (or add the tool to policy.no_confirm), or set "
        "policy.unconfirmed = 'allow' to permit it."
    )


async def test_a_connection_without_back_channel_cannot_ask() -> None:
    """2026-07-28 in-memory connections declare elicitation but cannot send it: refused, not crashed."""
    shop, user = Shop(), User()
    async with policy_hub(("shop", shop), confirm_destructive=True).client(elicitation_callback=user) as client:
        result = await client.call_tool("shop_delete_item", {"item_id": "sku-1"})
    assert result.is_error and shop.deleted == [] and user.asked == []
    assert "it requires confirmation but this client cannot ask the user" in text(result)


async def test_in_process_calls_cannot_ask_either() -> None:
    shop = Shop()
    async with policy_hub(("shop", shop), confirm_destructive=True) as hub:
        refused = await hub.call_tool("shop_delete_item", {"item_id": "sku-1"})
    assert refused.is_error and "no elicitation support" in text(refused) and shop.deleted == []


async def test_unconfirmed_allow_runs_without_asking() -> None:
    shop = Shop()
    result = await delete(None, shop, unconfirmed="allow")
    assert not result.is_error and shop.deleted == ["sku-1"]


async def test_read_only_and_exempt_tools_are_not_asked() -> None:
    shop, user = Shop(), User(action="decline")
    hub = policy_hub(("shop", shop), confirm_destructive=True, no_confirm=["shop_delete_*"])
    async with hub.client(mode="legacy", elicitation_callback=user) as client:
        read = await client.call_tool("shop_get_item", {"item_id": "sku-1"})
        deleted = await client.call_tool("shop_delete_item", {"item_id": "sku-1"})
    assert not read.is_error and not deleted.is_error
    assert user.asked == [] and shop.deleted == ["sku-1"]


async def test_confirm_globs_ask_even_without_confirm_destructive() -> None:
    shop, user = Shop(), User(action="decline")
    hub = policy_hub(("shop", shop), confirm=["shop_get_*"], no_confirm=["shop_*"])
    async with hub.client(mode="legacy", elicitation_callback=user) as client:
        read = await client.call_tool("shop_get_item", {"item_id": "sku-1"})
        deleted = await client.call_tool("shop_delete_item", {"item_id": "sku-1"})
    assert read.is_error and "(it matches 'shop_get_*' in policy.confirm)" in text(read)
    assert "remove 'shop_get_*' from policy.confirm to stop asking" in text(read)
    assert not deleted.is_error and len(user.asked) == 1


async def test_rate_limit_is_checked_before_the_user_is_asked() -> None:
    shop, user = Shop(), User()
    hub = policy_hub(
        ("shop", shop), confirm_destructive=True, rate_limits=[{"tools": "shop_*", "per": "day", "limit": 1}]
    )
    async with hub.client(mode="legacy", elicitation_callback=user) as client:
        first = await client.call_tool("shop_delete_item", {"item_id": "a"})
        second = await client.call_tool("shop_delete_item", {"item_id": "b"})
    assert not first.is_error and "policy 'rate_limit'" in text(second)
    assert len(user.asked) == 1 and shop.deleted == ["a"]
