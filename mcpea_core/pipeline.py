"""The innermost step of every tool call: validate the arguments, run the tool, shape the result.

This is the core's own (non-wrapper) implementation of ``wrap_tool_call``.
Audit, policy and notification plugins wrap around it. It never raises for
a tool's failure; it reports how the call ended in a ``ToolOutcome``.
Protocol errors the tool raises on purpose (``mcp.shared.exceptions.MCPError``)
and cancellation pass through untouched.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ValidationError

from .context import ToolCall, ToolOutcome
from .errors import FieldProblem, InvalidArguments, PolicyDenied, ToolError
from .hookspecs import hookimpl
from .tools import Tool

__all__ = ["CoreExecutor", "error_result", "field_problems", "to_result"]

logger = logging.getLogger("mcpea.pipeline")


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """Turn pydantic's errors into ``field: problem`` pairs, without echoing input values."""
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in err["loc"]) or "(arguments)"
        problems.append(FieldProblem(loc, err["msg"]))
    return problems


def error_result(message: str) -> types.CallToolResult:
    """An ``isError`` result; secrets (known values and credential shapes) never reach the client."""
    from .audit.redact import redact_text
    from .secrets import scrub

    message = redact_text(scrub(message))
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def _content(item: Any) -> types.ContentBlock:
    if isinstance(item, str):
        return types.TextContent(type="text", text=item)
    if isinstance(
        item,
        types.TextContent | types.ImageContent | types.AudioContent | types.EmbeddedResource | types.ResourceLink,
    ):
        return item
    return types.TextContent(type="text", text=json.dumps(item, default=str))


def to_result(tool: Tool, value: Any) -> types.CallToolResult:
    """Shape whatever a tool returned into a ``CallToolResult``.

    A pydantic model (or a dict, when the tool has an output model) becomes
    ``structuredContent`` plus its JSON as text; a string one text block; a
    list of content blocks is sent as is; ``None`` an empty result.
    """
    if isinstance(value, types.CallToolResult):
        return value
    if tool.output_model is not None and isinstance(value, dict):
        value = tool.output_model.model_validate(value)
    if isinstance(value, BaseModel):
        if tool.output_model is not None and not isinstance(value, tool.output_model):
            raise TypeError(f"tool {tool.name!r} returned {type(value).__name__}, not {tool.output_model.__name__}")
        data = value.model_dump(mode="json", by_alias=True)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(data))],
            structured_content=data if tool.output_model is not None else None,
        )
    if value is None:
        return types.CallToolResult(content=[])
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return types.CallToolResult(content=[_content(item) for item in value])
    return types.CallToolResult(content=[_content(value)])


async def invoke(tool: Tool, call: ToolCall, limiter: anyio.CapacityLimiter | None = None) -> Any:
    """Run the tool function: async ones on the loop, sync ones in a worker thread."""
    args: list[Any] = [call.params] if tool.wants_params else []
    kwargs: dict[str, Any] = {tool.context_arg: call.context} if tool.context_arg else {}
    if tool.is_async:
        return await tool.fn(*args, **kwargs)
    return await anyio.to_thread.run_sync(
        functools.partial(tool.fn, *args, **kwargs), abandon_on_cancel=True, limiter=limiter
    )


def validate(call: ToolCall) -> list[FieldProblem]:
    """Validate the tool's own arguments and those plugins added; every problem, not just the first."""
    problems: list[FieldProblem] = []
    try:
        call.params = call.tool.input_model.model_validate(call.arguments)
    except ValidationError as exc:
        problems += field_problems(exc)
    for plugin, model in call.extra_models:
        fields = {k: v for k, v in call.hub_arguments.items() if k in model.model_fields}
        try:
            call.hub_params[plugin] = model.model_validate(fields)
        except ValidationError as exc:
            problems += field_problems(exc)
    return problems


async def execute(call: ToolCall, limiter: anyio.CapacityLimiter | None = None) -> ToolOutcome:
    tool = call.tool
    if call.refusal is not None:  # refused before the pipeline ran (a hidden tool): wrappers still see it
        return ToolOutcome(error_result(str(call.refusal)), "denied", call.refusal)
    problems = validate(call)
    if problems:
        invalid = InvalidArguments(tool.name, problems)
        return ToolOutcome(error_result(str(invalid)), "invalid_input", invalid)
    try:
        value = await invoke(tool, call, limiter)
        return ToolOutcome(to_result(tool, value), "success")
    except PolicyDenied as exc:
        return ToolOutcome(error_result(str(exc)), "denied", exc)
    except ToolError as exc:
        return ToolOutcome(error_result(str(exc)), "tool_error", exc)
    except (MCPError, anyio.get_cancelled_exc_class()):
        raise
    except Exception as exc:
        logger.exception("tool %s crashed (call %s)", tool.name, call.call_id)
        message = f"Tool {tool.name!r} failed unexpectedly ({type(exc).__name__}); call id {call.call_id}."
        return ToolOutcome(error_result(message), "crash", exc)


class CoreExecutor:
    """Built-in plugin that runs the tool at the heart of ``wrap_tool_call``.

    ``limiter`` returns the capacity limiter for sync tools' worker threads
    (the hub's own, sized by ``[server] max_tool_threads``), or ``None`` for
    anyio's default of 40.
    """

    def __init__(self, limiter: Callable[[], anyio.CapacityLimiter | None] = lambda: None) -> None:
        self._limiter = limiter

    @hookimpl(trylast=True)
    def wrap_tool_call(self, call: ToolCall) -> Awaitable[ToolOutcome]:
        return _Deferred(lambda: execute(call, self._limiter()))


class _Deferred:
    """An awaitable that starts the call only when awaited.

    A wrapper that refuses a call never awaits ``inner``; a plain coroutine
    would then be garbage-collected with a "never awaited" warning. ``close()``
    is accepted for wrappers written against coroutines.
    """

    def __init__(self, start: Callable[[], Coroutine[Any, Any, ToolOutcome]]) -> None:
        self._start = start

    def __await__(self) -> Generator[Any, None, ToolOutcome]:
        return self._start().__await__()

    def close(self) -> None:
        """Nothing to close: the call never started."""
