"""Every tool of the connector, in the order they are registered and documented."""

from __future__ import annotations

from . import mail, stats
from .spec import ToolSpec

__all__ = ["TOOLS"]

TOOLS: tuple[ToolSpec, ...] = (*mail.TOOLS, *stats.TOOLS)
