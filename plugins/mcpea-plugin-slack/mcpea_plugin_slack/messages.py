"""Message tools: post, update, delete and schedule messages (text and Block Kit), add reactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, Field, model_validator

from mcpea_core import ToolContext, ToolError

from .client import call, settings_of
from .models import Arguments, Blocks, ChannelId, ChannelRef, MessageRef, Result, Text, Ts
from .settings import Settings

__all__ = [
    "slack_add_reaction",
    "slack_delete_message",
    "slack_post_message",
    "slack_schedule_message",
    "slack_update_message",
]

MAX_SCHEDULE_AHEAD = timedelta(days=120)


_DEFAULT_CHANNEL = "Where to post; default the configured channel."


class _Content(Arguments):
    """Checks shared by the message models, which declare text and blocks themselves (after channel)."""

    @model_validator(mode="after")
    def _text_or_blocks(self) -> _Content:
        if getattr(self, "text", None) is None and getattr(self, "blocks", None) is None:
            raise ValueError("give text, blocks or both")
        return self


class PostMessage(_Content):
    channel: ChannelRef | None = Field(default=None, description=_DEFAULT_CHANNEL)
    text: Text = None
    blocks: Blocks = None
    thread_ts: Ts | None = Field(default=None, description="Reply in the thread of this message (its ts).")
    reply_broadcast: bool = Field(
        default=False, description="With thread_ts: also show the reply in the channel."
    )
    unfurl_links: bool = Field(default=False, description="Show previews of links in the text.")


class UpdateMessage(_Content):
    channel: ChannelId
    ts: Ts = Field(description="ts of the message to replace (one the bot posted).")
    text: Text = None
    blocks: Blocks = None


class DeleteMessage(Arguments):
    channel: ChannelId
    ts: Ts = Field(description="ts of the message to delete (one the bot posted).")


class DeletedMessage(Result):
    channel: str
    ts: str
    deleted: bool = True


class ScheduleMessage(_Content):
    channel: ChannelRef | None = Field(default=None, description=_DEFAULT_CHANNEL)
    text: Text = None
    blocks: Blocks = None
    post_at: AwareDatetime = Field(
        description="When to post: ISO 8601 with a time zone (2030-01-31T09:00:00+01:00), "
        "at most 120 days ahead."
    )
    thread_ts: Ts | None = Field(default=None, description="Post as a reply in the thread of this message.")


class ScheduledMessage(Result):
    channel: str
    scheduled_message_id: str = Field(description="Slack's id of the scheduled message (Q...).")
    post_at: datetime


class AddReaction(Arguments):
    channel: ChannelId
    ts: Ts = Field(description="ts of the message to react to.")
    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^:?[a-z0-9_+'-]+(?:::skin-tone-[2-6])?:?$",
        description="Emoji name, with or without colons: thumbsup, white_check_mark, eyes.",
    )


class AddedReaction(Result):
    channel: str
    ts: str
    name: str
    already_present: bool = Field(description="True when the bot had already added this reaction.")


def target(channel: str | None, settings: Settings) -> str:
    """The channel a call names, else the configured default."""
    chosen = channel or settings.default_channel
    if not chosen:
        raise ToolError(
            "No channel given and [plugins.slack] default_channel is not set: pass channel (C0123ABCD)."
        )
    return chosen


def _blocks(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return list(blocks) if blocks else None


async def slack_post_message(params: PostMessage, ctx: ToolContext) -> MessageRef:
    """Post a message to a Slack channel, or reply in a thread with thread_ts.

    Give text (Slack mrkdwn), Block Kit blocks, or both. Returns the new
    message's channel id and ts, which slack_update_message,
    slack_delete_message and slack_add_reaction take.
    """
    settings = settings_of(ctx)
    data = await call(
        settings,
        "chat_postMessage",
        ctx=ctx,
        channel=target(params.channel, settings),
        text=params.text,
        blocks=_blocks(params.blocks),
        thread_ts=params.thread_ts,
        reply_broadcast=params.reply_broadcast or None,
        unfurl_links=params.unfurl_links,
    )
    return MessageRef(channel=str(data.get("channel")), ts=str(data.get("ts")), thread_ts=params.thread_ts)


async def slack_update_message(params: UpdateMessage, ctx: ToolContext) -> MessageRef:
    """Replace the text and/or blocks of a message the bot posted earlier."""
    data = await call(
        settings_of(ctx),
        "chat_update",
        ctx=ctx,
        channel=params.channel,
        ts=params.ts,
        text=params.text,
        blocks=_blocks(params.blocks),
    )
    return MessageRef(channel=str(data.get("channel", params.channel)), ts=str(data.get("ts", params.ts)))


async def slack_delete_message(params: DeleteMessage, ctx: ToolContext) -> DeletedMessage:
    """Delete a message the bot posted. This cannot be undone."""
    await call(settings_of(ctx), "chat_delete", ctx=ctx, channel=params.channel, ts=params.ts)
    return DeletedMessage(channel=params.channel, ts=params.ts)


async def slack_schedule_message(params: ScheduleMessage, ctx: ToolContext) -> ScheduledMessage:
    """Schedule a message to be posted later (up to 120 days ahead)."""
    now = datetime.now(UTC)
    if params.post_at <= now:
        raise ToolError(
            f"post_at {params.post_at.isoformat()} is in the past: give a time after {now.isoformat()}."
        )
    if params.post_at > now + MAX_SCHEDULE_AHEAD:
        raise ToolError("post_at is more than 120 days ahead, which Slack does not schedule.")
    settings = settings_of(ctx)
    data = await call(
        settings,
        "chat_scheduleMessage",
        ctx=ctx,
        channel=target(params.channel, settings),
        post_at=int(params.post_at.timestamp()),
        text=params.text,
        blocks=_blocks(params.blocks),
        thread_ts=params.thread_ts,
    )
    return ScheduledMessage(
        channel=str(data.get("channel")),
        scheduled_message_id=str(data.get("scheduled_message_id")),
        post_at=params.post_at,
    )


async def slack_add_reaction(params: AddReaction, ctx: ToolContext) -> AddedReaction:
    """Add an emoji reaction to a message. Adding one the bot already added succeeds and changes nothing."""
    name = params.name.strip(":")
    data = await call(
        settings_of(ctx),
        "reactions_add",
        ctx=ctx,
        tolerate={"already_reacted"},
        channel=params.channel,
        timestamp=params.ts,
        name=name,
    )
    return AddedReaction(
        channel=params.channel,
        ts=params.ts,
        name=name,
        already_present=data.get("error") == "already_reacted",
    )
