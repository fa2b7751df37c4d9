"""Contract tests: the real slack_sdk, through the hub, against Prism serving Slack's own API description.

Prism checks every request against Slack's published Web API description
(2020; its transport normalised to what slack_sdk sends, see
``tests/doubles/prism.py``) and answers from its examples. Nobody on this
project wrote either side of that contract: a request Prism accepts is one
Slack documents, and a rejected one carries the reason in ``sl-violations``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from doubles.prism import prism, violations
from mcpea_plugin_slack.client import make_client
from mcpea_plugin_slack.settings import Settings

from mcpea_core import Hub

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TS = "1712345678.000100"


@pytest.fixture(scope="module")
def slack_api() -> Iterator[str]:
    with prism("slack") as base:
        yield base + "/"


@pytest.fixture
def hub(make_hub: Callable[..., Hub], slack_api: str) -> Hub:
    return make_hub(base_url=slack_api, default_channel="C0123ABCD")


VALID_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("slack_post_message", {"text": "Deploy *finished*"}, "ts"),
    (
        "slack_post_message",
        {
            "channel": "#ops",
            "text": "fallback",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
            "thread_ts": TS,
            "reply_broadcast": True,
        },
        "ts",
    ),
    ("slack_update_message", {"channel": "C0123ABCD", "ts": TS, "text": "edited"}, "ts"),
    ("slack_delete_message", {"channel": "C0123ABCD", "ts": TS}, "deleted"),
    ("slack_add_reaction", {"channel": "C0123ABCD", "ts": TS, "name": ":eyes:"}, "already_present"),
    ("slack_list_channels", {"types": ["public_channel", "private_channel"], "limit": 5}, "channels"),
    ("slack_read_channel_history", {"channel": "C0123ABCD", "limit": 3, "oldest": TS}, "messages"),
    ("slack_read_thread_replies", {"channel": "C0123ABCD", "ts": TS}, "messages"),
    ("slack_get_user", {"user": "U0123ABCD"}, "real_name"),
    ("slack_find_user_by_email", {"email": "ada@example.com"}, "id"),
]


@pytest.mark.parametrize(("tool", "arguments", "key"), VALID_CALLS, ids=[c[0] for c in VALID_CALLS])
async def test_valid_calls_are_accepted_by_slacks_description(
    hub: Hub, tool: str, arguments: dict[str, Any], key: str
) -> None:
    async with hub, hub.client() as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None and key in result.structured_content


async def test_scheduling_is_accepted(hub: Hub) -> None:
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    async with hub, hub.client() as client:
        result = await client.call_tool("slack_schedule_message", {"text": "standup", "post_at": when})
    assert not result.is_error, result.content
    assert result.structured_content and result.structured_content["scheduled_message_id"]


async def test_answers_are_read_into_the_published_shapes(hub: Hub) -> None:
    async with hub, hub.client() as client:
        channels = await client.call_tool("slack_list_channels", {})
        history = await client.call_tool("slack_read_channel_history", {"channel": "C0123ABCD"})
        user = await client.call_tool("slack_get_user", {"user": "W012A3CDE"})
    assert channels.structured_content and channels.structured_content["channels"][0]["id"].startswith("C")
    first = history.structured_content and history.structured_content["messages"][0]
    assert first and first["ts"] and first["text"]
    assert user.structured_content and user.structured_content["id"] == "W012A3CDE"
    assert user.structured_content["email"]


async def test_invalid_requests_are_rejected_with_the_reason(slack_api: str) -> None:
    """The double is strict: the SDK's own methods, missing what Slack requires, are refused."""
    from slack_sdk.errors import SlackApiError

    client = make_client(Settings.model_validate({"bot_token": "xoxb-test", "base_url": slack_api}))
    with pytest.raises(SlackApiError) as no_name:  # reactions_add's own transport: query parameters
        await client.api_call("reactions.add", params={"channel": "C0123ABCD", "timestamp": TS})
    with pytest.raises(SlackApiError) as no_channel:
        await client.api_call("chat.postMessage", json={"text": "where to?"})
    assert no_name.value.response.status_code == 422
    assert any("name" in v for v in violations(no_name.value.response.headers))
    assert any("channel" in v for v in violations(no_channel.value.response.headers))


async def test_a_refused_token_is_a_tool_error_for_the_operator(
    make_hub: Callable[..., Hub], slack_api: str
) -> None:
    """No token breaks the description's security requirement (HTTP 401): an AuthError the model can read."""
    hub = make_hub(base_url=slack_api, bot_token="")
    async with hub, hub.client() as client:
        result = await client.call_tool("slack_post_message", {"channel": "C0123ABCD", "text": "hi"})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "does not accept the hub's bot token" in text and "[plugins.slack] bot_token" in text
    assert "HTTP 401" in text
