"""The Stripe SDK behind the tools: one ``StripeClient`` per hub, and :func:`send`.

``stripe`` is imported here lazily, on the first call, never when the hub
loads the plugin: importing it costs far more than the rest of start-up.

:func:`send` is the one way tools call Stripe. For a write it passes the
``Idempotency-Key`` derived from the hub's call id, so a retried tool call
(by the hub, the client or the SDK's own retries) never charges twice; it
reports that key and Stripe's request id to the audit record; and it turns
Stripe's exceptions into the hub's error tree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from mcpea_core import ToolContext, ToolError

from .errors import translate
from .settings import LIVE_KEY_REFUSED, Settings, is_live_key

if TYPE_CHECKING:
    from stripe import HTTPClient, StripeClient

__all__ = ["Connection", "sdk", "send", "settings_of", "use_http_client"]

T = TypeVar("T")


class Connection:
    """Builds the ``StripeClient`` on first use, with the SDK's async HTTPX transport.

    The HTTP client's connection pool belongs to the event loop that opened
    it, so a hub driven from a new loop gets a new client. An injected
    ``http_client`` (tests, embedding) is used as is.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: StripeClient | None = None
        self._http: HTTPClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._injected = False

    def use_http_client(self, http_client: HTTPClient) -> None:
        self._http, self._client, self._injected = http_client, None, True

    def client(self) -> StripeClient:
        loop = _running_loop()
        if self._client is not None and (self._injected or loop is self._loop):
            return self._client
        key = self.settings.api_key.get_secret_value()
        if is_live_key(key) and not self.settings.allow_live:  # settings built without validation
            raise ToolError(LIVE_KEY_REFUSED)
        import stripe

        if not self._injected:
            self._http = stripe.HTTPXClient(timeout=self.settings.timeout)
        base = {"api": self.settings.api_base} if self.settings.api_base else None
        self._client = stripe.StripeClient(
            key,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=self.settings.max_network_retries,
            http_client=self._http,
        )
        self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._http is not None and not self._injected:
            await self._http.close_async()  # type: ignore[no-untyped-call]
        self._client = self._http = None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def settings_of(ctx: ToolContext) -> Settings:
    settings = ctx.settings
    if not isinstance(settings, Settings):  # only when a tool is called outside a hub
        raise ToolError("the Stripe connector has no settings: configure [plugins.stripe] api_key")
    return settings


def sdk(ctx: ToolContext) -> StripeClient:
    """The hub's ``StripeClient``."""
    return settings_of(ctx).state.connection.client()


def use_http_client(settings: Settings, http_client: HTTPClient) -> None:
    """Send this hub's Stripe requests through ``http_client`` (a recorder in tests, a custom transport)."""
    settings.state.connection.use_http_client(http_client)


async def send(
    ctx: ToolContext,
    method: Callable[..., Awaitable[T]],
    *args: str,
    params: Mapping[str, Any] | None = None,
    write: bool = False,
) -> T:
    """Call one SDK method (``client.v1.customers.create_async`` ...), as described above."""
    import stripe

    options: dict[str, Any] = {}
    if write:
        options["idempotency_key"] = ctx.idempotency_key()
    try:
        result = await method(*args, params=dict(params or {}), options=options)
    except stripe.StripeError as exc:
        ctx.report_upstream(request_id=exc.request_id)
        raise translate(exc, settings_of(ctx).api_key.get_secret_value()) from exc
    response = getattr(result, "last_response", None)
    ctx.report_upstream(request_id=getattr(response, "request_id", None))
    return result
