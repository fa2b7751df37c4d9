"""Hubs for tests: started with chosen plugins and config, with the recorders in, stopped afterwards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..config import HubConfig
from ..hub import Hub
from ..plugins import PluginHost
from ..validate.target import isolated_hub
from .recorders import AuditRecorder, NotificationRecorder

__all__ = ["HubFactory", "host_has_hook"]


def host_has_hook(name: str) -> bool:
    """Whether the hub's plugin manager declares hook ``name`` (optional subsystems add theirs)."""
    caller = getattr(PluginHost().pm.hook, name, None)
    return caller is not None and caller.spec is not None


class HubFactory:
    """``await factory("stripe", settings={...})``: a started hub; every hub is stopped by :meth:`aclose`.

    With plugin names, only those installed plugins load (whatever
    ``MCPEA_LOAD_PLUGINS`` says); with none, the hub loads plugins as
    ``mcpea serve`` would. Every hub carries the factory's
    :class:`AuditRecorder` and :class:`NotificationRecorder`.
    """

    def __init__(
        self, audit: AuditRecorder | None = None, notifications: NotificationRecorder | None = None
    ) -> None:
        self.audit = audit if audit is not None else AuditRecorder()
        self.notifications = notifications if notifications is not None else NotificationRecorder()
        self.hubs: list[Hub] = []

    def recorders(self) -> list[tuple[str, object]]:
        found: list[tuple[str, object]] = [
            ("mcpea.testing.audit", self.audit),
            ("mcpea.testing.notifications", self.notifications),
        ]
        if host_has_hook("register_channels"):
            found.append(("mcpea.testing.capture", self.notifications.channel_plugin()))
        return found

    def build(
        self,
        *plugins: str,
        config: HubConfig | Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        extra: Sequence[object | tuple[str, object]] = (),
    ) -> Hub:
        """A hub, loaded but not started (see the class docstring for the arguments)."""
        objects = [*self.recorders(), *extra]
        if plugins:
            hub = isolated_hub(plugins, settings, config=config, plugins=objects)
        elif settings is not None:
            raise TypeError("settings= needs the plugin's name: factory('acme', settings={...})")
        else:
            chosen = config if isinstance(config, HubConfig) else HubConfig.model_validate(dict(config or {}))
            hub = Hub(chosen, plugins=objects)
        self.hubs.append(hub)
        return hub.load()

    async def __call__(
        self,
        *plugins: str,
        config: HubConfig | Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        extra: Sequence[object | tuple[str, object]] = (),
    ) -> Hub:
        hub = self.build(*plugins, config=config, settings=settings, extra=extra)
        await hub.start()
        return hub

    async def aclose(self) -> None:
        """Stop every hub made, newest first."""
        while self.hubs:
            await self.hubs.pop().stop()
