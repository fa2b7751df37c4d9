"""Read-only mode and the allow/deny lists: which tools exist at all for the caller.

A hidden tool is absent from ``tools/list`` and unknown on call (the core's
``tool_visible`` contract); the plugin's wrapper refuses it too, for callers
that build a ``ToolCall`` themselves.
"""

from __future__ import annotations

from ..errors import PolicyDenied
from ..tools import Tool
from ._globs import GlobSet
from .settings import PolicySettings

__all__ = ["Visibility"]


class Visibility:
    """Decides, once per tool, whether read-only mode or the allow/deny globs hide it."""

    def __init__(self, settings: PolicySettings) -> None:
        self.read_only = settings.read_only
        self.allow = GlobSet(settings.allow)
        self.deny = GlobSet(settings.deny)
        self._verdicts: dict[tuple[str, bool], tuple[str, str] | None] = {}

    @property
    def active(self) -> bool:
        return self.read_only or bool(self.allow) or bool(self.deny)

    def visible(self, tool: Tool) -> bool:
        return self._verdict(tool) is None

    def refusal(self, tool: Tool) -> PolicyDenied | None:
        """The error that refuses a hidden ``tool``; ``None`` when it is visible."""
        verdict = self._verdict(tool)
        return None if verdict is None else PolicyDenied(verdict[1], policy=verdict[0])

    def _verdict(self, tool: Tool) -> tuple[str, str] | None:
        key = (tool.name, tool.annotations.read_only)
        if key not in self._verdicts:
            self._verdicts[key] = self._judge(tool)
        return self._verdicts[key]

    def _judge(self, tool: Tool) -> tuple[str, str] | None:
        """``(policy, message)`` when a policy hides the tool."""
        name = tool.name
        if self.read_only and not tool.annotations.read_only:
            return (
                "read_only",
                f"Tool {name!r} is refused by policy 'read_only': the hub is in read-only mode and the tool "
                "is not annotated read-only. Set policy.read_only = false to permit it.",
            )
        glob = self.deny.first_match(name)
        if glob is not None:
            return (
                "deny",
                f"Tool {name!r} is refused by policy 'deny': it matches {glob!r} in policy.deny. "
                "Remove that glob from policy.deny to permit it.",
            )
        if self.allow and not self.allow.matches(name):
            return (
                "allow",
                f"Tool {name!r} is refused by policy 'allow': it matches no glob in policy.allow. "
                "Add it to policy.allow to permit it.",
            )
        return None
