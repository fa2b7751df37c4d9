"""The ``[audit]`` section of ``mcpea.toml``, and the built-in audit plugin it configures.

::

    [audit]
    store = "sqlite:///var/lib/mcpea/audit.sqlite3"   # or postgresql://..., jsonl:///...
    on_failure = "deny"                               # or "allow"
    timeout = 10.0                                    # seconds per write

``MCPEA_AUDIT_STORE`` overrides ``store``. Without either, records go to
``audit.sqlite3`` in the user state directory. ``store = "off"`` disables
auditing (a warning is logged at start-up).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .plugin import AuditPlugin

__all__ = ["AUDIT_STORE_ENV", "AuditSettings", "audit_plugin", "configured_store_url"]

AUDIT_STORE_ENV = "MCPEA_AUDIT_STORE"
logger = logging.getLogger("mcpea.audit")


class AuditSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: str | None = Field(
        default=None,
        description="Audit store URL: sqlite:///path, postgresql://..., jsonl:///path, or off; "
        f"{AUDIT_STORE_ENV} overrides it; default a SQLite file in the user state directory.",
    )
    on_failure: Literal["deny", "allow"] = Field(
        default="deny",
        description="When a start record cannot be written: refuse the call, or run it unaudited.",
    )
    timeout: float = Field(
        default=10.0, gt=0, description="Seconds one audit write may take before it counts as failed."
    )


def configured_store_url(settings: AuditSettings | None = None) -> str | None:
    """The store URL in effect: MCPEA_AUDIT_STORE, else ``[audit] store``, else the default; ``None``: off."""
    url = os.environ.get(AUDIT_STORE_ENV) or (settings or AuditSettings()).store
    if url is not None and url.strip().lower() == "off":
        return None
    if url:
        return url
    from .store import default_store_url  # (imported when needed: config imports this module)

    return default_store_url()


def audit_plugin(settings: AuditSettings | None = None) -> AuditPlugin | None:
    """The built-in audit plugin for these settings (``None`` when auditing is off). Opens nothing yet."""
    chosen = settings or AuditSettings()
    url = configured_store_url(chosen)
    if url is None:
        logger.warning("audit is off: tool calls leave no audit trail")
        return None
    from .plugin import AuditPlugin

    return AuditPlugin(url, on_failure=chosen.on_failure, timeout=chosen.timeout)
