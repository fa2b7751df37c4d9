"""slack_sdk's ``AsyncWebClient`` behind the tools, and :func:`call`, the one way they use it.

``slack_sdk`` is imported here lazily, on the first call, never when the hub
loads the plugin. :func:`call` builds the client from the settings (the SDK
opens one aiohttp session per request, so there is nothing to keep between
calls), runs one SDK method, reports Slack's request id to the audit record
and turns Slack's failures into the hub's error tree (see :mod:`.errors`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from mcpea_core import ToolContext, ToolError

from .errors import connection_error, header, translate
from .settings import Settings

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["REQUEST_ID_HEADER", "call", "make_client", "settings_of"]

REQUEST_ID_HEADER = "x-slack-req-id"
_SLACK_API = "https://slack.com/api/"


def make_client(settings: Settings) -> AsyncWebClient:
    """An ``AsyncWebClient`` with the bot token, the base URL and slack_sdk's retry handlers."""
    from slack_sdk.web.async_client import AsyncWebClient

    from ._retry import retry_handlers

    base = settings.base_url or _SLACK_API
    return AsyncWebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=base if base.endswith("/") else base + "/",
        timeout=settings.timeout,
        retry_handlers=retry_handlers(
            rate_limit_retries=settings.rate_limit_retries,
            max_wait=settings.max_retry_wait,
            connection_retries=settings.connection_retries,
        ),
    )


def settings_of(ctx: ToolContext) -> Settings:
    """The connector's settings, as the hub validated them."""
    settings = ctx.settings
    if not isinstance(settings, Settings):  # only when a tool runs outside a hub
        raise ToolError("the Slack connector has no settings: configure [plugins.slack] bot_token")
    return settings


async def call(
    settings: Settings,
    sdk_method: str,
    *,
    ctx: ToolContext | None = None,
    tolerate: Collection[str] = (),
    **arguments: Any,
) -> dict[str, Any]:
    """Run ``AsyncWebClient.<sdk_method>(**arguments)`` and return Slack's response body.

    ``None`` arguments are left out. Slack error codes in ``tolerate`` come
    back as the response body instead of raising (``already_reacted`` for
    an idempotent reaction). ``ctx`` receives Slack's request id for the
    audit record; it is ``None`` outside a tool call (notifications).
    """
    import aiohttp
    from slack_sdk.errors import SlackApiError, SlackClientError

    sent = {k: v for k, v in arguments.items() if v is not None}
    try:
        response = await getattr(make_client(settings), sdk_method)(**sent)
    except SlackApiError as exc:
        request_id = header(exc.response.headers, REQUEST_ID_HEADER)
        if ctx is not None:
            ctx.report_upstream(request_id=request_id)
        data = exc.response.data
        if isinstance(data, dict) and data.get("error") in tolerate:
            return data
        raise translate(exc, sdk_method, request_id=request_id, **sent) from exc
    except (aiohttp.ClientError, TimeoutError, SlackClientError) as exc:
        raise connection_error(exc, sdk_method) from exc
    if ctx is not None:
        ctx.report_upstream(request_id=header(response.headers, REQUEST_ID_HEADER))
    return response.data if isinstance(response.data, dict) else {}
