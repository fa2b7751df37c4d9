"""How a tool is registered: the function, its annotations, and the shared input base."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from mcpea_core import Annotations, ToolContext, ToolError

from .settings import Settings

__all__ = ["Input", "ToolSpec", "settings_of"]


class Input(BaseModel):
    """Base of the tools' input models: unknown arguments are refused."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


@dataclass(frozen=True)
class ToolSpec:
    """One tool: ``register(fn, annotations=...)``."""

    fn: Callable[..., Any]
    annotations: Annotations

    def options(self) -> dict[str, Any]:
        return {"annotations": self.annotations}


def settings_of(ctx: ToolContext) -> Settings:
    """The connector's settings for this call; a clear error when the tool runs outside a hub."""
    settings = ctx.settings
    if not isinstance(settings, Settings):
        raise ToolError(
            "the SendGrid connector is not configured: set [plugins.sendgrid] api_key and from_email"
        )
    return settings
