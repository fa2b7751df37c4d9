"""Slack's failures, translated into the hub's error tree with messages a model can act on.

==============================================  ====================================================
Slack                                           becomes
==============================================  ====================================================
HTTP 429 / ``ratelimited`` (after the SDK's     ``RateLimited`` with Retry-After as ``retry_after``
own retries)
``invalid_auth``, ``not_authed``,               ``AuthError``: the operator must fix the bot token
``token_revoked``, ... or HTTP 401/403
``missing_scope``                               ``AuthError`` naming the scope the app lacks
HTTP 5xx                                        ``UpstreamError``: retry later, check before repeating
``channel_not_found``, ``not_in_channel``,      ``UpstreamError`` saying what to do next
``message_not_found``, ``invalid_blocks``, ...
anything else                                   ``UpstreamError`` with Slack's error code
no answer (connection, timeout)                 ``UpstreamError``: Slack could not be reached
==============================================  ====================================================

Messages are built from Slack's error code and the call's own arguments,
never from the exception's text or the request: the bot token never
appears in one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpea_core import AuthError, RateLimited, UpstreamError

if TYPE_CHECKING:
    from slack_sdk.errors import SlackApiError

__all__ = [
    "AUTH_ERRORS",
    "DEFAULT_RETRY_AFTER",
    "api_name",
    "connection_error",
    "header",
    "slack_code",
    "translate",
]

DEFAULT_RETRY_AFTER = 30.0
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)

_HINTS: dict[str, str] = {
    "channel_not_found": "Slack found no channel {channel} that the bot can see. Use slack_list_channels to "
    "find the channel's id (C...); a private channel is visible only once the bot has been invited to it.",
    "not_in_channel": "The bot is not a member of channel {channel}. Ask someone in that channel to invite "
    "it (/invite @the-bot's-name), then retry; or pick a channel the bot is in (slack_list_channels).",
    "is_archived": "Channel {channel} is archived, so nothing can be posted there. Pick another channel "
    "(slack_list_channels) or ask a workspace admin to unarchive it.",
    "restricted_action": "A workspace setting stops the bot from posting in {channel}. Pick another channel "
    "or ask a workspace admin.",
    "message_not_found": "Channel {channel} has no message with ts {ts}. A message's ts is its id "
    "(such as 1712345678.000100): look it up with slack_read_channel_history.",
    "thread_not_found": "Channel {channel} has no thread starting at ts {ts}. Look up the parent message's "
    "ts with slack_read_channel_history.",
    "cant_update_message": "The bot can only edit messages it posted itself; this one is someone else's.",
    "cant_delete_message": "The bot can only delete messages it posted itself; this one is someone else's.",
    "edit_window_closed": "This message is too old to be edited under the workspace's settings; post a "
    "correction instead.",
    "invalid_name": "Slack knows no emoji named {name}: give the name without colons (thumbsup, "
    "white_check_mark) or a custom emoji of this workspace.",
    "too_many_reactions": "The message already has as many reactions as Slack allows.",
    "time_in_past": "post_at is in the past: give a time in the future.",
    "time_too_far": "post_at is too far ahead: Slack schedules messages at most 120 days ahead.",
    "invalid_blocks": "Slack rejected the Block Kit blocks{details}. Fix them (Block Kit Builder shows what "
    "is valid) or send text only.",
    "invalid_blocks_format": "blocks must be a JSON array of Block Kit blocks{details}.",
    "msg_too_long": "The text is too long: Slack takes at most 40,000 characters; split it or upload it as a "
    "file (slack_upload_file).",
    "no_text": "The message has neither text nor blocks: give at least one.",
    "user_not_found": "Slack has no user {user}. User ids look like U0123ABCD; find one with "
    "slack_find_user_by_email.",
    "users_not_found": "Slack has no user with email {email} in this workspace (or the bot may not see "
    "emails: it needs the users:read.email scope).",
    "invalid_cursor": "The cursor is not valid (stale, or from another listing): call again without cursor.",
    "invalid_ts_latest": "latest is not a valid Slack timestamp (such as 1712345678.000100).",
    "invalid_ts_oldest": "oldest is not a valid Slack timestamp (such as 1712345678.000100).",
    "invalid_arguments": "Slack rejected the arguments{details}.",
}


def api_name(sdk_method: str) -> str:
    """``chat_postMessage`` -> ``chat.postMessage``: the Web API method an SDK method calls."""
    return sdk_method.replace("_", ".", 1)


def _quote(value: Any) -> str:
    return repr(str(value)) if value is not None else "(not given)"


def _details(data: dict[str, Any]) -> str:
    meta = data.get("response_metadata")
    messages = meta.get("messages") if isinstance(meta, dict) else None
    if not messages:
        return ""
    text = "; ".join(str(m) for m in messages)[:500]
    return f": {text}"


def translate(
    exc: SlackApiError, sdk_method: str, *, request_id: str | None = None, **arguments: Any
) -> UpstreamError:
    """The hub error for one ``SlackApiError`` (raise it ``from exc``).

    ``arguments`` are the call's own (channel, ts, ...): the message names
    what was asked for, never what the exception or the request carried.
    """
    response = exc.response
    status = int(response.status_code)
    data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or (f"http_{status}" if status != 200 else "unknown_error"))
    where = f"HTTP {status}" + (f", request id {request_id}" if request_id else "")
    prefix = f"Slack refused {api_name(sdk_method)} ({code})"
    kwargs: dict[str, Any] = {"status": status, "request_id": request_id}

    if status == 429 or code == "ratelimited":
        wait = _retry_after(response.headers)
        return RateLimited(
            f"{prefix}: Slack is rate-limiting this hub's bot. Retry in {wait:g} seconds, and make fewer "
            f"calls of this kind at once ({where}).",
            retry_after=wait,
            **kwargs,
        )
    if code in AUTH_ERRORS or status in (401, 403):
        return AuthError(
            f"{prefix}: Slack does not accept the hub's bot token. The hub's operator must fix "
            f"[plugins.slack] bot_token; retrying will not help ({where}).",
            **kwargs,
        )
    if status >= 500:
        return UpstreamError(
            f"{prefix}: Slack is failing ({where}). Retry in a minute; a write may or may not have happened, "
            "so check (for example with slack_read_channel_history) before repeating it.",
            retry_after=60.0,
            **kwargs,
        )
    if code == "missing_scope":
        needed = data.get("needed") or "a scope"
        return AuthError(
            f"{prefix}: the hub's Slack app lacks the OAuth scope {needed}. The operator must add it to the "
            f"app and reinstall it; retrying will not help ({where}).",
            **kwargs,
        )
    hint = _HINTS.get(code)
    if hint is None:
        return UpstreamError(
            f"{prefix}: check the arguments against Slack's documentation of the method ({where}).", **kwargs
        )
    arguments.setdefault("ts", arguments.get("timestamp"))  # reactions.add calls it timestamp
    fields = {name: _quote(arguments.get(name)) for name in ("channel", "ts", "name", "user", "email")}
    return UpstreamError(f"{prefix}: {hint.format(details=_details(data), **fields)} ({where})", **kwargs)


def connection_error(exc: BaseException, sdk_method: str) -> UpstreamError:
    """Slack did not answer (after the SDK's connection retries)."""
    return UpstreamError(
        f"Could not reach Slack for {api_name(sdk_method)} ({type(exc).__name__}). A write may or may not "
        "have happened: check (for example with slack_read_channel_history) before repeating it.",
        retry_after=5.0,
    )


def header(headers: Any, name: str) -> str | None:
    """One response header, by case-insensitive name, from aiohttp's or any mapping of headers."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value[0] if isinstance(value, list) else value)
    return None


def _retry_after(headers: Any) -> float:
    raw = header(headers, "Retry-After")
    try:
        return max(float(raw), 0.0) if raw is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def slack_code(exc: UpstreamError) -> str | None:
    """Slack's error code behind an error :func:`translate` made; ``None`` when Slack did not answer."""
    data = getattr(getattr(exc.__cause__, "response", None), "data", None)
    return str(data["error"]) if isinstance(data, dict) and data.get("error") else None
