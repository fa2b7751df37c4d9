"""The ``email`` notification channel: e-mails through the SDK to the stand-in, and in a real hub."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from mcpea_plugin_sendgrid import register_channels
from mcpea_plugin_sendgrid.channel import ChannelSettings, EmailChannel, channel_factory
from mcpea_plugin_sendgrid.settings import Settings
from pydantic import ValidationError

from mcpea_core.testing import AuditRecorder, HubFactory

pytestmark = pytest.mark.anyio

API_KEY = "SG.test-key-0123456789.abcdefghijklmnop"  # conftest.API_KEY
NOTIFICATION = {
    "type": "mcpea.tool_call",
    "version": 1,
    "id": "mcpea-c4ll-0123456789abcdef",
    "channel": "email:ops",
    "requested": False,
    "tool": "stripe_create_refund",
    "plugin": "stripe",
    "outcome": "tool_error",
    "call_id": "c4ll",
    "principal": "user:alice",
    "transport": "http",
    "time": "2025-01-31T12:00:00Z",
    "summary": "stripe_create_refund failed (called by user:alice): The card was declined",
    "arguments": {"payment_intent": "pi_1", "amount": 500},
    "error": {"class": "UpstreamError", "message": "The card was declined"},
}


@dataclass(frozen=True)
class FakeDelivery:
    """What the notification worker hands a channel: the payload and its idempotency key."""

    body: bytes
    idempotency_key: str
    entry_id: str = "e1"
    channel: str = "email:ops"
    attempt: int = 1

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


def delivery(notification: dict[str, Any] = NOTIFICATION) -> FakeDelivery:
    return FakeDelivery(json.dumps(notification).encode(), str(notification["id"]))


def make_channel(base_url: str, **channel: Any) -> EmailChannel:
    plugin = Settings.model_validate(
        {"api_key": API_KEY, "from_email": "hub@example.com", "api_base": base_url}
    )
    table = ChannelSettings.model_validate({"to": ["ops@example.com"], **channel})
    return channel_factory(plugin)("email:ops", table)


async def test_a_notification_becomes_an_email(fake_sendgrid: Any) -> None:
    channel = make_channel(
        fake_sendgrid.base_url,
        cc=["lead@example.com"],
        audit_url_template="https://audit.example.com/calls/{call_id}",
        from_name="MC-PEA alerts",
    )
    await channel.send(delivery())
    [mail] = fake_sendgrid.mails()
    assert mail["from"] == {"email": "hub@example.com", "name": "MC-PEA alerts"}
    assert mail["personalizations"] == [
        {"to": [{"email": "ops@example.com"}], "cc": [{"email": "lead@example.com"}]}
    ]
    assert (
        mail["subject"] == "[mcpea] stripe_create_refund failed (called by user:alice): The card was declined"
    )
    [content] = mail["content"]
    assert content["type"] == "text/plain"
    text = content["value"]
    for line in (
        "Tool: stripe_create_refund",
        "Outcome: tool_error",
        "Principal: user:alice",
        "Call id: c4ll",
        "Error: UpstreamError: The card was declined",
        "Audit record: https://audit.example.com/calls/c4ll",
        '"payment_intent": "pi_1"',
        "Notification id: mcpea-c4ll-0123456789abcdef",
    ):
        assert line in text
    assert mail["headers"] == {"X-Mcpea-Notification": NOTIFICATION["id"]}
    assert mail["custom_args"] == {"mcpea_notification": NOTIFICATION["id"], "mcpea_call_id": "c4ll"}
    assert mail["categories"] == ["mcpea-notification"]
    await channel.aclose()


async def test_a_multi_line_summary_still_makes_a_one_line_subject(fake_sendgrid: Any) -> None:
    channel = make_channel(fake_sendgrid.base_url, subject_prefix="")
    await channel.send(
        delivery({**NOTIFICATION, "summary": "line one\r\nBcc: everyone@example.com " + "x" * 300})
    )
    [mail] = fake_sendgrid.mails()
    assert "\n" not in mail["subject"] and "\r" not in mail["subject"] and len(mail["subject"]) <= 200
    assert mail["subject"].startswith("line one Bcc: everyone@example.com")


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after"),
    [
        (400, {}, True, None),
        (401, {}, True, None),
        (403, {}, True, None),
        (413, {}, True, None),
        (429, {"Retry-After": "42"}, False, 42.0),
        (500, {}, False, 5.0),
        (503, {}, False, 5.0),
    ],
)
async def test_failures_say_whether_another_attempt_can_help(
    fake_sendgrid: Any, status: int, headers: dict[str, str], permanent: bool, retry_after: float | None
) -> None:
    fake_sendgrid.answer(status, {"errors": [{"message": f"nope, {API_KEY}"}]}, **headers)
    with pytest.raises(Exception) as failed:
        await make_channel(fake_sendgrid.base_url).send(delivery())
    error: Any = failed.value
    assert type(error).__name__ == "DeliveryError"  # the notification worker's class, mcpea_core.notify
    assert error.permanent is permanent
    assert error.retry_after == retry_after
    assert str(error).startswith("email:ops: ") and API_KEY not in str(error)


async def test_an_unreachable_sendgrid_is_retried_later() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Exception) as failed:
        await make_channel(f"http://127.0.0.1:{port}").send(delivery())
    error: Any = failed.value
    assert type(error).__name__ == "DeliveryError" and error.permanent is False


def test_channel_tables_are_checked() -> None:
    with pytest.raises(ValidationError, match="to"):
        ChannelSettings.model_validate({"to": []})
    with pytest.raises(ValidationError, match="not a valid e-mail address"):
        ChannelSettings.model_validate({"to": ["ops"]})
    with pytest.raises(ValidationError, match="call_id"):
        ChannelSettings.model_validate(
            {"to": ["ops@example.com"], "audit_url_template": "https://a.example/"}
        )
    with pytest.raises(ValidationError, match="extra"):
        ChannelSettings.model_validate({"to": ["ops@example.com"], "api_key": "SG.x"})


def test_the_hook_contributes_the_email_kind_only_when_configured() -> None:
    registered: list[tuple[str, Any, Any]] = []

    def register(kind: str, factory: Any, /, *, settings: Any = None) -> None:
        registered.append((kind, factory, settings))

    register_channels(register, None)
    assert registered == []
    plugin = Settings.model_validate({"api_key": API_KEY, "from_email": "hub@example.com"})
    register_channels(register, plugin)
    [(kind, factory, model)] = registered
    assert (kind, model) == ("email", ChannelSettings)
    channel = factory("email:ops", ChannelSettings.model_validate({"to": ["ops@example.com"]}))
    assert isinstance(channel, EmailChannel) and channel.settings is plugin


def hub_config(
    plugin: dict[str, Any], outbox: Path, channel: dict[str, Any], **notify: Any
) -> dict[str, Any]:
    """mcpea.toml as a dict: [plugins.sendgrid], and [notify] with one email:ops channel and ``notify``."""
    return {
        "plugins": {"sendgrid": plugin},
        "notify": {"outbox": str(outbox), "channels": {"email:ops": channel}, **notify},
    }


async def test_a_routed_call_is_emailed_by_the_hubs_notification_worker(
    mcpea_hub: HubFactory, audit_records: AuditRecorder, fake_sendgrid: Any, settings_for: Any, tmp_path: Path
) -> None:
    """mcpea.toml alone: [plugins.sendgrid], an email:ops channel, a route; the worker sends the e-mail."""
    channel = {"to": ["ops@example.com"], "subject_prefix": "[hub]"}
    routes = [{"tools": ["sendgrid_get_stats"], "channels": ["email:ops"]}]
    hub = await mcpea_hub(
        config=hub_config(settings_for(fake_sendgrid), tmp_path / "n.sqlite3", channel, routes=routes)
    )
    async with hub.client() as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert "notify" in listed["sendgrid_send_email"].input_schema["properties"]
        result = await client.call_tool(
            "sendgrid_get_stats", {"start_date": "2025-01-01", "end_date": "2025-01-02"}
        )
    assert not result.is_error
    [mail] = await anyio.to_thread.run_sync(fake_sendgrid.wait_for_mails, 1)
    call_id = audit_records.last.call_id
    assert mail["subject"].startswith("[hub] sendgrid_get_stats succeeded (called by local:")
    assert mail["personalizations"] == [{"to": [{"email": "ops@example.com"}]}]
    assert mail["custom_args"]["mcpea_call_id"] == call_id
    assert f"Call id: {call_id}" in mail["content"][0]["value"]


async def test_the_model_may_ask_for_an_email_through_notify(
    mcpea_hub: HubFactory, audit_records: AuditRecorder, fake_sendgrid: Any, settings_for: Any, tmp_path: Path
) -> None:
    channel = {"to": ["ops@example.com"]}
    hub = await mcpea_hub(config=hub_config(settings_for(fake_sendgrid), tmp_path / "n.sqlite3", channel))
    email = {
        "to": ["customer@example.com"],
        "subject": "Your refund",
        "text": "Done.",
        "notify": ["email:ops"],
    }
    async with hub.client() as client:
        result = await client.call_tool("sendgrid_send_email", email)
    assert not result.is_error
    mails = await anyio.to_thread.run_sync(fake_sendgrid.wait_for_mails, 2)
    [notice] = [m for m in mails if m["personalizations"][0]["to"] == [{"email": "ops@example.com"}]]
    assert (
        notice["subject"]
        == f"[mcpea] sendgrid_send_email succeeded (called by {audit_records.last.principal})"
    )
    assert "Requested by the model: yes" in notice["content"][0]["value"]
    assert '"subject": "Your refund"' in notice["content"][0]["value"]
