"""The MCP face of the hub: a low-level SDK ``Server`` whose handlers call into the ``Hub``.

Protocol faults stay protocol errors (unknown tool, unknown resource or
prompt, a missing prompt argument); every failure of a tool becomes a
``CallToolResult`` with ``isError: true`` that the model can read.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import logging
import warnings
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from .context import LogLevel, Principal, ToolContext, local_principal
from .errors import PluginLoadError, UnknownToolError
from .pipeline import error_result
from .resources import Contents, Prompt, PromptMessage

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext

    from .hub import Hub
    from .tools import Tool

__all__ = ["build_server"]

logger = logging.getLogger("mcpea.server")
RESOURCE_NOT_FOUND = -32002
_T = TypeVar("_T")


def _page(items: Sequence[_T], cursor: str | None, size: int) -> tuple[Sequence[_T], str | None]:
    """Cursor pagination: the cursor is an opaque, base64-encoded offset."""
    start = 0
    if cursor:
        try:
            start = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        except ValueError:
            raise MCPError(types.INVALID_PARAMS, f"Invalid cursor: {cursor!r}") from None
        if start < 0 or start > len(items):
            raise MCPError(types.INVALID_PARAMS, f"Invalid cursor: {cursor!r}")
    end = start + size
    next_cursor = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_cursor


async def _run(limiter: anyio.CapacityLimiter, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a plugin function: async ones directly, sync ones in a worker thread.

    A protocol error the plugin raises on purpose passes; any other failure is
    logged and reported without its text, which could carry a vendor URL or key.
    """
    try:
        if inspect.iscoroutinefunction(inspect.unwrap(fn)):
            return await fn(*args, **kwargs)
        call = functools.partial(fn, *args, **kwargs)
        result = await anyio.to_thread.run_sync(call, abandon_on_cancel=True, limiter=limiter)
        return await result if inspect.isawaitable(result) else result
    except MCPError:
        raise
    except Exception as exc:
        name = getattr(fn, "__qualname__", repr(fn))
        logger.exception("plugin function %s failed", name)
        raise MCPError(types.INTERNAL_ERROR, f"{name} failed ({type(exc).__name__}); see the hub's log") from None


def _contents(uri: str, mime: str | None, value: Any) -> list[types.TextResourceContents | types.BlobResourceContents]:
    items = value if isinstance(value, list) else [value]
    out: list[types.TextResourceContents | types.BlobResourceContents] = []
    for item in items:
        if isinstance(item, Contents):
            item_uri, item_mime = item.uri, item.mime_type or mime
            payload: Any = item.blob if item.blob is not None else item.text
        else:
            item_uri, item_mime, payload = uri, mime, item
        if isinstance(payload, bytes):
            blob = base64.b64encode(payload).decode()
            out.append(types.BlobResourceContents(uri=item_uri, mime_type=item_mime, blob=blob))
        else:
            text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
            out.append(types.TextResourceContents(uri=item_uri, mime_type=item_mime, text=text))
    return out


def _prompt_message(message: PromptMessage | str) -> types.PromptMessage:
    if isinstance(message, str):
        message = PromptMessage(role="user", content=message)
    content = message.content
    if isinstance(content, str):
        content = types.TextContent(type="text", text=content)
    return types.PromptMessage(role=message.role, content=content)


