"""Notifications: tell people and systems when tools ran, through channels, from a durable outbox.

Configured by the ``[notify]`` section of ``mcpea.toml`` (see
:mod:`mcpea_core.notify.settings`). :class:`NotifyPlugin` adds an optional
``notify`` argument to every tool (its values: the configured channel
names), queues one notification per matching route or requested channel
when a call ends (in the audit database, with the call's end record, when
the audit store is SQLite or PostgreSQL), and delivers them from a
background worker with retries and dead-lettering. Channel kinds come from plugins (``register_channels``);
``webhook`` (signed HTTP POST) and ``log`` are built in.

Every name here is imported on first use, so that ``mcpea_core.config`` can
import the settings cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .channels import Channel, Delivery, DeliveryError
    from .memory_outbox import MemoryOutbox
    from .outbox import CallNotifications, Outbox, OutboxEntry
    from .plugin import NotifyPlugin, notify_plugin
    from .postgres_outbox import PostgresOutbox
    from .settings import NotifySettings, RetrySettings, RouteRule
    from .sqlite_outbox import SQLiteOutbox
    from .webhook import verify_signature

__all__ = [
    "CallNotifications",
    "Channel",
    "Delivery",
    "DeliveryError",
    "MemoryOutbox",
    "NotifyPlugin",
    "NotifySettings",
    "Outbox",
    "OutboxEntry",
    "PostgresOutbox",
    "RetrySettings",
    "RouteRule",
    "SQLiteOutbox",
    "notify_plugin",
    "verify_signature",
]

_LAZY = {
    "Channel": ".channels",
    "Delivery": ".channels",
    "DeliveryError": ".channels",
    "CallNotifications": ".outbox",
    "Outbox": ".outbox",
    "OutboxEntry": ".outbox",
    "NotifySettings": ".settings",
    "RetrySettings": ".settings",
    "RouteRule": ".settings",
    "MemoryOutbox": ".memory_outbox",
    "NotifyPlugin": ".plugin",
    "PostgresOutbox": ".postgres_outbox",
    "SQLiteOutbox": ".sqlite_outbox",
    "notify_plugin": ".plugin",
    "verify_signature": ".webhook",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
