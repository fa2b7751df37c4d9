"""Every tool of the connector, grouped as the README lists them."""

from __future__ import annotations

from . import clients, events, groups, roles, sessions, users
from .common import ToolSpec

__all__ = ["GROUPS", "TOOLS"]

GROUPS: tuple[tuple[str, tuple[ToolSpec, ...]], ...] = (
    ("users", users.TOOLS),
    ("roles", roles.TOOLS),
    ("groups", groups.TOOLS),
    ("clients", clients.TOOLS),
    ("sessions", sessions.TOOLS),
    ("events", events.TOOLS),
)
TOOLS: tuple[ToolSpec, ...] = tuple(spec for _, specs in GROUPS for spec in specs)
