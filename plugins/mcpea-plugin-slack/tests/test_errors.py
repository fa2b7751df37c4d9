"""Slack's failures become hub errors a model can act on, and never carry the token.

The fake answers with Slack's own error bodies; the real SDK raises
``SlackApiError``; the connector translates. ``Hub.execute`` shows which
error class the tool raised and what went to the audit record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from mcpea_core import AuthError, Hub, RateLimited, ToolCall, ToolOutcome, UpstreamError
from mcpea_core.context import local_principal

pytestmark = pytest.mark.anyio

POST = {"channel": "C0123ABCD", "text": "hello"}


async def run(hub: Hub, tool: str, arguments: dict[str, Any]) -> tuple[ToolOutcome, ToolCall]:
    await hub.start()
    call = ToolCall(tool=hub.get_tool(tool), arguments=dict(arguments), principal=local_principal())
    return await hub.execute(call), call


@pytest.fixture
def hub(make_hub: Callable[..., Hub], fake_slack: Any) -> Hub:
    return make_hub(base_url=fake_slack.base_url + "api/", rate_limit_retries=0)


@pytest.mark.parametrize(
    ("error", "error_class", "says"),
    [
        ("channel_not_found", UpstreamError, ["slack_list_channels", "'C0123ABCD'", "invited"]),
        ("not_in_channel", UpstreamError, ["not a member of channel 'C0123ABCD'", "/invite"]),
        ("is_archived", UpstreamError, ["archived"]),
        ("invalid_auth", AuthError, ["[plugins.slack] bot_token", "retrying will not help"]),
        ("token_revoked", AuthError, ["[plugins.slack] bot_token"]),
        ("msg_too_long", UpstreamError, ["40,000", "slack_upload_file"]),
        ("some_new_error", UpstreamError, ["some_new_error", "documentation"]),
    ],
)
async def test_slack_errors_say_what_to_do(
    hub: Hub,
    fake_slack: Any,
    slack_token: str,
    caplog: pytest.LogCaptureFixture,
    error: str,
    error_class: type[Exception],
    says: list[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_slack.answer("chat.postMessage", {"ok": False, "error": error}, headers={"x-slack-req-id": "req-42"})
    outcome, call = await run(hub, "slack_post_message", POST)
    assert outcome.outcome == "tool_error"
    assert type(outcome.error) is error_class
    text = outcome.result.content[0].text  # type: ignore[union-attr]
    assert f"Slack refused chat.postMessage ({error})" in text and "request id req-42" in text
    for phrase in says:
        assert phrase in text
    assert call.upstream == {"request_ids": ["req-42"]}
    assert slack_token not in text and slack_token not in caplog.text
    assert slack_token.split("-")[-1] not in repr(outcome.error.__dict__)


async def test_missing_scope_names_the_scope(hub: Hub, fake_slack: Any) -> None:
    fake_slack.answer(
        "reactions.add",
        {"ok": False, "error": "missing_scope", "needed": "reactions:write", "provided": "chat:write"},
    )
    outcome, _ = await run(hub, "slack_add_reaction", {"channel": "C0123ABCD", "ts": "1.2", "name": "eyes"})
    assert isinstance(outcome.error, AuthError)
    assert "lacks the OAuth scope reactions:write" in str(outcome.error)


async def test_message_not_found_names_the_message(hub: Hub, fake_slack: Any) -> None:
    fake_slack.answer("reactions.add", {"ok": False, "error": "message_not_found"})
    outcome, _ = await run(hub, "slack_add_reaction", {"channel": "C0123ABCD", "ts": "1.2", "name": "eyes"})
    assert "Channel 'C0123ABCD' has no message with ts '1.2'" in str(outcome.error)


async def test_an_existing_reaction_is_success(hub: Hub, fake_slack: Any) -> None:
    fake_slack.answer("reactions.add", {"ok": False, "error": "already_reacted"})
    outcome, _ = await run(hub, "slack_add_reaction", {"channel": "C0123ABCD", "ts": "1.2", "name": ":eyes:"})
    assert outcome.outcome == "success"
    assert outcome.result.structured_content == {
        "channel": "C0123ABCD",
        "ts": "1.2",
        "name": "eyes",
        "already_present": True,
    }
    assert fake_slack.calls("reactions.add")[0].args == {
        "channel": "C0123ABCD",
        "timestamp": "1.2",
        "name": "eyes",
    }


async def test_ratelimited_becomes_rate_limited_with_retry_after(hub: Hub, fake_slack: Any) -> None:
    fake_slack.answer(
        "chat.postMessage", {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "17"}
    )
    outcome, _ = await run(hub, "slack_post_message", POST)
    assert isinstance(outcome.error, RateLimited)
    assert outcome.error.retry_after == 17 and outcome.error.status == 429
    assert "Retry in 17 seconds" in str(outcome.error)


async def test_a_server_error_says_to_check_before_repeating(hub: Hub, fake_slack: Any) -> None:
    fake_slack.answer("chat.postMessage", {"ok": False, "error": "internal_error"}, status=503)
    outcome, _ = await run(hub, "slack_post_message", POST)
    assert isinstance(outcome.error, UpstreamError) and outcome.error.retry_after == 60
    assert "may or may not have happened" in str(outcome.error)


async def test_an_unreachable_slack_is_an_upstream_error(make_hub: Callable[..., Hub]) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hub = make_hub(base_url=f"http://127.0.0.1:{port}/api/", connection_retries=0)
    outcome, _ = await run(hub, "slack_post_message", POST)
    assert isinstance(outcome.error, UpstreamError)
    assert "Could not reach Slack for chat.postMessage" in str(outcome.error)


async def test_no_channel_and_no_default_is_an_actionable_error(hub: Hub, fake_slack: Any) -> None:
    outcome, _ = await run(hub, "slack_post_message", {"text": "where to?"})
    assert outcome.outcome == "tool_error" and "default_channel is not set: pass channel" in str(
        outcome.error
    )
    assert fake_slack.seen == []