class HubServer:
    """Request handlers, plus the per-connection state the protocol needs."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.page_size = hub.config.server.page_size
        self.log_levels: weakref.WeakKeyDictionary[Any, LogLevel] = weakref.WeakKeyDictionary()
        self.subscriptions: dict[str, dict[int, Any]] = {}
        self._wire_tools: dict[str, types.Tool] = {}
        self.stdio = False

    # --- who and how -------------------------------------------------------

    def principal(self, ctx: Any) -> Principal:
        request = ctx.request
        if request is None:
            return local_principal()
        resolved = request.scope.get("mcpea.principal")
        return resolved if isinstance(resolved, Principal) else Principal(id="anonymous", kind="anonymous")

    def transport(self, ctx: Any) -> tuple[str, str | None]:
        if ctx.request is not None:
            return "http", ctx.request.headers.get("mcp-session-id")
        return ("stdio" if self.stdio else "inprocess"), None

    @staticmethod
    def _connection(ctx: Any) -> Any:
        # The SDK keeps per-connection state on a private attribute; fall back to the session.
        return getattr(ctx.session, "_connection", None) or ctx.session

    # --- tools -------------------------------------------------------------

    async def list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        tools = self.hub.visible_tools(self.principal(ctx))
        page, cursor = _page(tools, params.cursor if params else None, self.page_size)
        return types.ListToolsResult(tools=[self._wire_tool(tool) for tool in page], next_cursor=cursor)

    def _wire_tool(self, tool: Tool) -> types.Tool:
        # Tools are fixed once the hub has loaded, so each wire definition is built once.
        wire = self._wire_tools.get(tool.name)
        if wire is None:
            wire = types.Tool(
                name=tool.name,
                title=tool.title,
                description=tool.description,
                input_schema=self.hub.published_schema(tool),
                output_schema=tool.output_schema,
                annotations=types.ToolAnnotations.model_validate(tool.annotations.to_wire()),
            )
            self._wire_tools[tool.name] = wire
        return wire

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """For the SDK's header validation on 2026-07-28: saves running tools/list before each call."""
        tool = self.hub.tools.get(name)
        if tool is None or self.hub.unavailable(tool) is not None:
            return None
        return self.hub.published_schema(tool)

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        transport, session_id = self.transport(ctx)
        try:
            call = self.hub.new_call(
                params.name, params.arguments, self.principal(ctx), transport=transport, session_id=session_id
            )
        except UnknownToolError as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        except PluginLoadError as exc:  # its module did not import (logged by the hub): not a protocol fault
            cause = type(exc.__cause__ or exc).__name__
            return error_result(
                f"Tool {params.name!r} is unavailable: plugin {exc.plugin!r} could not load it ({cause}); "
                "see the hub's log."
            )
        tool = call.tool
        call.context = ToolContext(
            call,
            settings=self.hub.settings.get(tool.plugin),
            session=ctx.session,
            request_id=ctx.request_id,
            min_log_level=self.log_levels.get(self._connection(ctx), "debug"),
            close_sse_stream=getattr(ctx, "close_sse_stream", None),
        )
        try:
            outcome = await self.hub.execute(call)
        except UnknownToolError as exc:  # hidden from this principal: audited, then reported as unknown
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        return outcome.result

    # --- resources ---------------------------------------------------------

    async def list_resources(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        items = list(self.hub.resources.values())
        page, cursor = _page(items, params.cursor if params else None, self.page_size)
        wire = [
            types.Resource(uri=r.uri, name=r.name, description=r.description, mime_type=r.mime_type) for r in page
        ]
        return types.ListResourcesResult(resources=wire, next_cursor=cursor)

    async def list_templates(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        items = list(self.hub.templates.values())
        page, cursor = _page(items, params.cursor if params else None, self.page_size)
        wire = [
            types.ResourceTemplate(
                uri_template=t.uri_template, name=t.name, description=t.description, mime_type=t.mime_type
            )
            for t in page
        ]
        return types.ListResourceTemplatesResult(resource_templates=wire, next_cursor=cursor)

    async def read_resource(self, ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        resource = self.hub.resources.get(uri)
        if resource is not None:
            value = await _run(self.hub.thread_limiter, resource.read)
            return types.ReadResourceResult(contents=_contents(uri, resource.mime_type, value))
        for template in self.hub.templates.values():
            variables = template.match(uri)
            if variables is not None:
                value = await _run(self.hub.thread_limiter, template.read, **variables)
                if value is None:
                    break
                return types.ReadResourceResult(contents=_contents(uri, template.mime_type, value))
        raise MCPError(RESOURCE_NOT_FOUND, f"Resource not found: {uri}", {"uri": uri})

    async def subscribe(self, ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
        uri = str(params.uri)
        if uri not in self.hub.resources and not any(t.match(uri) for t in self.hub.templates.values()):
            raise MCPError(RESOURCE_NOT_FOUND, f"Resource not found: {uri}", {"uri": uri})
        self.subscriptions.setdefault(uri, {})[id(self._connection(ctx))] = ctx.session
        return types.EmptyResult()

    async def unsubscribe(self, ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        self.subscriptions.get(str(params.uri), {}).pop(id(self._connection(ctx)), None)
        return types.EmptyResult()

    async def resource_updated(self, uri: str) -> int:
        """Tell every subscribed client that ``uri`` changed; returns how many were told."""
        told = 0
        for key, session in list(self.subscriptions.get(uri, {}).items()):
            try:
                await session.send_resource_updated(uri)
                told += 1
            except Exception:  # the client went away
                self.subscriptions[uri].pop(key, None)
        return told

    # --- prompts and completion ----------------------------------------------

    async def list_prompts(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        items = list(self.hub.prompts.values())
        page, cursor = _page(items, params.cursor if params else None, self.page_size)
        wire = [
            types.Prompt(
                name=p.name,
                description=p.description,
                arguments=[
                    types.PromptArgument(name=a.name, description=a.description, required=a.required)
                    for a in p.arguments
                ]
                or None,
            )
            for p in page
        ]
        return types.ListPromptsResult(prompts=wire, next_cursor=cursor)

    def _prompt(self, name: str) -> Prompt:
        prompt = self.hub.prompts.get(name)
        if prompt is None:
            raise MCPError(types.INVALID_PARAMS, f"Unknown prompt: {name!r}")
        return prompt

    async def get_prompt(self, ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        prompt = self._prompt(params.name)
        arguments = dict(params.arguments or {})
        known = {a.name for a in prompt.arguments}
        missing = [a.name for a in prompt.arguments if a.required and a.name not in arguments]
        unknown = sorted(set(arguments) - known)
        if missing or unknown:
            problems = [f"missing required argument {m!r}" for m in missing]
            problems += [f"unknown argument {u!r}" for u in unknown]
            raise MCPError(types.INVALID_PARAMS, f"Prompt {prompt.name!r}: " + "; ".join(problems))
        rendered = await _run(self.hub.thread_limiter, prompt.render, **arguments)
        messages = [rendered] if isinstance(rendered, str | PromptMessage) else list(rendered)
        return types.GetPromptResult(
            description=prompt.description, messages=[_prompt_message(m) for m in messages]
        )

    async def complete(self, ctx: Any, params: types.CompleteRequestParams) -> types.CompleteResult:
        ref = params.ref
        completer = None
        if isinstance(ref, types.PromptReference):
            completer = self._prompt(ref.name).complete
        else:
            template = self.hub.templates.get(ref.uri)
            completer = template.complete if template else None
        values: list[str] = []
        if completer is not None:
            argument = params.argument
            values = list(await _run(self.hub.thread_limiter, completer, argument.name, argument.value))
        return types.CompleteResult(
            completion=types.Completion(values=values[:100], total=len(values), has_more=len(values) > 100)
        )

    # --- logging -------------------------------------------------------------

    async def set_level(self, ctx: Any, params: types.SetLevelRequestParams) -> types.EmptyResult:
        self.log_levels[self._connection(ctx)] = params.level
        return types.EmptyResult()


def build_server(hub: Hub) -> Server[Any]:
    """Build the SDK server for ``hub`` (plugins must already be loaded)."""
    handlers = HubServer(hub)
    with warnings.catch_warnings():
        # The 2026-07-28 revision deprecates logging; clients on 2025-11-25 still use it.
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        server: Server[Any] = Server(
            hub.config.hub.name,
            version=_version(),
            instructions="MC-PEA hub: tools from the installed connector plugins.",
            get_tool_input_schema=handlers.input_schema,
            on_list_tools=handlers.list_tools,
            on_call_tool=handlers.call_tool,
            on_list_resources=handlers.list_resources,
            on_list_resource_templates=handlers.list_templates,
            on_read_resource=handlers.read_resource,
            on_subscribe_resource=handlers.subscribe,
            on_unsubscribe_resource=handlers.unsubscribe,
            on_list_prompts=handlers.list_prompts,
            on_get_prompt=handlers.get_prompt,
            on_completion=handlers.complete,
            on_set_logging_level=handlers.set_level,
        )
    server.mcpea_handlers = handlers  # type: ignore[attr-defined]
    return server


def _version() -> str:
    from ._version import __version__

    return __version__
