"""The durable audit trail: a hash-chained record before and after every tool call.

:class:`AuditPlugin` writes the records through the ``wrap_tool_call`` hook
into an :class:`AuditStore` chosen by URL (:func:`open_store`): SQLite (the
default), PostgreSQL or JSON Lines. ``store.verify()`` checks the chain and
that every started call is accounted for; ``mcpea audit`` (:mod:`.cli`)
reads, checks, checkpoints and exports it. Arguments and error texts are
redacted first (:mod:`.redact`). The SQLite and PostgreSQL stores also keep
the notification outbox and commit a call's notifications with its end
record (:class:`OutboxStore`).
"""

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
