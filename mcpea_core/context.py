"""Per-call objects: who is calling, the call itself, what a tool can do while it runs.

``ToolCall`` is what the ``wrap_tool_call`` hook sees; ``ToolContext`` is what
a tool function may ask for; ``ToolOutcome`` is what the pipeline returns.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import mcp_types as types
from pydantic import BaseModel

from ._ids import new_id

if TYPE_CHECKING:
    from .errors import ToolError
    from .tools import Tool

__all__ = ["Outcome", "Principal", "ToolCall", "ToolContext", "ToolOutcome", "local_principal"]

Outcome = Literal["success", "tool_error", "invalid_input", "denied", "crash", "cancelled"]
LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an authenticated subject over HTTP, or the local user on stdio."""

    id: str
    kind: Literal["local", "user", "service", "anonymous"] = "local"
    roles: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@functools.cache
def local_principal() -> Principal:
    """The user running the hub: the principal of stdio and in-process calls (looked up once)."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return Principal(id=f"local:{user}", kind="local")


@dataclass
class ToolCall:
    """One tool call on its way through the pipeline.

    ``call_id`` is stable for the call and is what connectors derive
    idempotency keys from. ``arguments`` are the raw arguments as received;
    ``params`` the validated input model once validation has run.
    ``upstream`` collects what connectors report (vendor request ids,
    idempotency keys) for the audit record. ``hub_arguments`` are the
    arguments plugins added through ``tool_extra_arguments`` (taken out of
    ``arguments``), ``hub_params`` their validated models by plugin name.
    """

    tool: Tool
    arguments: dict[str, Any]
    principal: Principal
    transport: str = "inprocess"
    session_id: str | None = None
    call_id: str = field(default_factory=new_id)
    params: BaseModel | None = None
    upstream: dict[str, list[str]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    hub_arguments: dict[str, Any] = field(default_factory=dict)
    hub_params: dict[str, BaseModel] = field(default_factory=dict)
    extra_models: tuple[tuple[str, type[BaseModel]], ...] = ()
    refusal: ToolError | None = None
    hidden: bool = False
    context: ToolContext | None = None

    @property
    def name(self) -> str:
        return self.tool.name


@dataclass
class ToolOutcome:
    """The result of a call and how it ended, for wrappers such as audit."""

    result: types.CallToolResult
    outcome: Outcome
    error: BaseException | None = None

    @property
    def is_error(self) -> bool:
        return self.outcome != "success"


class ToolContext:
    """What a tool function can do while it runs: log, report progress, ask the user.

    Every method is a no-op (or, for ``elicit``/``sample``, returns ``None``)
    when the call has no MCP session, for example ``mcpea call`` or
    ``Hub.call_tool``. Sync tools run in a worker thread: call these with
    ``anyio.from_thread.run(ctx.log, "info", "...")``.
    """

    def __init__(
        self,
        call: ToolCall,
        *,
        settings: BaseModel | None = None,
        session: Any = None,
        request_id: types.RequestId | None = None,
        min_log_level: LogLevel = "debug",
        close_sse_stream: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.call = call
        self.settings = settings
        self._session = session
        self._request_id = request_id
        self._min_level = _LEVELS.index(min_log_level)
        self._close_sse_stream = close_sse_stream

    @property
    def call_id(self) -> str:
        return self.call.call_id

    @property
    def principal(self) -> Principal:
        return self.call.principal

    @property
    def session(self) -> Any:
        """The SDK ``ServerSession`` for advanced use, or ``None`` in-process."""
        return self._session

    def idempotency_key(self, suffix: str = "") -> str:
        """A key derived from the call id: the same logical call always gets the same key."""
        key = f"mcpea-{self.call.call_id}{'-' + suffix if suffix else ''}"
        self.report_upstream(idempotency_key=key)
        return key

    def report_upstream(self, *, request_id: str | None = None, idempotency_key: str | None = None) -> None:
        """Record vendor request ids and idempotency keys for the audit record."""
        for kind, value in (("request_ids", request_id), ("idempotency_keys", idempotency_key)):
            if value and value not in self.call.upstream.setdefault(kind, []):
                self.call.upstream[kind].append(value)

    async def log(self, level: LogLevel, message: Any, *, logger: str | None = None) -> None:
        """Send an MCP log notification to the client, if it asked for this level."""
        if self._session is None or _LEVELS.index(level) < self._min_level:
            return
        await self._session.send_log_message(
            level, message, logger=logger or self.call.tool.plugin, related_request_id=self._request_id
        )

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Report progress; a no-op unless the client sent a progress token."""
        if self._session is None:
            return
        await self._session.report_progress(progress, total, message)

    async def elicit(self, message: str, schema: type[BaseModel] | dict[str, Any]) -> types.ElicitResult | None:
        """Ask the user for input through MCP elicitation; ``None`` when the client cannot."""
        if self._session is None or not self.client_supports("elicitation"):
            return None
        requested = schema if isinstance(schema, dict) else schema.model_json_schema()
        result: types.ElicitResult = await self._session.elicit_form(
            message, requested, related_request_id=self._request_id
        )
        return result

    async def sample(self, prompt: str, *, max_tokens: int = 256) -> types.CreateMessageResult | None:
        """Ask the client's model for a completion; ``None`` when the client cannot."""
        if self._session is None or not self.client_supports("sampling"):
            return None
        message = types.SamplingMessage(role="user", content=types.TextContent(type="text", text=prompt))
        result: types.CreateMessageResult = await self._session.create_message(
            [message], max_tokens=max_tokens, related_request_id=self._request_id
        )
        return result

    async def close_sse_stream(self) -> bool:
        """Close this call's SSE response stream; the client reconnects and resumes it.

        For long calls over Streamable HTTP (SEP-1699 polling): the call keeps
        running, what it sends meanwhile is kept by the server's event store and
        replayed when the client reconnects with ``Last-Event-ID``. Returns
        ``False`` (and does nothing) when that is not possible: stdio or
        in-process calls, a server without an event store, a client older than
        protocol 2025-11-25.
        """
        if self._close_sse_stream is None:
            return False
        await self._close_sse_stream()
        return True

    def client_supports(self, capability: Literal["elicitation", "sampling", "roots"]) -> bool:
        """Whether the client declared ``capability`` and this request can carry a server-to-client request."""
        if self._session is None or not getattr(self._session, "can_send_request", True):
            return False
        caps = self._session.client_capabilities
        return caps is not None and getattr(caps, capability, None) is not None
