"""MC-PEA community connector for AWS, on boto3: S3, SQS and Secrets Manager metadata.

Tools (``aws_<verb>_<noun>``, listed in the README's table) list buckets and
objects, read and write text objects (size-capped), list queues, send,
receive and delete messages, and list and describe secrets. No tool reads a
secret's value.

What it adds to boto3: inputs checked before any request, botocore's
errors translated into the hub's errors (never carrying a credential),
AWS's request ids reported to the audit record, FIFO deduplication ids
derived from the hub's call id, and clients made once per hub and closed
when it stops.

Configure it under ``[plugins.aws]`` (see :mod:`.settings`): ``region`` is
required, credentials default to boto3's chain. Nothing here imports boto3:
it loads on the first tool call. Written with the public plugin kit only
(``mcpea_core`` and ``mcpea_core.testing``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from mcpea_core import Hub, hookimpl

from ._version import __version__
from .settings import Settings
from .tools import TOOLS

__all__ = ["TOOLS", "Settings", "__version__", "register_tools", "settings_model", "shutdown"]

# mcpea_core exports no type for the register callback; this says what is used of it.
Register = Callable[..., Any]


@hookimpl
def settings_model() -> type[BaseModel]:
    return Settings


@hookimpl
def register_tools(register: Register) -> None:
    for spec in TOOLS:
        register(spec.fn, **spec.options())


@hookimpl
def shutdown(hub: Hub) -> None:
    for settings in hub.settings.values():
        if isinstance(settings, Settings):
            settings.close()
