"""Every tool of the connector, in the order they are registered and documented."""

from __future__ import annotations

from . import s3, secrets, sqs
from .spec import ToolSpec

__all__ = ["TOOLS"]

TOOLS: tuple[ToolSpec, ...] = (*s3.TOOLS, *sqs.TOOLS, *secrets.TOOLS)
