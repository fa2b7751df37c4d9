"""SQS tools: list queues, send a message, receive messages, delete a received message."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, model_validator

from mcpea_core import ToolContext, ToolError

from .session import Clients
from .spec import ADD, CHANGE, CONSUME, READ, Input, ToolSpec, call, settings_of

__all__ = ["TOOLS"]

MAX_BODY = 256 * 1024

Queue = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        pattern=r"^(https?://\S+|[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$",
        description="Queue name (orders, jobs.fifo) or queue URL.",
    ),
]


class ListQueues(Input):
    """Arguments of aws_list_queues."""

    prefix: str = Field(default="", max_length=80, description="Only queues whose name starts with this.")
    limit: int = Field(default=100, ge=1, le=1000, description="Most queue URLs to return.")
    next_token: str | None = Field(default=None, description="Cursor: next_token of the previous page.")


class QueueList(BaseModel):
    """The queues found."""

    queue_urls: list[str]
    next_token: str | None = Field(description="Pass as next_token for the next page.")


class SendMessage(Input):
    """Arguments of aws_send_message."""

    queue: Queue
    body: str = Field(min_length=1, description="The message text (at most 256 KiB in UTF-8).")
    delay_seconds: int | None = Field(
        default=None, ge=0, le=900, description="Hide the message this long first."
    )
    attributes: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,256}$")], str] = Field(
        default_factory=dict,
        max_length=10,
        description="String message attributes, such as {'source': 'agent'}.",
    )
    group_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="FIFO queues only (required there): the message group.",
    )

    @model_validator(mode="after")
    def _small_enough(self) -> Self:
        if len(self.body.encode("utf-8")) > MAX_BODY:
            raise ValueError("the body is larger than SQS's 256 KiB")
        return self


class SentMessage(BaseModel):
    """The message SQS accepted."""

    message_id: str
    sequence_number: str | None = Field(default=None, description="FIFO queues: the message's order.")
    md5_of_body: str | None = None


class ReceiveMessages(Input):
    """Arguments of aws_receive_messages."""

    queue: Queue
    max_messages: int = Field(default=1, ge=1, le=10, description="Most messages to receive (1-10).")
    wait_seconds: int = Field(
        default=0, ge=0, le=20, description="Long polling: wait up to this long for one."
    )
    visibility_timeout: int | None = Field(
        default=None, ge=0, le=43200, description="Seconds the messages stay hidden; default the queue's."
    )


class Message(BaseModel):
    """One received message."""

    message_id: str
    receipt_handle: str = Field(description="Pass to aws_delete_message once the message is handled.")
    body: str
    attributes: dict[str, str] = Field(description="SQS's: SentTimestamp, ApproximateReceiveCount, ...")
    message_attributes: dict[str, str] = Field(description="The sender's string attributes.")
    md5_of_body: str | None = None


class ReceivedMessages(BaseModel):
    """The messages received (none when the queue had none ready)."""

    messages: list[Message]


class DeleteMessage(Input):
    """Arguments of aws_delete_message."""

    queue: Queue
    receipt_handle: str = Field(min_length=1, max_length=2048, description="From aws_receive_messages.")


class Deleted(BaseModel):
    """The message is gone."""

    deleted: bool


def _queue_url(ctx: ToolContext, clients: Clients, queue: str) -> str:
    if queue.startswith(("http://", "https://")):
        return queue
    response = call(ctx, "sqs", lambda: clients.sqs().get_queue_url(QueueName=queue))
    return response["QueueUrl"]


def aws_list_queues(params: ListQueues, ctx: ToolContext) -> QueueList:
    """List the SQS queue URLs of the hub's account and region, optionally by name prefix."""
    clients = settings_of(ctx).clients
    request: dict[str, Any] = {"MaxResults": params.limit}
    if params.prefix:
        request["QueueNamePrefix"] = params.prefix
    if params.next_token:
        request["NextToken"] = params.next_token
    response = call(ctx, "sqs", lambda: clients.sqs().list_queues(**request))
    return QueueList(queue_urls=response.get("QueueUrls", []), next_token=response.get("NextToken"))


