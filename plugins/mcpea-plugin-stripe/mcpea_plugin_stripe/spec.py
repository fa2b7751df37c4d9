"""How the connector declares its tools: where each function lives, its MCP annotations, its output model."""

from __future__ import annotations

from typing import Any, NamedTuple

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


# A NamedTuple rather than a dataclass: quicker to define, and this module loads at every start.
class Spec(NamedTuple):
    """One tool: ``register(spec.fn, **spec.options())``.

    The function is named by reference (``module`` of this package, and the
    function's ``name``, which is the tool's), so registering the tools
    imports none of their modules: the hub imports one when it first needs
    one of its tools. ``output_model`` (``"models:PaymentIntent"``) is for
    tools that return a ``CallToolResult`` with structured content.
    """

    module: str
    name: str
    annotations: Annotations
    output_model: str | None = None

    @property
    def fn(self) -> str:
        """The reference to the tool's function: ``mcpea_plugin_stripe.<module>:<name>``."""
        return f"{__package__}.{self.module}:{self.name}"

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"annotations": self.annotations}
        if self.output_model is not None:
            options["output_model"] = f"{__package__}.{self.output_model}"
        return options
