"""The mcpea pytest plugin's fixtures: hubs, the in-memory client, audit records, notifications."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from kit.support import compliant
from mcpea_core import Hub, PolicyDenied, Principal, UnknownToolError, hookimpl
from mcpea_core.testing import AuditRecorder, HubFactory, NotificationRecorder
from mcpea_core.testing import hubs as hubs_module

pytestmark = pytest.mark.anyio
Install = Callable[..., Path]


async def test_mcpea_hub_loads_only_the_named_plugin(mcpea_hub: HubFactory, install_plugin: Install) -> None:
    install_plugin("kitfix", compliant("kitfix"))
    hub = await mcpea_hub("kitfix", settings={"api_key": "k"})
    assert hub.ready
    assert {tool.plugin for tool in hub.tools.values()} == {
        "kitfix"
    }  # not example, despite MCPEA_LOAD_PLUGINS


async def test_mcpea_hub_without_names_loads_as_serve_would(mcpea_hub: HubFactory) -> None:
    hub = await mcpea_hub(config={"plugins": {"example": {"greeting": "Ahoy"}}})
    result = await hub.call_tool("example_echo_text", {"text": "x"})
    assert result.structured_content == {"echoed": "Ahoy: x", "length": 1}


async def test_settings_need_a_plugin_name(mcpea_hub: HubFactory) -> None:
    with pytest.raises(TypeError, match="settings= needs the plugin's name"):
        await mcpea_hub(settings={"greeting": "x"})


async def test_the_factory_stops_every_hub() -> None:
    factory = HubFactory()
    first, second = await factory(), await factory("example")
    assert first.ready and second.ready
    await factory.aclose()
    assert not first.ready and not second.ready and factory.hubs == []


async def test_mcpea_client_calls_through_the_pipeline(
    mcpea_client: Any, audit_records: AuditRecorder
) -> None:
    result = await mcpea_client.call_tool("example_echo_text", {"text": "mem"})
    assert result.structured_content == {"echoed": "Hello: mem", "length": 3}
    record = audit_records.last
    assert (record.tool, record.plugin, record.outcome, record.transport) == (
        "example_echo_text",
        "example",
        "success",
        "inprocess",
    )
    assert record.arguments == {"text": "mem"} and record.error is None


class TestChosenPlugins:
    """Overriding mcpea_plugins and mcpea_config chooses what mcpea_client's hub loads."""

    @pytest.fixture
    def mcpea_plugins(self, install_plugin: Install) -> Sequence[str]:
        install_plugin("kitfix", compliant("kitfix"))
        return ["kitfix"]

    @pytest.fixture
    def mcpea_config(self) -> dict[str, Any]:
        return {"plugins": {"kitfix": {"api_key": "k"}}}

    async def test_client_sees_only_that_plugin(
        self, mcpea_client: Any, audit_records: AuditRecorder
    ) -> None:
        names = {tool.name for tool in (await mcpea_client.list_tools()).tools}
        assert names == {"kitfix_get_country", "kitfix_create_refund"}
        await mcpea_client.call_tool("kitfix_get_country", {"code": "FR"})
        assert audit_records.last.request_ids == ["req_FR"]


async def test_audit_records_every_outcome(mcpea_hub: HubFactory, audit_records: AuditRecorder) -> None:
    class Deny:
        @hookimpl(wrapper=True, trylast=True)  # innermost, like the built-in policies
        def wrap_tool_call(self, call: Any) -> Any:
            inner = yield
            if call.name == "example_block_sleep":
                inner.close()
                return Hub.refuse(PolicyDenied("not now", policy="test"))
            return inner

    hub = await mcpea_hub("example", extra=[("deny", Deny())])
    await hub.call_tool("example_echo_text", {"text": 5})
    await hub.call_tool("example_fail_tool", {"message": "boom"})
    await hub.call_tool("example_block_sleep", {"seconds": 0})
    with pytest.raises(UnknownToolError):
        await hub.call_tool(
            "example_crash_tool", {}, principal=Principal(id="hidden-from-crash", kind="user")
        )
    assert [(r.tool, r.outcome) for r in audit_records] == [
        ("example_echo_text", "invalid_input"),
        ("example_fail_tool", "tool_error"),
        ("example_block_sleep", "denied"),
        ("example_crash_tool", "denied"),
    ]
    assert audit_records[1].error == "boom" and audit_records.for_tool("example_fail_tool") == [
        audit_records[1]
    ]
    audit_records.clear()
    with pytest.raises(LookupError):
        _ = audit_records.last


