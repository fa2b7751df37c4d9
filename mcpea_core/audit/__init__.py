"""The durable audit trail: a hash-chained record before and after every tool call.

:class:`AuditPlugin` writes the records through the ``wrap_tool_call`` hook
into an :class:`AuditStore` chosen by URL (:func:`open_store`): SQLite (the
default), PostgreSQL or JSON Lines. ``store.verify()`` checks the chain and
that every started call is accounted for; ``mcpea audit`` (:mod:`.cli`)
reads, checks, checkpoints and exports it. Arguments and error texts are
redacted first (:mod:`.redact`). The SQLite and PostgreSQL stores also keep
the notification outbox and commit a call's notifications with its end
record (:class:`OutboxStore`).

Names are imported on first use, so that ``mcpea_core.config`` (which needs
only :class:`AuditSettings`) and a hub with auditing off stay cheap to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .plugin import AuditPlugin, AuditUnavailable
    from .record import AuditRecord
    from .redact import RedactingFilter, Redactor, redact_arguments, redact_text
    from .settings import AuditSettings, audit_plugin
    from .store import AuditStore, AuditStoreError, OutboxStore, RecordFilter, open_store, store_from_url
    from .verify import ChainHead, VerifyReport

__all__ = [
    "AuditPlugin",
    "AuditRecord",
    "AuditSettings",
    "AuditStore",
    "AuditStoreError",
    "AuditUnavailable",
    "ChainHead",
    "OutboxStore",
    "RecordFilter",
    "RedactingFilter",
    "Redactor",
    "VerifyReport",
    "audit_plugin",
    "open_store",
    "redact_arguments",
    "redact_text",
    "store_from_url",
]

_LAZY = {
    "AuditPlugin": ".plugin",
    "AuditUnavailable": ".plugin",
    "AuditRecord": ".record",
    "RedactingFilter": ".redact",
    "Redactor": ".redact",
    "redact_arguments": ".redact",
    "redact_text": ".redact",
    "AuditSettings": ".settings",
    "audit_plugin": ".settings",
    "AuditStore": ".store",
    "AuditStoreError": ".store",
    "OutboxStore": ".store",
    "RecordFilter": ".store",
    "open_store": ".store",
    "store_from_url": ".store",
    "ChainHead": ".verify",
    "VerifyReport": ".verify",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
