"""Built-in policies: read-only mode, allow/deny globs, rate limits, confirmation of destructive tools.

Configured by the ``[policy]`` section of ``mcpea.toml`` (see
:mod:`mcpea_core.policy.settings`) and enforced by :class:`PolicyPlugin`
through the same hooks third-party plugins use. Names are imported on first
use (a hub without a ``[policy]`` section never loads the plugin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .plugin import PolicyPlugin
    from .settings import PolicySettings, RateLimitRule

__all__ = ["PolicyPlugin", "PolicySettings", "RateLimitRule"]

_LAZY = {"PolicyPlugin": ".plugin", "PolicySettings": ".settings", "RateLimitRule": ".settings"}

__getattr__ = lazy_getattr(__name__, _LAZY)
