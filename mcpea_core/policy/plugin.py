"""The policy plugin: read-only mode, allow/deny globs, rate limits and confirmation, on the core's hooks.

Read-only mode and allow/deny hide tools (``tool_visible``: absent from
``tools/list``, unknown on call). Rate limits and confirmation refuse calls
in ``wrap_tool_call`` with outcome ``denied``. That wrapper is ``trylast``:
it sits innermost, right around the tool, so every other wrapper (audit,
which is ``tryfirst``, notifications, metrics) sees each refusal as an
ordinary outcome, and rate limits count the calls that actually reach the
tool's doorstep. Each refusal is a :class:`~mcpea_core.errors.PolicyDenied`
whose ``policy`` is one of ``read_only``, ``allow``, ``deny``,
``rate_limit`` (with ``retry_after`` in seconds) or ``confirmation``.

The wrapper checks visibility, then rate limits, then confirmation, so a
call refused by a rate limit never bothers the user; a call the user then declines still counts against the limit,
which also bounds how often the user is asked.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Generator

from ..context import ToolCall, ToolOutcome
from ..errors import PolicyDenied
from ..hookspecs import hookimpl
from ..tools import Tool
from .confirmation import Confirmation
from .rate_limit import Clock, RateLimiter
from .settings import PolicySettings
from .visibility import Visibility

__all__ = ["PolicyPlugin"]


class PolicyPlugin:
    """Enforces one :class:`PolicySettings`; ``clock`` (monotonic seconds) drives the rate limits."""

    def __init__(self, settings: PolicySettings | None = None, *, clock: Clock = time.monotonic) -> None:
        self.settings = settings if settings is not None else PolicySettings()
        self.visibility = Visibility(self.settings)
        self.rate_limits = RateLimiter(self.settings.rate_limits, clock=clock)
        self.confirmation = Confirmation(self.settings)

    @hookimpl
    def tool_visible(self, tool: Tool) -> bool | None:
        return None if self.visibility.visible(tool) else False

    @hookimpl(wrapper=True, trylast=True)
    def wrap_tool_call(self, call: ToolCall) -> Generator[None, Awaitable[ToolOutcome], Awaitable[ToolOutcome]]:
        inner = yield
        refusal = self.visibility.refusal(call.tool) or self.rate_limits.admit(call.name, call.principal.id)
        if refusal is not None:
            return _refuse(inner, refusal)
        requirement = self.confirmation.requirement(call.tool)
        if requirement is None:
            return inner

        async def confirmed() -> ToolOutcome:
            try:
                refusal = await self.confirmation.ask(call, requirement)
            except BaseException:  # cancelled while the user was being asked
                _discard(inner)
                raise
            if refusal is not None:
                return await _refuse(inner, refusal)
            return await inner

        return confirmed()


def _discard(inner: Awaitable[ToolOutcome]) -> None:
    """Close the inner call without running it (and without a never-awaited warning)."""
    if inspect.iscoroutine(inner):
        inner.close()


def _refuse(inner: Awaitable[ToolOutcome], refusal: PolicyDenied) -> Awaitable[ToolOutcome]:
    """Refuse the call: the tool does not run."""
    _discard(inner)
    from ..hub import Hub  # here, not at the top: mcpea_core.config imports this package's settings

    return Hub.refuse(refusal)
