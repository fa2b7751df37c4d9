"""``mcpea validate``: a compliance report on one plugin.

Checks, each ``pass``, ``warn`` or ``fail``: the naming chain (distribution,
package, entry point, tool names), the entry point imports, the settings
are documented and hold no secret defaults, every tool has a useful
description, explicit annotations, valid JSON Schema 2020-12 input and
output schemas and no credentials in its defaults or examples, and an MCP
round trip through the in-memory client lists the tools and calls those
safe to call (see :mod:`mcpea_core.validate.tools`).

Only light modules load here; the checks import ``jsonschema`` and the hub
when they run.
"""

from .report import Check, Report, Status, render_reports

__all__ = ["Check", "Report", "Status", "render_reports", "validate_plugin", "validate_target"]


def __getattr__(name: str) -> object:
    if name in ("validate_plugin", "validate_target"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
