"""The register_channels hook: another plugin contributes a channel kind (as the Slack plugin will)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from mcpea_core import HubConfig, PluginLoadError, hookimpl
from mcpea_core.notify.channels import Delivery
from mcpea_core.notify.memory_outbox import MemoryOutbox
from mcpea_core.notify.plugin import NotifyPlugin
from mcpea_core.notify.settings import NotifySettings
from notify.support import FAST_WORKER, eventually, notify_hub

pytestmark = pytest.mark.anyio


class MemoPluginSettings(BaseModel):
    token: SecretStr


class MemoChannelSettings(BaseModel):
    prefix: str


class MemoChannel:
    def __init__(
        self, name: str, token: str, prefix: str, inbox: list[tuple[str, str, dict[str, Any]]]
    ) -> None:
        self.name, self.token, self.prefix, self.inbox = name, token, prefix, inbox

    async def send(self, delivery: Delivery) -> None:
        self.inbox.append((self.name, f"{self.prefix}:{self.token}", delivery.payload))

    async def aclose(self) -> None:
        return None


class MemoPlugin:
    def __init__(self) -> None:
        self.inbox: list[tuple[str, str, dict[str, Any]]] = []

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        return MemoPluginSettings

    @hookimpl
    def register_channels(self, register: Any, settings: MemoPluginSettings) -> None:
        def factory(name: str, channel: MemoChannelSettings) -> MemoChannel:
            return MemoChannel(name, settings.token.get_secret_value(), channel.prefix, self.inbox)

        register("memo", factory, settings=MemoChannelSettings)


def notify_settings(**channels: dict[str, Any]) -> NotifySettings:
    return NotifySettings.model_validate({"channels": {"memo:inbox": {"prefix": "P"}, **channels}})


async def test_hook_register_channels() -> None:
    memo = MemoPlugin()
    notify = NotifyPlugin(notify_settings(), outbox=MemoryOutbox(), worker_options=FAST_WORKER)
    config = HubConfig.model_validate({"plugins": {"memo": {"token": "memo-token"}}})
    async with notify_hub(("notify", notify), ("memo", memo), config=config) as hub:
        assert "register_channels" in hub.host.infos["memo"].hooks
        result = await hub.call_tool("example_echo_text", {"text": "hi", "notify": "memo:inbox"})
        await eventually(lambda: len(memo.inbox) == 1)
    assert not result.is_error
    ((name, seen, payload),) = memo.inbox
    assert (name, seen) == ("memo:inbox", "P:memo-token")
    assert payload["tool"] == "example_echo_text" and payload["requested"] is True


async def test_a_channel_of_a_missing_kind_stops_a_strict_hub() -> None:
    notify = NotifyPlugin(notify_settings(**{"pager:oncall": {}}), outbox=MemoryOutbox())
    config = HubConfig.model_validate({"hub": {"strict": True}, "plugins": {"memo": {"token": "t"}}})
    with pytest.raises(PluginLoadError, match="no loaded plugin provides the kind 'pager'"):
        await notify_hub(("notify", notify), ("memo", MemoPlugin()), config=config).start()
