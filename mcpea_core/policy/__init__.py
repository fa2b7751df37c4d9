"""Built-in policies: read-only mode, allow/deny globs, rate limits, confirmation of destructive tools.

Configured by the ``[policy]`` section of ``mcpea.toml`` (see
:mod:`mcpea_core.policy.settings`) and enforced by :class:`PolicyPlugin`
through the same hooks third-party plugins use.
"""

from .plugin import PolicyPlugin
from .settings import PolicySettings, RateLimitRule

__all__ = ["PolicyPlugin", "PolicySettings", "RateLimitRule"]
