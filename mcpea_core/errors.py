"""The one error tree of MC-PEA.

Every error the hub raises on purpose is an ``McpeaError``::

    McpeaError
    ├── ConfigError               bad mcpea.toml, bad setting, missing secret
    ├── PluginError               a plugin could not be loaded or registered
    │   ├── PluginLoadError       import failed, bad hook, bad settings model
    │   └── RegistrationError     bad tool/resource/prompt, duplicate name
    ├── UnknownToolError          no tool of that name (a protocol error on MCP)
    └── ToolError                 a tool call failed in a way the model may read
        ├── InvalidArguments      arguments did not match the input model
        ├── PolicyDenied          a policy refused the call
        └── UpstreamError         the vendor API failed
            ├── AuthError         the vendor refused our credentials
            └── RateLimited       the vendor asked us to slow down

At the HTTP edge, ``mcpea_core.auth.failures.AuthFailure`` (an ``McpeaError``)
becomes a 401, 403 or 503 with a ``WWW-Authenticate`` challenge.

Connectors translate vendor exceptions into ``UpstreamError`` (or a subclass)
with ``raise ... from exc``; the MCP edge turns every ``ToolError`` into a
``CallToolResult`` with ``isError: true`` whose text is the error message, and
any other exception into a generic error result that names only the exception
class (the traceback goes to the hub's log, after redaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AuthError",
    "ConfigError",
    "FieldProblem",
    "InvalidArguments",
    "McpeaError",
    "PluginError",
    "PluginLoadError",
    "PolicyDenied",
    "RateLimited",
    "RegistrationError",
    "ToolError",
    "UnknownToolError",
    "UpstreamError",
]


class McpeaError(Exception):
    """Base class of every error MC-PEA raises on purpose."""


class ConfigError(McpeaError):
    """The configuration is invalid: names the file, the key and the problem."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ", ".join(part for part in (path, f"key {key!r}" if key else None) if part)
        super().__init__(f"{where}: {message}" if where else message)


class PluginError(McpeaError):
    """A plugin could not be loaded or registered."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.plugin = plugin
        super().__init__(message)


class PluginLoadError(PluginError):
    """Importing or validating a plugin failed."""


class RegistrationError(PluginError):
    """A plugin registered an invalid or conflicting tool, resource or prompt."""


class UnknownToolError(McpeaError):
    """No tool of that name is registered (or visible to the caller)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"Unknown tool: {name!r}")


class ToolError(McpeaError):
    """A tool call failed; the message is shown to the model, so keep it actionable.

    ``retry_after`` (seconds) tells the model when a retry may succeed.
    """

    retry_after: float | None = None

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        if retry_after is not None:
            self.retry_after = retry_after


@dataclass(frozen=True)
class FieldProblem:
    """One bad field in a tool's arguments: a dotted path and what is wrong."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class InvalidArguments(ToolError):
    """The arguments did not validate against the tool's input model."""

    def __init__(self, tool: str, problems: Sequence[FieldProblem]) -> None:
        self.tool = tool
        self.problems = list(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"Invalid arguments for tool {tool!r}:\n{lines}")


class PolicyDenied(ToolError):
    """A policy refused the call; ``policy`` names which one."""

    def __init__(self, message: str, *, policy: str, retry_after: float | None = None) -> None:
        self.policy = policy
        super().__init__(message, retry_after=retry_after)


class UpstreamError(ToolError):
    """The vendor API failed. ``request_id`` is the vendor's id for the request."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.request_id = request_id
        super().__init__(message, retry_after=retry_after)


class AuthError(UpstreamError):
    """The vendor refused the hub's credentials (never the caller's: those never go upstream)."""


class RateLimited(UpstreamError):
    """The vendor rate-limited the hub; ``retry_after`` says when to try again."""
