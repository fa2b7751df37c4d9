"""The retry handlers given to ``AsyncWebClient``: slack_sdk's own, with two limits added.

* a dropped connection is retried, but not for a post (:data:`NOT_REPEATABLE`);
* a 429 is retried after its Retry-After, unless that is longer than the
  configured ``max_retry_wait``.

Importing this module imports ``slack_sdk``; :mod:`.client` does so only on
the first call. Retries happen at this one layer (RELIABILITY.md): the hub
and the tools never loop themselves.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

__all__ = [
    "NOT_REPEATABLE",
    "BoundedRateLimitRetryHandler",
    "RepeatableConnectionErrorRetryHandler",
    "retry_handlers",
]

NOT_REPEATABLE = frozenset(
    {"chat.postMessage", "chat.scheduleMessage", "chat.postEphemeral", "files.completeUploadExternal"}
)
"""Methods a dropped connection must not repeat: Slack may have acted on the first request (and has no
idempotency key for them), so a retry could post twice."""


class RepeatableConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    """slack_sdk's connection-error handler (resets, disconnects), except for :data:`NOT_REPEATABLE`.

    slack_sdk opens a new connection per request, so a reset is seldom a
    stale pooled connection: it usually cuts a request Slack may already
    have handled. Reads and idempotent writes are retried; a post is not, and
    the tool says the write may or may not have happened.
    """

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_REPEATABLE:
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (it sleeps for Retry-After, then retries), except past ``max_wait``.

    A Retry-After longer than ``max_wait`` seconds is not slept through inside
    a tool call: the 429 reaches the connector, which raises ``RateLimited``
    with the wait, and the caller decides.
    """

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response.headers)
        # The SDK's own wait reads the header with int(): anything else is left to the connector.
        return wait is not None and wait <= self.max_wait


def _retry_after(headers: dict[str, list[str] | str]) -> int | None:
    for name, values in headers.items():
        value = values[0] if isinstance(values, list) and values else values
        if name.lower() == "retry-after" and isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return None


def retry_handlers(
    *, rate_limit_retries: int, max_wait: float, connection_retries: int
) -> list[AsyncRetryHandler]:
    """Dropped connections (but not of a post), then 429s with a bounded Retry-After."""
    handlers: list[AsyncRetryHandler] = []
    if connection_retries:
        handlers.append(RepeatableConnectionErrorRetryHandler(max_retry_count=connection_retries))
    if rate_limit_retries:
        handlers.append(BoundedRateLimitRetryHandler(rate_limit_retries, max_wait))
    return handlers
