"""MC-PEA: an integration hub that serves connector plugins' tools over MCP.

The public API is what ``__all__`` lists; everything else lives in modules
whose layout may change. Plugin authors need :data:`hookimpl`, the tool and
resource types and the errors; applications need :class:`Hub`.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .config import HubConfig, load_config
from .context import Principal, ToolCall, ToolContext, ToolOutcome
from .errors import (
    AuthError,
    ConfigError,
    InvalidArguments,
    McpeaError,
    PluginError,
    PluginLoadError,
    PolicyDenied,
    RateLimited,
    RegistrationError,
    ToolError,
    UnknownToolError,
    UpstreamError,
)
from .hookspecs import hookimpl
from .hub import Hub
from .resources import Contents, Prompt, PromptArgument, PromptMessage, Resource, ResourceTemplate
from .tools import Annotations, Tool, make_tool

if TYPE_CHECKING:
    from .notify.channels import DeliveryError

__all__ = [
    "Annotations",
    "AuthError",
    "ConfigError",
    "Contents",
    "DeliveryError",
    "Hub",
    "HubConfig",
    "InvalidArguments",
    "McpeaError",
    "PluginError",
    "PluginLoadError",
    "PolicyDenied",
    "Principal",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
    "RateLimited",
    "RegistrationError",
    "Resource",
    "ResourceTemplate",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolOutcome",
    "UnknownToolError",
    "UpstreamError",
    "__version__",
    "hookimpl",
    "load_config",
    "make_tool",
]


def __getattr__(name: str) -> Any:
    if name == "DeliveryError":  # imported on first use: the notification machinery is optional
        from .notify.channels import DeliveryError

        return DeliveryError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
