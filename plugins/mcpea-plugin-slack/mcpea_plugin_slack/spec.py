"""How a module of tools lists them: the function and its MCP annotations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcpea_core import Annotations

__all__ = ["READ", "ToolSpec"]

READ = Annotations(read_only=True, destructive=False, idempotent=True, open_world=True)
"""Annotations of every tool that only reads."""


@dataclass(frozen=True)
class ToolSpec:
    """One tool: registered as ``register(fn, annotations=annotations)``, its name the function's."""

    fn: Callable[..., Any]
    annotations: Annotations
