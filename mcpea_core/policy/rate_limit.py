"""Per-principal, per-tool rate limits: a sliding window over the calls admitted, in memory.

A rule allows ``limit`` calls of each tool it matches, by each principal it
matches, within any window of ``per``; every rule that matches a call must
admit it, and a refused call is not counted. State lives in the process: a
restart forgets it, and several hub processes each enforce the limit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence

from ..errors import PolicyDenied
from ._globs import GlobSet
from .settings import RateLimitRule

__all__ = ["Clock", "RateLimiter"]

Clock = Callable[[], float]
"""Seconds on a monotonic clock; tests inject a fake one."""

_SWEEP_FLOOR = 1024


class RateLimiter:
    """Admits or refuses calls by ``(rule, principal id, tool name)``."""

    def __init__(self, rules: Sequence[RateLimitRule], *, clock: Clock = time.monotonic) -> None:
        self.rules = tuple(rules)
        self._matchers = [(GlobSet(rule.tools), GlobSet([rule.principal])) for rule in self.rules]
        self._clock = clock
        self._windows: dict[tuple[int, str, str], deque[float]] = {}
        self._sweep_at = _SWEEP_FLOOR

    @property
    def active(self) -> bool:
        return bool(self.rules)

    def admit(self, tool: str, principal: str) -> PolicyDenied | None:
        """Count the call and return ``None``, or return the refusal (with ``retry_after``) without counting it."""
        now = self._clock()
        windows: list[deque[float]] = []
        longest: tuple[float, int] | None = None
        for index, (tools, principals) in enumerate(self._matchers):
            if not (tools.matches(tool) and principals.matches(principal)):
                continue
            rule = self.rules[index]
            window = self._window((index, principal, tool), now)
            if len(window) >= rule.limit:
                wait = window[-rule.limit] + rule.window - now
                if longest is None or wait > longest[0]:
                    longest = (wait, index)
            windows.append(window)
        if longest is not None:
            return self._refusal(tool, principal, *longest)
        for window in windows:
            window.append(now)
        return None

    def _window(self, key: tuple[int, str, str], now: float) -> deque[float]:
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self._sweep_at:
                self._sweep(now)
            window = self._windows[key] = deque()
        _expire(window, now - self.rules[key[0]].window)
        return window

    def _sweep(self, now: float) -> None:
        """Forget principals and tools with no call in their window, so memory follows active callers."""
        for key, window in list(self._windows.items()):
            _expire(window, now - self.rules[key[0]].window)
            if not window:
                del self._windows[key]
        self._sweep_at = max(_SWEEP_FLOOR, 2 * len(self._windows))

    def _refusal(self, tool: str, principal: str, wait: float, index: int) -> PolicyDenied:
        rule = self.rules[index]
        retry_after = math.ceil(wait * 10) / 10
        times = "once" if rule.limit == 1 else f"{rule.limit} times"
        denied = PolicyDenied(
            f"Tool {tool!r} is refused by policy 'rate_limit': principal {principal!r} may call it at most "
            f"{times} per {rule.per} (policy.rate_limits[{index}]). Retry in {retry_after:g} s, "
            f"or raise policy.rate_limits[{index}].limit to permit more calls.",
            policy="rate_limit",
            retry_after=retry_after,
        )
        return denied


def _expire(window: deque[float], cutoff: float) -> None:
    while window and window[0] <= cutoff:
        window.popleft()
