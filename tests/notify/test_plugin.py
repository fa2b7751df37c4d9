"""The plugin in a real hub: the `notify` argument, routing, fail-open queuing."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from mcpea_core import Hub, PolicyDenied, hookimpl
from mcpea_core.notify.memory_outbox import MemoryOutbox
from mcpea_core.notify.outbox import OutboxEntry
from mcpea_core.notify.plugin import NotifyPlugin, notify_plugin
from mcpea_core.notify.settings import NotifySettings
from notify.support import FAST_WORKER, Receiver, notify_hub, settings

pytestmark = pytest.mark.anyio


def plugin(config: NotifySettings, outbox: Any = None, **options: Any) -> NotifyPlugin:
    return NotifyPlugin(config, outbox=outbox or MemoryOutbox(), worker_options=FAST_WORKER, **options)


def payloads(entries: Sequence[OutboxEntry]) -> list[dict[str, Any]]:
    return [json.loads(e.payload) for e in entries]


async def test_notify_is_published_with_exactly_the_configured_channels() -> None:
    hub = notify_hub(("notify", plugin(settings())))
    async with hub.client() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for tool in tools.values():
        notify = tool.input_schema["properties"]["notify"]
        assert notify["anyOf"][0]["items"]["enum"] == ["log:audit", "webhook:ops"]
        assert notify["anyOf"][1] == {"type": "null"}
        assert "notify" not in tool.input_schema.get("required", [])
    assert "notify" not in hub.tools["example_echo_text"].input_schema["properties"]


async def test_no_channels_no_argument_and_no_outbox_writes() -> None:
    outbox = MemoryOutbox()
    hub = notify_hub(("notify", plugin(NotifySettings(), outbox)))
    async with hub.client() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        await client.call_tool("example_echo_text", {"text": "hi"})
    assert "notify" not in tools["example_echo_text"].input_schema["properties"]
    assert await outbox.list_entries() == []
    assert notify_plugin(NotifySettings()) is None and notify_plugin(None) is None


async def test_an_invalid_notify_value_is_rejected_naming_the_field(receiver: Receiver) -> None:
    outbox = MemoryOutbox()
    hub = notify_hub(("notify", plugin(settings(receiver.url), outbox)))
    async with hub.client() as client:
        bad = await client.call_tool(
            "example_echo_text", {"text": "hi", "notify": "https://evil.example/collect"}
        )
        worse = await client.call_tool(
            "example_echo_text", {"text": "hi", "notify": ["webhook:ops", "webhook:evil"]}
        )
    for result in (bad, worse):
        text = result.content[0].text  # type: ignore[union-attr]
        assert result.is_error and "Invalid arguments for tool 'example_echo_text'" in text
        assert "- notify" in text and "'log:audit' or 'webhook:ops'" in text
    assert await outbox.list_entries() == []
    assert receiver.requests == []


async def test_the_requested_channel_is_notified_and_the_tool_never_sees_notify() -> None:
    outbox = MemoryOutbox()
    hub = notify_hub(("notify", plugin(settings(), outbox)))
    async with hub.client() as client:
        ok = await client.call_tool("example_echo_text", {"text": "hi", "notify": "log:audit"})
        quiet = await client.call_tool("example_echo_text", {"text": "hi"})
    assert ok.structured_content == {"echoed": "Hello: hi", "length": 2}
    assert not quiet.is_error
    (sent,) = payloads(await outbox.list_entries())
    assert sent["channel"] == "log:audit" and sent["requested"] is True
    assert (
        sent["tool"] == "example_echo_text" and sent["plugin"] == "example" and sent["outcome"] == "success"
    )
    assert sent["arguments"] == {"text": "hi"}
    assert sent["principal"].startswith("local:") and sent["summary"].startswith(
        "example_echo_text succeeded"
    )
    assert sent["time"].endswith("Z") and sent["error"] is None


async def test_routes_by_tool_glob_and_outcome() -> None:
    outbox = MemoryOutbox()
    config = settings(
        routes=[
            {"tools": ["example_echo_*"], "outcomes": ["success"], "channels": ["log:audit"]},
            {
                "tools": ["example_fail_*", "example_crash_*"],
                "outcomes": ["tool_error"],
                "channels": ["webhook:ops"],
            },
        ]
    )
    async with notify_hub(("notify", plugin(config, outbox))) as hub:
        await hub.call_tool("example_echo_text", {"text": "routed"})
        await hub.call_tool("example_echo_text", {"text": 5})  # invalid_input: no route
        await hub.call_tool("example_fail_tool", {"message": "card declined for sk_live_abcdefghijklmnop"})
        await hub.call_tool("example_crash_tool", {})  # crash: no route
        await hub.call_tool("example_echo_text", {"text": "both", "notify": ["log:audit", "webhook:ops"]})
    sent = [
        (p["tool"], p["outcome"], p["channel"], p["requested"]) for p in payloads(await outbox.list_entries())
    ]
    assert sent == [
        ("example_echo_text", "success", "log:audit", False),
        ("example_fail_tool", "tool_error", "webhook:ops", False),
        ("example_echo_text", "success", "log:audit", True),
        ("example_echo_text", "success", "webhook:ops", True),
    ]
    failed = payloads(await outbox.list_entries())[1]
    assert failed["error"]["class"] == "ToolError"
    assert "card declined" in failed["error"]["message"] and "sk_live_" not in json.dumps(failed)
    assert "sk_live_" not in failed["summary"]


async def test_a_refusal_by_an_inner_wrapper_is_notified_as_denied() -> None:
    class Refuser:
        @hookimpl(wrapper=True, trylast=True)
        def wrap_tool_call(self, call: Any) -> Any:
            inner = yield
            inner.close()
            raise PolicyDenied("not today", policy="test")

    outbox = MemoryOutbox()
    config = settings(routes=[{"outcomes": ["denied"], "channels": ["log:audit"]}])
    async with notify_hub(("notify", plugin(config, outbox)), ("refuser", Refuser())) as hub:
        result = await hub.call_tool("example_echo_text", {"text": "x"})
    assert result.is_error and "not today" in result.content[0].text  # type: ignore[union-attr]
    (sent,) = payloads(await outbox.list_entries())
    assert sent["outcome"] == "denied" and sent["error"] == {"class": "PolicyDenied", "message": "not today"}


class BrokenOutbox(MemoryOutbox):
    def __init__(self, *, hang: bool) -> None:
        super().__init__()
        self.hang = hang

    async def enqueue(self, entries: Sequence[OutboxEntry]) -> int:
        if self.hang:
            await anyio.sleep_forever()
        raise OSError("disk full")


@pytest.mark.parametrize("hang", [False, True], ids=["failing", "hanging"])
async def test_a_broken_outbox_never_fails_the_call(hang: bool, caplog: pytest.LogCaptureFixture) -> None:
    config = settings(routes=[{"channels": ["log:audit"]}])
    hub = notify_hub(("notify", plugin(config, BrokenOutbox(hang=hang), enqueue_timeout=0.2)))
    started = time.monotonic()
    async with hub:
        result = await hub.call_tool("example_echo_text", {"text": "still works"})
    assert result.structured_content == {"echoed": "Hello: still works", "length": 11}
    assert time.monotonic() - started < 5
    assert "were not queued" in caplog.text


class Pager(BaseModel):
    notify: bool = False


async def test_a_tool_with_its_own_notify_argument_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    class PagerPlugin:
        @hookimpl
        def register_tools(self, register: Any) -> None:
            def pager_send_page(params: Pager) -> str:
                """Send a page."""
                return f"notify={params.notify}"

            register(pager_send_page)

    hub = notify_hub(("notify", plugin(settings())), ("pager", PagerPlugin()))
    async with hub:
        assert hub.published_schema(hub.tools["pager_send_page"])["properties"]["notify"] == {
            "default": False,
            "title": "Notify",
            "type": "boolean",
        }
        assert "enum" in json.dumps(
            hub.published_schema(hub.tools["example_echo_text"])["properties"]["notify"]
        )
        assert (await hub.call_tool("pager_send_page", {"notify": True})).content[0].text == "notify=True"  # type: ignore[union-attr]
    assert "has its own 'notify' argument" in caplog.text


async def test_hub_without_the_notify_plugin_is_unchanged() -> None:
    async with Hub() as hub:
        assert "notify" not in hub.published_schema(hub.tools["example_echo_text"])["properties"]