class NotifyArgs(BaseModel):
    notify: Literal["ops", "payments"] | None = None


class Notifier:
    """Offers a `notify` argument to every tool, as the notification plugin does."""

    @hookimpl
    def tool_extra_arguments(self, tool: Any) -> type[BaseModel] | None:
        return NotifyArgs


async def test_notifications_record_what_calls_asked_for(
    mcpea_hub: HubFactory, notifications: NotificationRecorder, audit_records: AuditRecorder
) -> None:
    hub = await mcpea_hub("example", extra=[("notifier", Notifier())])
    await hub.call_tool("example_echo_text", {"text": "quiet"})
    await hub.call_tool("example_echo_text", {"text": "x", "notify": "ops"})
    assert [(r.tool, r.outcome, r.channels) for r in notifications.requested] == [
        ("example_echo_text", "success", ("ops",)),
    ]
    assert notifications.channels == ["ops"]
    assert audit_records.last.hub_params == {"notifier": {"notify": "ops"}}
    assert audit_records.last.arguments == {"text": "x", "notify": "ops"}


class FakeDelivery:
    @property
    def payload(self) -> dict[str, str]:
        return {"tool": "example_echo_text", "outcome": "success"}


async def test_the_capture_channel_keeps_payloads(notifications: NotificationRecorder) -> None:
    channel = notifications.channel("capture:ops")
    await channel.send(FakeDelivery())
    assert await notifications.wait_delivered(1, timeout=1) == [
        {"channel": "capture:ops", "tool": "example_echo_text", "outcome": "success"}
    ]
    with pytest.raises(TimeoutError, match="1 of 2 notification"):
        await notifications.wait_delivered(2, timeout=0.05)
    await channel.aclose()


def test_the_capture_kind_is_offered_when_the_hub_has_register_channels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory = HubFactory()
    available = hubs_module.host_has_hook("register_channels")
    assert ("mcpea.testing.capture" in dict(factory.recorders())) is available
    monkeypatch.setattr(hubs_module, "host_has_hook", lambda name: True)
    plugin = dict(factory.recorders())["mcpea.testing.capture"]
    registered: list[tuple[str, Any]] = []
    plugin.register_channels(lambda kind, make: registered.append((kind, make)))  # type: ignore[attr-defined]
    ((kind, make),) = registered
    assert kind == "capture" and make("capture:ops", None).name == "capture:ops"


async def test_notifications_delivered_to_a_capture_channel(
    mcpea_hub: HubFactory, notifications: NotificationRecorder, tmp_path: Path
) -> None:
    config = {
        "notify": {
            "outbox": str(tmp_path / "notify.sqlite3"),
            "channels": {"capture:ops": {}},
            "routes": [{"tools": ["example_fail_*"], "channels": ["capture:ops"]}],
        }
    }
    hub = await mcpea_hub("example", config=config)
    await hub.call_tool("example_fail_tool", {"message": "boom"})
    await hub.call_tool("example_echo_text", {"text": "asked", "notify": "capture:ops"})
    delivered = await notifications.wait_delivered(2)
    assert sorted((d["channel"], d["tool"], d["outcome"]) for d in delivered) == [
        ("capture:ops", "example_echo_text", "success"),
        ("capture:ops", "example_fail_tool", "tool_error"),
    ]
    assert notifications.channels == ["capture:ops"]
