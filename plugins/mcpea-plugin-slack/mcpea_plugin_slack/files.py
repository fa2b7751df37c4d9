"""The file tool: upload a file (text or base64) and share it in a channel or thread.

It uses slack_sdk's ``files_upload_v2``: files.getUploadURLExternal, the
upload itself, then files.completeUploadExternal (the old files.upload is
retired by Slack).
"""

from __future__ import annotations

import base64
import binascii

from pydantic import Field, field_validator, model_validator

from mcpea_core import ToolContext

from .client import call, settings_of
from .messages import target
from .models import Arguments, ChannelId, Result, Ts

__all__ = ["MAX_BYTES", "slack_upload_file"]

MAX_BYTES = 1_000_000


class UploadFile(Arguments):
    filename: str = Field(
        min_length=1, max_length=255, description="File name with extension, such as report.csv."
    )
    content: str | None = Field(default=None, max_length=MAX_BYTES, description="The file's text (UTF-8).")
    content_base64: str | None = Field(
        default=None,
        max_length=MAX_BYTES * 4 // 3 + 4,
        description="The file's bytes, base64-encoded, for binary files; instead of content.",
    )
    channel: ChannelId | None = Field(
        default=None,
        description="Channel to share it in; default the configured channel (an id, not a #name).",
    )
    title: str | None = Field(
        default=None, max_length=255, description="Title shown in Slack; default the name."
    )
    initial_comment: str | None = Field(
        default=None, max_length=4000, description="Message posted with the file."
    )
    thread_ts: Ts | None = Field(default=None, description="Share it as a reply in this thread.")

    @field_validator("content_base64")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error:
                raise ValueError("not valid base64") from None
        return value

    @model_validator(mode="after")
    def _one_content(self) -> UploadFile:
        if (self.content is None) == (self.content_base64 is None):
            raise ValueError("give exactly one of content (text) and content_base64 (bytes)")
        return self

    def data(self) -> bytes:
        if self.content is not None:
            return self.content.encode("utf-8")
        return base64.b64decode(self.content_base64 or "", validate=True)


class UploadedFile(Result):
    id: str = Field(description="Slack's file id (F...).")
    name: str | None = None
    title: str | None = None
    permalink: str | None = None


async def slack_upload_file(params: UploadFile, ctx: ToolContext) -> UploadedFile:
    """Upload a file (text, or bytes as base64; at most 1 MB) and share it in a channel or thread."""
    settings = settings_of(ctx)
    data = await call(
        settings,
        "files_upload_v2",
        ctx=ctx,
        filename=params.filename,
        content=params.data(),
        title=params.title or params.filename,
        channel=target(params.channel, settings),
        initial_comment=params.initial_comment,
        thread_ts=params.thread_ts,
    )
    files = data.get("files") or [{}]
    first = files[0] if isinstance(files[0], dict) else {}
    return UploadedFile(
        id=str(first.get("id")),
        name=first.get("name"),
        title=first.get("title"),
        permalink=first.get("permalink"),
    )
