"""Argument types shared by the tools, and the shapes of what they return.

Outputs are a readable subset of Slack's objects: what a model needs to act
on, not every field Slack sends.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mcpea_core.tools import DEFER_MODEL_BUILD

__all__ = [
    "Arguments",
    "Block",
    "Blocks",
    "ChannelId",
    "ChannelRef",
    "Cursor",
    "Message",
    "MessageList",
    "MessageRef",
    "Reaction",
    "Result",
    "Text",
    "Ts",
    "User",
    "message_of",
    "next_cursor",
]


class Arguments(BaseModel):
    """Base of every input model: unknown arguments are an error, not silently dropped.

    Input and output models are built on first use, not at import
    (``DEFER_MODEL_BUILD``): the hub starts without building the schemas of
    tools that may never be called.
    """

    model_config = ConfigDict(extra="forbid", defer_build=DEFER_MODEL_BUILD)


class Result(BaseModel):
    """Base of every output model."""

    model_config = ConfigDict(defer_build=DEFER_MODEL_BUILD)


def _has_type(block: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(block.get("type"), str):
        raise ValueError('every Block Kit block is an object with a "type", such as {"type": "section", ...}')
    return block


ChannelId = Annotated[
    str,
    Field(
        pattern=r"^[CGD][A-Z0-9]{2,}$",
        description="Channel id, such as C0123ABCD (find it with slack_list_channels).",
    ),
]
ChannelRef = Annotated[
    str,
    Field(
        pattern=r"^(?:[CGD][A-Z0-9]{2,}|#[a-z0-9_-]{1,80})$",
        description="Channel id (C0123ABCD) or #channel-name.",
    ),
]
Ts = Annotated[
    str,
    Field(
        pattern=r"^\d{1,12}\.\d{1,9}$",
        description="A message's ts: its id within the channel, such as 1712345678.000100.",
    ),
]
Cursor = Annotated[
    str | None,
    Field(
        default=None, max_length=500, description="next_cursor of the previous page; omit for the first page."
    ),
]
Text = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=40_000,
        description="Message text in Slack mrkdwn (*bold*, _italic_, <https://x|links>, <@U0123ABCD> "
        "mentions). With blocks, it is the fallback shown in notifications.",
    ),
]
Block = Annotated[dict[str, Any], AfterValidator(_has_type)]
Blocks = Annotated[
    list[Block] | None,
    Field(
        min_length=1,
        max_length=50,
        description="Block Kit blocks (a JSON array of objects with a type, such as section, header, "
        "divider, context); text then becomes the notification fallback.",
    ),
]


class MessageRef(Result):
    """Where a message is: its channel and ts."""

    channel: str
    ts: str
    thread_ts: str | None = None


class Reaction(Result):
    name: str
    count: int


class Message(Result):
    """One message as a model reads it."""

    ts: str
    user: str | None = Field(default=None, description="Author's user id (U...); None for bots and apps.")
    bot_id: str | None = None
    text: str = ""
    thread_ts: str | None = Field(default=None, description="Parent's ts when the message is in a thread.")
    reply_count: int | None = None
    subtype: str | None = None
    reactions: list[Reaction] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list, description="Names of attached files.")


class MessageList(Result):
    messages: list[Message]
    has_more: bool = False
    next_cursor: str | None = Field(default=None, description="Pass as cursor to get the next page.")


class User(Result):
    id: str
    name: str | None = Field(default=None, description="Handle (legacy username).")
    real_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    title: str | None = None
    tz: str | None = None
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False


def next_cursor(data: dict[str, Any]) -> str | None:
    """Slack's ``response_metadata.next_cursor``, ``None`` when it is empty or absent."""
    meta = data.get("response_metadata")
    cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
    return str(cursor) if cursor else None


def message_of(raw: dict[str, Any]) -> Message:
    """The readable view of one of Slack's message objects."""
    reactions = [
        Reaction(name=str(r.get("name", "")), count=int(r.get("count", 0)))
        for r in raw.get("reactions") or []
        if isinstance(r, dict)
    ]
    files = [
        str(f.get("name") or f.get("title") or f.get("id"))
        for f in raw.get("files") or []
        if isinstance(f, dict)
    ]
    return Message(
        ts=str(raw.get("ts", "")),
        user=raw.get("user"),
        bot_id=raw.get("bot_id"),
        text=str(raw.get("text") or ""),
        thread_ts=raw.get("thread_ts"),
        reply_count=raw.get("reply_count"),
        subtype=raw.get("subtype"),
        reactions=reactions,
        files=files,
    )
