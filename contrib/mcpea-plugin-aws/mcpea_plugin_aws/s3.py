"""S3 tools: list buckets and objects, read an object as text (size-capped), write a text object."""

from __future__ import annotations

import codecs
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from mcpea_core import ToolContext, ToolError

from .spec import CHANGE, READ, Input, ToolSpec, call, settings_of

__all__ = ["TOOLS"]

Bucket = Annotated[
    str,
    Field(
        min_length=3,
        max_length=255,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$",
        description="Bucket name, such as reports-eu.",
    ),
]
Key = Annotated[
    str, Field(min_length=1, max_length=1024, description="Object key, such as 2025/01/summary.txt.")
]


class ListBuckets(Input):
    """Arguments of aws_list_buckets."""

    prefix: str = Field(default="", max_length=63, description="Only buckets whose name starts with this.")
    limit: int = Field(default=100, ge=1, le=1000, description="Most buckets to return.")


class BucketInfo(BaseModel):
    """One S3 bucket."""

    name: str
    created: datetime | None = None


class BucketList(BaseModel):
    """The buckets found."""

    buckets: list[BucketInfo]
    truncated: bool = Field(description="More buckets match than `limit`: give a longer prefix.")


class ListObjects(Input):
    """Arguments of aws_list_objects."""

    bucket: Bucket
    prefix: str = Field(
        default="", max_length=1024, description="Only keys starting with this, such as logs/2025/."
    )
    delimiter: str | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Group keys by this separator (usually /): returns folders as common_prefixes.",
    )
    limit: int = Field(default=100, ge=1, le=1000, description="Most keys to return (1-1000).")
    continuation_token: str | None = Field(
        default=None, description="Cursor: next_continuation_token of the previous page."
    )


class ObjectInfo(BaseModel):
    """One S3 object (not its content)."""

    key: str
    size: int = Field(description="Bytes.")
    last_modified: datetime | None = None
    etag: str | None = None
    storage_class: str | None = None


class ObjectPage(BaseModel):
    """One page of a bucket listing."""

    objects: list[ObjectInfo]
    common_prefixes: list[str] = Field(description="'Folders' under the prefix, when a delimiter was given.")
    next_continuation_token: str | None = Field(description="Pass as continuation_token for the next page.")


class GetObjectText(Input):
    """Arguments of aws_get_object_text."""

    bucket: Bucket
    key: Key
    max_bytes: int | None = Field(
        default=None,
        ge=1,
        description="Read at most this many bytes; default and ceiling: the hub's max_object_bytes.",
    )


class ObjectText(BaseModel):
    """An S3 object's text."""

    bucket: str
    key: str
    text: str = Field(
        description="The object's content as UTF-8 text (the first max_bytes bytes if truncated)."
    )
    truncated: bool = Field(description="The object is larger than what was read.")
    size: int | None = Field(description="The object's full size in bytes.")
    content_type: str | None = None
    etag: str | None = None
    last_modified: datetime | None = None


class PutObject(Input):
    """Arguments of aws_put_object."""

    bucket: Bucket
    key: Key
    text: str = Field(description="The object's content, stored as UTF-8.")
    content_type: str = Field(
        default="text/plain; charset=utf-8",
        max_length=255,
        pattern=r"^[\w.+-]+/[\w.+-]+(;.*)?$",
        description="Content-Type stored with the object.",
    )


class PutResult(BaseModel):
    """The object written."""

    bucket: str
    key: str
    bytes: int = Field(description="Size written.")
    etag: str | None = None
    version_id: str | None = Field(default=None, description="Set when the bucket keeps versions.")


def aws_list_buckets(params: ListBuckets, ctx: ToolContext) -> BucketList:
    """List the S3 buckets of the hub's AWS account, by name, optionally only those starting with a prefix."""
    clients = settings_of(ctx).clients
    response = call(ctx, "s3", lambda: clients.s3().list_buckets())
    found = [b for b in response.get("Buckets", []) if b.get("Name", "").startswith(params.prefix)]
    buckets = [BucketInfo(name=b["Name"], created=b.get("CreationDate")) for b in found[: params.limit]]
    return BucketList(buckets=buckets, truncated=len(found) > params.limit)


