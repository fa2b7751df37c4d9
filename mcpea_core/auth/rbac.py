"""Role-based access to tools: ``[auth.rbac]`` maps subjects to the tool-name globs they may use.

A built-in plugin on the core's hooks. ``tool_visible`` hides every tool the
caller may not use: absent from ``tools/list``, and unknown on
``tools/call`` (the core refuses the name before any wrapper or tool runs,
exactly as for a tool that does not exist, so a caller cannot probe which
tools exist). The ``wrap_tool_call`` wrapper refuses the same calls again for
code that builds a ``ToolCall`` itself.

Who is judged: only principals authenticated over HTTP. The local user
(stdio, ``mcpea call``, in-process) is never restricted, and without an
``[auth]`` section the plugin has no opinion at all. With ``[auth]`` and
``default = "deny"`` (the default) a caller sees the union of the globs of
the subjects it has, and nothing when no grant names it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Generator

from ..context import Principal, ToolCall, ToolOutcome
from ..errors import PolicyDenied
from ..hookspecs import hookimpl
from ..policy._globs import GlobSet
from ..tools import Tool
from .principal import subjects
from .settings import AuthSection

__all__ = ["RBAC_PLUGIN", "RbacPlugin"]

RBAC_PLUGIN = "mcpea.rbac"
_CACHE_LIMIT = 1024


class RbacPlugin:
    """Enforces the ``[auth.rbac]`` grants of one :class:`AuthSection` (``None``: no auth, no opinion)."""

    def __init__(self, auth: AuthSection | None) -> None:
        self.active = auth is not None
        self.default = auth.rbac.default if auth is not None else "allow"
        self.grants: dict[str, tuple[str, ...]] = (
            {subject: tuple(globs) for subject, globs in auth.rbac.grants.items()} if auth is not None else {}
        )
        self._globs: dict[frozenset[str], GlobSet] = {}

    def allows(self, principal: Principal, tool: str) -> bool:
        if not self.active or principal.kind == "local":
            return True
        if principal.kind == "anonymous":
            return False
        if self.default == "allow":
            return True
        return self._globs_for(principal).matches(tool)

    def _globs_for(self, principal: Principal) -> GlobSet:
        granted = frozenset(s for s in subjects(principal) if s in self.grants)
        globs = self._globs.get(granted)
        if globs is None:
            if len(self._globs) >= _CACHE_LIMIT:
                self._globs.clear()
            globs = GlobSet(sorted({g for subject in granted for g in self.grants[subject]}))
            self._globs[granted] = globs
        return globs

    @hookimpl
    def tool_visible(self, tool: Tool, principal: Principal) -> bool | None:
        return None if self.allows(principal, tool.name) else False

    @hookimpl(wrapper=True, trylast=True)
    def wrap_tool_call(
        self, call: ToolCall
    ) -> Generator[None, Awaitable[ToolOutcome], Awaitable[ToolOutcome]]:
        inner = yield
        if self.allows(call.principal, call.name):
            return inner
        if inspect.iscoroutine(inner):
            inner.close()  # the tool never runs
        from ..hub import Hub  # here, not at the top: the hub imports this module to register it

        return Hub.refuse(
            PolicyDenied(
                f"Tool {call.name!r} is not granted to {call.principal.id!r} by auth.rbac.", policy="rbac"
            )
        )
