"""The ``slack`` notification channel: Block Kit through slack_sdk to a local server, and in a real hub."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcpea_plugin_slack.channel import ChannelSettings, SlackChannel, channel_factory
from mcpea_plugin_slack.settings import Settings

from mcpea_core import Hub, HubConfig
from mcpea_core.notify import hookspecs as notify_hookspecs
from mcpea_core.notify.channels import Delivery, DeliveryError
from mcpea_core.notify.memory_outbox import MemoryOutbox
from mcpea_core.notify.plugin import NotifyPlugin
from mcpea_core.notify.settings import NotifySettings

pytestmark = pytest.mark.anyio

AUDIT = "https://audit.example.com/calls/{call_id}"
FAST_WORKER = {"lease": 5.0, "delivery_timeout": 3.0, "grace": 1.0}
PAYLOAD = {
    "type": "mcpea.tool_call",
    "version": 1,
    "id": "mcpea-c4ll-0123456789abcdef",
    "channel": "slack:#payments",
    "requested": False,
    "tool": "stripe_create_refund",
    "plugin": "stripe",
    "outcome": "success",
    "call_id": "c4ll",
    "principal": "user:alice",
    "transport": "http",
    "time": "2025-01-31T12:00:00Z",
    "summary": "stripe_create_refund succeeded (called by user:alice)",
    "arguments": {},
    "error": None,
}


def delivery(payload: dict[str, Any] | None = None, attempt: int = 1) -> Delivery:
    body = payload or PAYLOAD
    return Delivery("e1", "slack:#payments", str(body["id"]), json.dumps(body).encode(), attempt)


@pytest.fixture
def channel(fake_slack: Any, slack_token: str) -> SlackChannel:
    plugin = Settings.model_validate({"bot_token": slack_token, "base_url": fake_slack.base_url + "api/"})
    return channel_factory(plugin)("slack:#payments", ChannelSettings(audit_url_template=AUDIT))


async def test_a_notification_is_posted_as_block_kit(
    channel: SlackChannel, fake_slack: Any, slack_token: str
) -> None:
    await channel.send(delivery())
    [posted] = fake_slack.calls("chat.postMessage")
    assert posted.headers["Authorization"] == f"Bearer {slack_token}"
    assert posted.headers["Content-Type"].startswith("application/json")
    body = posted.args
    assert body["channel"] == "#payments"
    assert body["text"] == "stripe_create_refund succeeded (called by user:alice)"
    assert body["blocks"][0]["text"]["text"] == ":white_check_mark: stripe_create_refund succeeded"
    assert "Audit record: <https://audit.example.com/calls/c4ll|call c4ll>" in json.dumps(body["blocks"])
    assert body["metadata"] == {"event_type": "mcpea_notification", "event_payload": {"id": PAYLOAD["id"]}}
    assert body["unfurl_links"] is False and body["unfurl_media"] is False


@pytest.mark.parametrize(
    ("error", "status", "headers", "permanent", "retry_after"),
    [
        ("channel_not_found", 200, {}, True, None),
        ("invalid_auth", 200, {}, True, None),
        ("is_archived", 200, {}, True, None),
        ("not_in_channel", 200, {}, False, None),
        ("ratelimited", 429, {"Retry-After": "120"}, False, 120),
        ("internal_error", 503, {}, False, 60),
    ],
)
async def test_failures_are_delivery_errors_that_say_whether_to_retry(
    channel: SlackChannel,
    fake_slack: Any,
    slack_token: str,
    error: str,
    status: int,
    headers: dict[str, str],
    permanent: bool,
    retry_after: float | None,
) -> None:
    fake_slack.answer("chat.postMessage", {"ok": False, "error": error}, status=status, headers=headers)
    with pytest.raises(DeliveryError) as failed:
        await channel.send(delivery())
    assert failed.value.permanent is permanent
    assert failed.value.retry_after == retry_after
    assert str(failed.value).startswith(f"slack:#payments: Slack refused chat.postMessage ({error})")
    assert slack_token not in str(failed.value)


async def test_an_unreachable_slack_is_retried(slack_token: str) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.model_validate(
        {"bot_token": slack_token, "base_url": f"http://127.0.0.1:{port}/api/"}
    )
    with pytest.raises(DeliveryError) as failed:
        await channel_factory(settings)("slack:ops", ChannelSettings(channel="C0OPS")).send(delivery())
    assert failed.value.permanent is False


def test_the_factory_defaults_to_the_plugins_settings() -> None:
    plugin = Settings.model_validate(
        {"bot_token": "xoxb-plugin", "audit_url_template": "https://a.example/{call_id}"}
    )
    plain = channel_factory(plugin)("slack:#payments", ChannelSettings())
    assert (plain.channel, plain.audit_url_template) == ("#payments", "https://a.example/{call_id}")
    assert plain.settings.bot_token.get_secret_value() == "xoxb-plugin"
    own = channel_factory(plugin)(
        "slack:ops",
        ChannelSettings.model_validate(
            {"channel": "C0OPS", "bot_token": "xoxb-own", "audit_url_template": AUDIT}
        ),
    )
    assert (own.channel, own.audit_url_template) == ("C0OPS", AUDIT)
    assert own.settings.bot_token.get_secret_value() == "xoxb-own"
    assert plugin.bot_token.get_secret_value() == "xoxb-plugin"
    with pytest.raises(ValueError, match="call_id"):
        ChannelSettings(audit_url_template="https://a.example/")


async def test_any_plugins_call_is_announced_in_slack_through_the_hub(
    fake_slack: Any, slack_token: str
) -> None:
    """The notification plugin routes a finished call to ``slack:#payments``; its worker posts it."""
    notify = NotifySettings.model_validate(
        {
            "channels": {"slack:#payments": {"audit_url_template": AUDIT}},
            "routes": [{"tools": ["slack_add_*"], "channels": ["slack:#payments"]}],
            "retry": {"max_attempts": 2, "base_backoff": 0.01, "max_backoff": 0.05},
        }
    )
    config = HubConfig.model_validate(
        {"plugins": {"slack": {"bot_token": slack_token, "base_url": fake_slack.base_url + "api/"}}}
    )
    plugin = NotifyPlugin(notify, outbox=MemoryOutbox(), worker_options=FAST_WORKER)
    hub = Hub(config, plugins=[("notify", plugin)], strict=True)
    if not hasattr(hub.host.pm.hook, "register_channels"):  # until the core registers the notify hookspec
        hub.host.pm.add_hookspecs(notify_hookspecs)
    async with hub, hub.client() as client:
        result = await client.call_tool(
            "slack_add_reaction", {"channel": "C0123ABCD", "ts": "1.2", "name": "tada"}
        )
        with anyio.fail_after(10):
            while not fake_slack.calls("chat.postMessage"):
                await anyio.sleep(0.01)
    assert not result.is_error
    [posted] = fake_slack.calls("chat.postMessage")
    call_id = posted.args["metadata"]["event_payload"]["id"].split("-")[1]
    shown = json.dumps(posted.args["blocks"])
    assert posted.args["channel"] == "#payments"
    assert ":white_check_mark: slack_add_reaction succeeded" in shown
    assert f"<https://audit.example.com/calls/{call_id}|call {call_id}>" in shown
    assert "*Principal*\\nlocal:" in shown