def aws_list_objects(params: ListObjects, ctx: ToolContext) -> ObjectPage:
    """List the objects of an S3 bucket (keys, sizes, dates), optionally under a prefix, a page at a time.

    With delimiter="/" keys are grouped like folders: the folders come back
    as common_prefixes. Page with continuation_token.
    """
    clients = settings_of(ctx).clients
    request: dict[str, Any] = {"Bucket": params.bucket, "Prefix": params.prefix, "MaxKeys": params.limit}
    if params.delimiter:
        request["Delimiter"] = params.delimiter
    if params.continuation_token:
        request["ContinuationToken"] = params.continuation_token
    response = call(ctx, "s3", lambda: clients.s3().list_objects_v2(**request))
    objects = [
        ObjectInfo(
            key=o["Key"],
            size=o.get("Size", 0),
            last_modified=o.get("LastModified"),
            etag=o.get("ETag"),
            storage_class=o.get("StorageClass"),
        )
        for o in response.get("Contents", [])
    ]
    prefixes = [p["Prefix"] for p in response.get("CommonPrefixes", []) if "Prefix" in p]
    token = response.get("NextContinuationToken") if response.get("IsTruncated") else None
    return ObjectPage(objects=objects, common_prefixes=prefixes, next_continuation_token=token)


def aws_get_object_text(params: GetObjectText, ctx: ToolContext) -> ObjectText:
    """Read an S3 object as UTF-8 text, at most max_bytes of it (the hub caps it, 1 MiB by default).

    For text files (logs, CSV, JSON, Markdown); a binary object is refused.
    `truncated` says whether the object is longer than what was read.
    """
    settings = settings_of(ctx)
    cap = min(params.max_bytes or settings.max_object_bytes, settings.max_object_bytes)
    response = call(ctx, "s3", lambda: settings.clients.s3().get_object(Bucket=params.bucket, Key=params.key))
    body = response["Body"]
    try:
        data = _read_at_most(body, cap + 1)  # one byte more than allowed tells whether there is more
    finally:
        body.close()  # never download the rest of a large object
    size = response.get("ContentLength")
    truncated = len(data) > cap or (size is not None and size > cap)
    data = data[:cap]
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=not truncated)
    except UnicodeDecodeError:
        raise ToolError(
            f"s3://{params.bucket}/{params.key} is not UTF-8 text (Content-Type "
            f"{response.get('ContentType') or 'unknown'}): this tool reads text objects only."
        ) from None
    return ObjectText(
        bucket=params.bucket,
        key=params.key,
        text=text,
        truncated=truncated,
        size=size,
        content_type=response.get("ContentType"),
        etag=response.get("ETag"),
        last_modified=response.get("LastModified"),
    )


def _read_at_most(body: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = body.read(min(remaining, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def aws_put_object(params: PutObject, ctx: ToolContext) -> PutResult:
    """Write a text object to S3 (UTF-8), replacing any object with the same key.

    At most the hub's max_object_bytes (1 MiB by default). An existing object
    under the key is overwritten (kept as an older version only if the bucket
    has versioning on).
    """
    settings = settings_of(ctx)
    data = params.text.encode("utf-8")
    if len(data) > settings.max_object_bytes:
        raise ToolError(
            f"the text is {len(data)} bytes in UTF-8; this hub writes at most {settings.max_object_bytes} "
            "bytes per object: split it"
        )
    response = call(
        ctx,
        "s3",
        lambda: settings.clients.s3().put_object(
            Bucket=params.bucket,
            Key=params.key,
            Body=data,
            ContentType=params.content_type,
        ),
    )
    return PutResult(
        bucket=params.bucket,
        key=params.key,
        bytes=len(data),
        etag=response.get("ETag"),
        version_id=response.get("VersionId"),
    )


TOOLS = (
    ToolSpec(aws_list_buckets, READ, "List S3 buckets"),
    ToolSpec(aws_list_objects, READ, "List S3 objects"),
    ToolSpec(aws_get_object_text, READ, "Read an S3 text object"),
    ToolSpec(aws_put_object, CHANGE, "Write an S3 text object"),
)
