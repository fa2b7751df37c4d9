"""Channel tools: list channels, read a channel's history and a thread's replies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mcpea_core import ToolContext

from .client import call, settings_of
from .models import Arguments, ChannelId, Cursor, MessageList, Result, Ts, message_of, next_cursor

__all__ = ["slack_list_channels", "slack_read_channel_history", "slack_read_thread_replies"]

ConversationType = Literal["public_channel", "private_channel", "mpim", "im"]


class ListChannels(Arguments):
    types: list[ConversationType] = Field(
        default=["public_channel"],
        min_length=1,
        description="Kinds to list: public_channel, private_channel (those the bot is in), mpim, im.",
    )
    exclude_archived: bool = Field(default=True, description="Leave out archived channels.")
    limit: int = Field(default=100, ge=1, le=1000, description="Channels per page.")
    cursor: Cursor


class Channel(Result):
    id: str
    name: str | None = None
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = Field(default=False, description="Whether the bot is in it (needed to post or read).")
    topic: str | None = None
    purpose: str | None = None
    num_members: int | None = None


class ChannelList(Result):
    channels: list[Channel]
    next_cursor: str | None = Field(default=None, description="Pass as cursor to get the next page.")


class ReadHistory(Arguments):
    channel: ChannelId
    limit: int = Field(default=20, ge=1, le=200, description="Messages per page, newest first.")
    oldest: Ts | None = Field(default=None, description="Only messages after this ts.")
    latest: Ts | None = Field(default=None, description="Only messages before this ts.")
    cursor: Cursor


class ReadReplies(Arguments):
    channel: ChannelId
    ts: Ts = Field(description="ts of the thread's parent message.")
    limit: int = Field(default=50, ge=1, le=200, description="Messages per page, the parent first.")
    cursor: Cursor


def _value(raw: Any) -> str | None:
    value = raw.get("value") if isinstance(raw, dict) else None
    return str(value) if value else None


def _channel(raw: dict[str, Any]) -> Channel:
    return Channel(
        id=str(raw.get("id")),
        name=raw.get("name"),
        is_private=bool(raw.get("is_private")),
        is_archived=bool(raw.get("is_archived")),
        is_member=bool(raw.get("is_member")),
        topic=_value(raw.get("topic")),
        purpose=_value(raw.get("purpose")),
        num_members=raw.get("num_members"),
    )


def _messages(data: dict[str, Any]) -> MessageList:
    raw = [m for m in data.get("messages") or [] if isinstance(m, dict)]
    return MessageList(
        messages=[message_of(m) for m in raw],
        has_more=bool(data.get("has_more")),
        next_cursor=next_cursor(data),
    )


async def slack_list_channels(params: ListChannels, ctx: ToolContext) -> ChannelList:
    """List the workspace's channels with their ids, one page at a time.

    Use it to turn a channel name into the id the other tools take, and to
    see whether the bot is a member (is_member) before posting or reading.
    """
    data = await call(
        settings_of(ctx),
        "conversations_list",
        ctx=ctx,
        types=",".join(params.types),
        exclude_archived=params.exclude_archived,
        limit=params.limit,
        cursor=params.cursor,
    )
    channels = [_channel(c) for c in data.get("channels") or [] if isinstance(c, dict)]
    return ChannelList(channels=channels, next_cursor=next_cursor(data))


async def slack_read_channel_history(params: ReadHistory, ctx: ToolContext) -> MessageList:
    """Read a channel's messages, newest first.

    Top-level messages only: read a thread (reply_count > 0) with
    slack_read_thread_replies.
    """
    data = await call(
        settings_of(ctx),
        "conversations_history",
        ctx=ctx,
        channel=params.channel,
        limit=params.limit,
        oldest=params.oldest,
        latest=params.latest,
        cursor=params.cursor,
    )
    return _messages(data)


async def slack_read_thread_replies(params: ReadReplies, ctx: ToolContext) -> MessageList:
    """Read a thread: its parent message, then the replies, oldest first."""
    data = await call(
        settings_of(ctx),
        "conversations_replies",
        ctx=ctx,
        channel=params.channel,
        ts=params.ts,
        limit=params.limit,
        cursor=params.cursor,
    )
    return _messages(data)
