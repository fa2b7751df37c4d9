"""How the connector lists its tools: where each function lives, and its MCP annotations."""

from __future__ import annotations

from typing import NamedTuple

from mcpea_core import Annotations

__all__ = ["READ", "ToolSpec"]

READ = Annotations(read_only=True, destructive=False, idempotent=True, open_world=True)
"""Annotations of every tool that only reads."""


# A NamedTuple rather than a dataclass: quicker to define, and this module loads at every start.
class ToolSpec(NamedTuple):
    """One tool: registered as ``register(spec.fn, annotations=spec.annotations)``.

    The function is named by reference (``module`` of this package, and the
    function's ``name``, which is the tool's), so registering the tools
    imports none of their modules: the hub imports one when it first needs
    one of its tools.
    """

    module: str
    name: str
    annotations: Annotations

    @property
    def fn(self) -> str:
        """The reference to the tool's function: ``mcpea_plugin_slack.<module>:<name>``."""
        return f"{__package__}.{self.module}:{self.name}"
