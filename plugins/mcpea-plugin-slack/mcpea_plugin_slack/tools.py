"""Every tool of the connector, in the order they are registered and documented."""

from __future__ import annotations

from . import conversations, files, messages, users
from .spec import ToolSpec

__all__ = ["TOOLS"]

TOOLS: tuple[ToolSpec, ...] = (*messages.TOOLS, *conversations.TOOLS, *users.TOOLS, *files.TOOLS)
