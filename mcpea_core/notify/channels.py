"""Channels: where notifications go, contributed by plugins through ``register_channels``.

A plugin declares a channel *kind* with ``register(kind, factory,
settings=Model)``; the operator configures channels of that kind as
``[notify.channels."<kind>:<name>"]``, each table validated against
``Model`` (secrets as ``{ env = ... }``), and the hub calls
``factory("<kind>:<name>", settings)`` once per configured channel at
start-up. The channel's :meth:`Channel.send` then runs on the delivery
worker's own thread and event loop: it must not rely on the hub's loop.

``send`` raises :class:`DeliveryError` when the notification did not
arrive: ``permanent=True`` dead-letters it at once (the receiver refused it
for good, such as an HTTP 400), otherwise it is retried with backoff
(``retry_after`` asks for a minimum wait). Any other exception counts as a
retryable failure and is logged with its traceback, as a bug.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError, McpeaError, PluginLoadError, RegistrationError
from .hookspecs import RegisterChannel

__all__ = [
    "Channel",
    "ChannelFactory",
    "ChannelKind",
    "ChannelKinds",
    "Delivery",
    "DeliveryError",
    "NoSettings",
]

logger = logging.getLogger("mcpea.notify")
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one notification: ``body`` is the exact JSON to send (and sign)."""

    entry_id: str
    channel: str
    idempotency_key: str
    body: bytes
    attempt: int

    @property
    def payload(self) -> dict[str, Any]:
        """The notification as a dict: tool, outcome, call_id, principal, time, summary, arguments, ..."""
        data: dict[str, Any] = json.loads(self.body)
        return data


class DeliveryError(McpeaError):
    """A notification did not reach its channel. The message names no secret and no URL credentials."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Channel(Protocol):
    """A configured destination. Built at start-up; used and closed on the delivery worker's loop."""

    async def send(self, delivery: Delivery) -> None:
        """Deliver ``delivery`` or raise (see the module docstring)."""

    async def aclose(self) -> None:
        """Release connections; called once when the worker stops."""


ChannelFactory = Callable[[str, Any], Channel]
"""``factory(channel_name, settings)``: one channel of a kind, from its validated settings."""


class NoSettings(BaseModel):
    """The settings of a channel kind that takes none: its table must be empty."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class ChannelKind:
    kind: str
    factory: ChannelFactory
    settings: type[BaseModel]
    plugin: str


class ChannelKinds:
    """The channel kinds plugins registered, and building the configured channels from them."""

    def __init__(self) -> None:
        self.kinds: dict[str, ChannelKind] = {}

    def registrar(self, plugin: str) -> RegisterChannel:
        """The ``register`` callback handed to ``plugin``'s ``register_channels``."""

        def register(
            kind: str, factory: ChannelFactory, /, *, settings: type[BaseModel] | None = None
        ) -> None:
            self.add(ChannelKind(kind, factory, settings or NoSettings, plugin))

        return register

    def add(self, kind: ChannelKind) -> None:
        if not _KIND.match(kind.kind):
            raise RegistrationError(
                f"plugin {kind.plugin!r} registers channel kind {kind.kind!r}: "
                "use lowercase letters, digits, - and _ (at most 32)",
                plugin=kind.plugin,
            )
        existing = self.kinds.get(kind.kind)
        if existing is not None:
            raise RegistrationError(
                f"channel kind {kind.kind!r} is registered by both plugin {existing.plugin!r} "
                f"and plugin {kind.plugin!r}",
                plugin=kind.plugin,
            )
        self.kinds[kind.kind] = kind

    def build(
        self, configured: Mapping[str, Mapping[str, Any]], *, path: str | None, strict: bool
    ) -> dict[str, Channel]:
        """One channel per configured ``<kind>:<name>``; bad settings raise ``ConfigError``.

        A kind no loaded plugin provides raises ``PluginLoadError`` when
        ``strict``; otherwise it is logged and that channel's notifications
        wait in the outbox until a hub that has it delivers them.
        """
        # Imported here: mcpea_core.config imports this package's settings module.
        from ..config import validate_section

        channels: dict[str, Channel] = {}
        for name, raw in configured.items():
            kind = self.kinds.get(name.split(":", 1)[0])
            if kind is None:
                message = (
                    f"notification channel {name!r}: no loaded plugin provides the kind "
                    f"{name.split(':', 1)[0]!r} (known: {', '.join(sorted(self.kinds)) or 'none'})"
                )
                if strict:
                    raise PluginLoadError(message)
                logger.error("%s; its notifications stay pending", message)
                continue
            settings = validate_section(kind.settings, dict(raw), path=path, key=f'notify.channels."{name}"')
            try:
                channels[name] = kind.factory(name, settings)
            except ConfigError:
                raise
            except Exception as exc:
                raise PluginLoadError(
                    f"plugin {kind.plugin!r} failed to build channel {name!r}: {type(exc).__name__}: {exc}",
                    plugin=kind.plugin,
                ) from exc
        return channels