def aws_send_message(params: SendMessage, ctx: ToolContext) -> SentMessage:
    """Send one message to an SQS queue (by name or URL), with optional string attributes.

    For a FIFO queue (name ending in .fifo) give group_id; the deduplication
    id is derived from the hub's call id, so a retried call is not delivered
    twice. On a standard queue each call sends another message.
    """
    clients = settings_of(ctx).clients
    url = _queue_url(ctx, clients, params.queue)
    fifo = url.endswith(".fifo")
    if fifo and params.group_id is None:
        raise ToolError("this is a FIFO queue: give group_id (messages of one group are delivered in order)")
    if not fifo and params.group_id is not None:
        raise ToolError("group_id is for FIFO queues (names ending in .fifo); leave it out for this queue")
    request: dict[str, Any] = {"QueueUrl": url, "MessageBody": params.body}
    if params.delay_seconds is not None:
        request["DelaySeconds"] = params.delay_seconds
    if params.attributes:
        request["MessageAttributes"] = {
            name: {"DataType": "String", "StringValue": value} for name, value in params.attributes.items()
        }
    if fifo:
        request["MessageGroupId"] = params.group_id
        request["MessageDeduplicationId"] = hashlib.sha256(ctx.idempotency_key().encode()).hexdigest()[:64]
    response = call(ctx, "sqs", lambda: clients.sqs().send_message(**request))
    return SentMessage(
        message_id=response["MessageId"],
        sequence_number=response.get("SequenceNumber"),
        md5_of_body=response.get("MD5OfMessageBody"),
    )


def aws_receive_messages(params: ReceiveMessages, ctx: ToolContext) -> ReceivedMessages:
    """Receive up to max_messages messages from an SQS queue, without deleting them.

    Received messages are hidden from other consumers for the visibility
    timeout, then come back unless deleted with aws_delete_message (pass its
    receipt_handle). wait_seconds > 0 waits for messages (long polling).
    """
    clients = settings_of(ctx).clients
    url = _queue_url(ctx, clients, params.queue)
    request: dict[str, Any] = {
        "QueueUrl": url,
        "MaxNumberOfMessages": params.max_messages,
        "WaitTimeSeconds": params.wait_seconds,
        "AttributeNames": ["All"],  # MessageSystemAttributeNames is newer than boto3 1.34
        "MessageAttributeNames": ["All"],
    }
    if params.visibility_timeout is not None:
        request["VisibilityTimeout"] = params.visibility_timeout
    response = call(ctx, "sqs", lambda: clients.sqs().receive_message(**request))
    messages = [
        Message(
            message_id=m["MessageId"],
            receipt_handle=m["ReceiptHandle"],
            body=m.get("Body", ""),
            attributes={str(name): value for name, value in m.get("Attributes", {}).items()},
            message_attributes={
                name: value["StringValue"]
                for name, value in m.get("MessageAttributes", {}).items()
                if "StringValue" in value
            },
            md5_of_body=m.get("MD5OfBody"),
        )
        for m in response.get("Messages", [])
    ]
    return ReceivedMessages(messages=messages)


def aws_delete_message(params: DeleteMessage, ctx: ToolContext) -> Deleted:
    """Delete a received SQS message for good, by its receipt handle, once it has been handled."""
    clients = settings_of(ctx).clients
    url = _queue_url(ctx, clients, params.queue)
    call(ctx, "sqs", lambda: clients.sqs().delete_message(QueueUrl=url, ReceiptHandle=params.receipt_handle))
    return Deleted(deleted=True)


TOOLS = (
    ToolSpec(aws_list_queues, READ, "List SQS queues"),
    ToolSpec(aws_send_message, ADD, "Send an SQS message"),
    ToolSpec(aws_receive_messages, CONSUME, "Receive SQS messages"),
    ToolSpec(aws_delete_message, CHANGE, "Delete an SQS message"),
)
