"""How each tool module declares its tools: the function, its MCP annotations, its output model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from mcpea_core import Annotations

__all__ = ["ADD", "CHANGE", "IRREVERSIBLE", "READ", "Spec"]

READ = Annotations(read_only=True, destructive=False, idempotent=True)
"""Reads: no effect on Stripe."""
ADD = Annotations(read_only=False, destructive=False, idempotent=False)
"""Creates something new; each new call creates another (a retry of one call does not)."""
CHANGE = Annotations(read_only=False, destructive=True, idempotent=True)
"""Overwrites or ends something; repeating it changes nothing more."""
IRREVERSIBLE = Annotations(read_only=False, destructive=True, idempotent=False)
"""Moves money or changes state for good, once per call (charges, refunds)."""


@dataclass(frozen=True)
class Spec:
    """One tool: ``register(fn, annotations=..., output_model=...)``."""

    fn: Callable[..., Any]
    annotations: Annotations
    output_model: type[BaseModel] | None = None

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"annotations": self.annotations}
        if self.output_model is not None:
            options["output_model"] = self.output_model
        return options
