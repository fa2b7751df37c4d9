"""What every tool shares: the input base, annotations, settings lookup and :func:`call`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from mcpea_core import Annotations, ToolContext, ToolError

from .errors import request_id_of, translate
from .settings import Settings

__all__ = ["ADD", "CHANGE", "CONSUME", "READ", "Input", "ToolSpec", "call", "settings_of"]

T = TypeVar("T")

READ = Annotations(read_only=True, destructive=False, idempotent=True, open_world=True)
"""Reads: no effect on AWS."""
ADD = Annotations(read_only=False, destructive=False, idempotent=False, open_world=True)
"""Adds something (a message); each call adds another."""
CONSUME = Annotations(read_only=False, destructive=False, idempotent=False, open_world=True)
"""Receiving SQS messages: hides them from other consumers for the visibility timeout."""
CHANGE = Annotations(read_only=False, destructive=True, idempotent=True, open_world=True)
"""Overwrites or removes something; repeating it changes nothing more."""


class Input(BaseModel):
    """Base of the tools' input models: unknown arguments are refused."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


@dataclass(frozen=True)
class ToolSpec:
    """One tool: ``register(fn, annotations=...)``."""

    fn: Callable[..., Any]
    annotations: Annotations
    title: str

    def options(self) -> dict[str, Any]:
        hints = self.annotations
        titled = Annotations(
            hints.read_only, hints.destructive, hints.idempotent, hints.open_world, self.title
        )
        return {"annotations": titled}


def settings_of(ctx: ToolContext) -> Settings:
    settings = ctx.settings
    if not isinstance(settings, Settings):  # only when a tool is called outside a hub
        raise ToolError("the AWS connector has no settings: load it through a hub")
    return settings


def call(ctx: ToolContext, service: str, request: Callable[[], T]) -> T:
    """Run ``request`` (one boto3 call, such as ``lambda: clients.s3().list_buckets()``).

    AWS's request id goes to the audit record; botocore's errors, including
    those of making the client (no credentials, a missing profile), become
    hub errors.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = request()
    except (ClientError, BotoCoreError) as exc:
        if isinstance(exc, ClientError):
            ctx.report_upstream(request_id=request_id_of(exc.response))
        raise translate(exc, service, settings_of(ctx).secrets()) from None
    ctx.report_upstream(request_id=request_id_of(response))
    return response
