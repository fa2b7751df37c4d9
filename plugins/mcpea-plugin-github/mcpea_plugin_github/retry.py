"""The retry policy given to PyGithub: retry reads, never writes.

PyGithub's default ``GithubRetry`` retries POST on any 5xx up to ten times
without backoff (one ``create_issue`` against a 502 sent 11 POSTs in 10 ms):
a write that timed out or failed at a proxy may still have happened, and
retrying it files the issue again. This policy:

- retries only GET, HEAD and OPTIONS: on 500/502/503/504, on read errors and
  on rate limits, at most ``total`` times, waiting ``backoff_factor x 2^(n-1)``
  seconds plus jitter before the n-th retry (or the ``Retry-After`` GitHub
  sends);
- waits out a rate limit (403/429) on a read only when GitHub says how long
  (``Retry-After``, or ``X-RateLimit-Reset`` with no requests left) and that
  is at most ``max_rate_limit_wait`` seconds; otherwise the response goes back
  to PyGithub and the connector reports it as ``RateLimited`` with the wait;
- retries connection failures for any method (nothing reached GitHub), as
  urllib3 does;
- never raises ``MaxRetryError`` for a status: the last response reaches
  PyGithub, which raises its own exception carrying GitHub's status, message
  and request id.

This is the only retry layer: the hub does not retry tool calls, so attempts
do not multiply.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from itertools import takewhile
from typing import Any

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

__all__ = ["ReadOnlyRetry", "rate_limit_wait"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
RATE_LIMIT_STATUSES = frozenset({403, 429})


def _sleep(seconds: float) -> None:
    """How the policy waits, looked up on each wait (tests replace it to record waits instead)."""
    time.sleep(seconds)


def rate_limit_wait(headers: Any, *, now: float | None = None) -> float | None:
    """Seconds GitHub asks a rate-limited client to wait, or ``None`` if the headers do not say.

    ``Retry-After`` wins (secondary limits); otherwise, with no requests left
    (``X-RateLimit-Remaining: 0``), the time until ``X-RateLimit-Reset`` (primary
    limits). ``headers`` is any mapping with ``get``; names are matched in either case.
    """

    def header(name: str) -> str | None:
        value = headers.get(name)
        if value is None:
            value = headers.get(name.lower())
        return None if value is None else str(value)

    retry_after = header("Retry-After")
    if retry_after is not None and retry_after.strip().isdigit():
        return float(retry_after.strip())
    if header("X-RateLimit-Remaining") == "0":
        reset = header("X-RateLimit-Reset")
        if reset is not None and reset.strip().isdigit():
            return max(0.0, float(reset) - (time.time() if now is None else now))
    return None


class ReadOnlyRetry(Retry):
    """A ``urllib3`` ``Retry`` that retries only safe methods, with backoff and a rate-limit cap.

    ``sleep`` is the function used to wait (default: this module's
    ``_sleep``). Build one with :meth:`for_github`.
    """

    def __init__(
        self,
        *args: Any,
        max_rate_limit_wait: float = 20.0,
        sleep: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_rate_limit_wait = max_rate_limit_wait
        self.sleeper = sleep

    @classmethod
    def for_github(
        cls,
        *,
        retries: int,
        backoff: float,
        max_rate_limit_wait: float,
        sleep: Callable[[float], None] | None = None,
    ) -> ReadOnlyRetry:
        return cls(
            total=retries,
            status_forcelist=TRANSIENT_STATUSES,
            allowed_methods=SAFE_METHODS,
            backoff_factor=backoff,
            backoff_jitter=backoff,
            backoff_max=30.0,
            raise_on_status=False,
            respect_retry_after_header=True,
            max_rate_limit_wait=max_rate_limit_wait,
            sleep=sleep,
        )

    def new(self, **kw: Any) -> ReadOnlyRetry:
        kw.setdefault("max_rate_limit_wait", self.max_rate_limit_wait)
        kw.setdefault("sleep", self.sleeper)
        retry: ReadOnlyRetry = super().new(**kw)
        return retry

    def _allowed(self, method: str | None) -> bool:
        allowed: Collection[str] | None = self.allowed_methods
        return method is not None and allowed is not None and method.upper() in allowed

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if not self._allowed(method):
            return False
        if status_code in RATE_LIMIT_STATUSES:
            return True  # increment() decides from the headers whether it is a rate limit worth waiting for
        return self.status_forcelist is not None and status_code in self.status_forcelist

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> ReadOnlyRetry:
        if response is not None:
            wait = rate_limit_wait(response.headers)
            if response.status in RATE_LIMIT_STATUSES and wait is None:
                # A plain 403 (no permission) or a limit GitHub gives no wait for: not ours to retry.
                raise MaxRetryError(_pool, url or "", ResponseError(f"{response.status}: not retried"))
            if wait is not None and wait > self.max_rate_limit_wait:
                raise MaxRetryError(
                    _pool, url or "", ResponseError(f"{response.status}: asked to wait {wait:.0f}s")
                )
        retry: ReadOnlyRetry = super().increment(method, url, response, error, _pool, _stacktrace)
        return retry

    def get_backoff_time(self) -> float:
        # urllib3 retries the first failure at once; we back off from the first retry on.
        failures = len(list(takewhile(lambda h: h.redirect_location is None, reversed(self.history))))
        if failures == 0 or self.backoff_factor <= 0:
            return 0.0
        value = self.backoff_factor * (2 ** (failures - 1))
        if self.backoff_jitter:
            value += random.uniform(0, self.backoff_jitter)
        return float(min(self.backoff_max, value))

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        wait = rate_limit_wait(response.headers) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time()
        if wait > 0:
            (self.sleeper or _sleep)(wait)
