"""The hub: plugins, their tools, resources and prompts, and the call pipeline.

Use it as a library::

    async with Hub() as hub:
        result = await hub.call_tool("stripe_get_balance", {})

or serve it (``mcpea serve``), mount ``hub.http_app()`` into an ASGI
application, or talk to it in-process with ``hub.client()``.
"""

from __future__ import annotations

import copy
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.shared.exceptions import MCPError

from .config import HubConfig, load_config, validate_section
from .context import Principal, ToolCall, ToolContext, ToolOutcome, local_principal
from .errors import ConfigError, PluginLoadError, PolicyDenied, RegistrationError, ToolError, UnknownToolError
from .pipeline import CoreExecutor, error_result
from .plugins import PluginHost, PluginInfo, chosen_plugins
from .resources import Prompt, Resource, ResourceTemplate
from .tools import Tool, make_tool

if TYPE_CHECKING:
    from mcp.client import Client
    from mcp.server.lowlevel import Server
    from pydantic import BaseModel
    from starlette.applications import Starlette

__all__ = ["Hub"]

logger = logging.getLogger("mcpea.hub")


class Hub:
    """An MC-PEA hub.

    ``config`` is a :class:`HubConfig`, a path to ``mcpea.toml``, or ``None``
    (``MCPEA_CONFIG`` or defaults). ``plugins`` are extra plugin objects to
    register as ``(name, plugin)`` pairs or bare objects (named after their
    ``__name__``), for applications that embed the hub and for tests;
    ``load_entrypoints=False`` skips installed plugins entirely.
    """

    def __init__(
        self,
        config: HubConfig | str | Path | None = None,
        *,
        plugins: Sequence[object | tuple[str, object]] = (),
        load_entrypoints: bool = True,
        strict: bool | None = None,
    ) -> None:
        self.config = config if isinstance(config, HubConfig) else load_config(config)
        self.strict = self.config.hub.strict if strict is None else strict
        self.host = PluginHost()
        self.tools: dict[str, Tool] = {}
        self.resources: dict[str, Resource] = {}
        self.templates: dict[str, ResourceTemplate] = {}
        self.prompts: dict[str, Prompt] = {}
        self.settings: dict[str, BaseModel | None] = {}
        self.extra_models: dict[str, tuple[tuple[str, type[BaseModel]], ...]] = {}
        self._schemas: dict[str, dict[str, Any]] = {}
        self._logged_failures: set[str] = set()
        self._extra_plugins = plugins
        self._load_entrypoints = load_entrypoints
        self._loaded = False
        self._started = False
        self._server: Server[Any] | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._start_lock: anyio.Lock | None = None

    # --- loading -----------------------------------------------------------

    def load(self) -> Hub:
        """Load plugins and collect what they register (idempotent, synchronous)."""
        if self._loaded:
            return self
        self.host.register(CoreExecutor(lambda: self.thread_limiter), "mcpea.core", status="builtin", module=__name__)
        for builtin_name, builtin in _builtin_plugins(self.config):
            self.host.register(builtin, builtin_name, status="builtin", module=type(builtin).__module__)
        for entry in self._extra_plugins:
            name, plugin = entry if isinstance(entry, tuple) else (_plugin_name(entry), entry)
            self.host.register(plugin, name)
        if self._load_entrypoints:
            self.host.load_entry_points(chosen_plugins(self.config.hub.plugins), strict=self.strict)
        self._load_settings()
        self._collect()
        if self.strict:  # fail now, not on first use, when a tool registered by reference does not import
            for tool in self.tools.values():
                tool.resolve()
        self._collect_extra_arguments()
        self._loaded = True
        return self

    def _load_settings(self) -> None:
        path = self.config.source
        models = {name: self.host.call_impl(impl) for name, impl in self.host.implementations("settings_model")}
        for name in self.config.plugins:
            info = self.host.infos.get(name)
            if info is None:
                message = f"no installed plugin is called {name!r} (installed: {', '.join(sorted(self.host.infos))})"
                if self.strict:
                    raise ConfigError(message, path=path, key=f"plugins.{name}")
                logger.warning("%s: [plugins.%s] is ignored", message, name)
                continue
            if info.status in ("disabled", "failed"):
                continue
            if models.get(name) is None:
                raise ConfigError("this plugin takes no settings", path=path, key=f"plugins.{name}")
        for name, model in models.items():
            if model is None:
                continue
            table = self.config.plugin_settings(name)
            try:
                self.settings[name] = validate_section(model, table, path=path, key=f"plugins.{name}")
            except ConfigError as exc:
                if table is not None or self.strict:
                    raise  # the operator wrote this table: a mistake in it must not pass quietly
                # Installed but never configured: leave it out rather than take the hub down.
                self.host.fail(name, f"not configured: {exc} (add a [plugins.{name}] table to mcpea.toml)")

    def _collect(self) -> None:
        for plugin, impl in self.host.implementations("register_tools"):
            registrar = _ToolRegistrar(self, plugin)
            self._guard(plugin, lambda: self.host.call_impl(impl, register=registrar, settings=self.settings.get(plugin)))
        for plugin, impl in self.host.implementations("register_resources"):
            self._guard(
                plugin,
                lambda: self.host.call_impl(
                    impl, register=lambda r: self._add_resource(plugin, r), settings=self.settings.get(plugin)
                ),
            )
        for plugin, impl in self.host.implementations("register_prompts"):
            self._guard(
                plugin,
                lambda: self.host.call_impl(
                    impl, register=lambda p: self._add_prompt(plugin, p), settings=self.settings.get(plugin)
                ),
            )

    def _collect_extra_arguments(self) -> None:
        impls = list(self.host.implementations("tool_extra_arguments"))
        if not impls:
            return
        for tool in self.tools.values():
            try:
                self._add_extra_arguments(tool, impls)
            except PluginLoadError:
                if tool.reference is None or self.unavailable(tool) is None:
                    raise
                # Its module did not import: the tool is unavailable, and logged as such.

    def _add_extra_arguments(self, tool: Tool, impls: Sequence[tuple[str, Any]]) -> None:
        offered: list[tuple[str, type[BaseModel]]] = []
        taken: set[str] | None = None  # read only when a plugin adds arguments to this tool
        for plugin, impl in impls:
            model = self.host.call_impl(impl, tool=tool)
            if model is None:
                continue
            if taken is None:
                taken = set(tool.input_model.model_fields)
            clash = taken & set(model.model_fields)
            if clash:
                raise RegistrationError(
                    f"plugin {plugin!r} adds argument(s) {sorted(clash)} to tool {tool.name!r}, "
                    "which already has them",
                    plugin=plugin,
                )
            taken |= set(model.model_fields)
            offered.append((plugin, model))
        if offered:
            self.extra_models[tool.name] = tuple(offered)

    def unavailable(self, tool: Tool) -> PluginLoadError | None:
        """Why ``tool`` cannot be used, or ``None`` when it can.

        Only a tool registered by reference can fail: when its module does not
        import. This resolves the tool (imports its module) if that has not
        happened yet; each tool's failure is logged once, with its cause.
        """
        try:
            tool.resolve()
        except PluginLoadError as exc:
            if tool.name not in self._logged_failures:
                self._logged_failures.add(tool.name)
                logger.error("%s; the tool is unavailable", exc, exc_info=exc.__cause__)
            return exc
        return None

    def published_schema(self, tool: Tool) -> dict[str, Any]:
        """The input schema clients see: the tool's own plus arguments plugins added."""
        schema = self._schemas.get(tool.name)
        if schema is None:
            schema = tool.input_schema
            extras = self.extra_models.get(tool.name)
            if extras:
                schema = copy.deepcopy(schema)
                for _, model in extras:
                    extra = model.model_json_schema(mode="validation")
                    schema.setdefault("properties", {}).update(extra.get("properties", {}))
                    if "$defs" in extra:
                        schema.setdefault("$defs", {}).update(extra["$defs"])
            self._schemas[tool.name] = schema
        return schema

    def _guard(self, plugin: str, action: Any) -> None:
        try:
            action()
        except (RegistrationError, ConfigError):
            raise
        except Exception as exc:
            raise PluginLoadError(
                f"plugin {plugin!r} failed while registering: {type(exc).__name__}: {exc}", plugin=plugin
            ) from exc

    def add_tool(self, tool: Tool) -> None:
        existing = self.tools.get(tool.name)
        if existing is not None:
            raise RegistrationError(
                f"tool {tool.name!r} is registered by both plugin {existing.plugin!r} and plugin {tool.plugin!r}",
                plugin=tool.plugin,
            )
        self.tools[tool.name] = tool
        info = self.host.infos.get(tool.plugin)
        if info is not None:
            info.tools.append(tool.name)

    def _add_resource(self, plugin: str, item: Resource | ResourceTemplate) -> None:
        if isinstance(item, ResourceTemplate):
            key, table = item.uri_template, self.templates
        else:
            key, table = item.uri, self.resources  # type: ignore[assignment]
        if key in table:
            raise RegistrationError(
                f"resource {key!r} is registered by both plugin {table[key].plugin!r} and plugin {plugin!r}",
                plugin=plugin,
            )
        table[key] = _with_plugin(item, plugin)

    def _add_prompt(self, plugin: str, prompt: Prompt) -> None:
        if prompt.name in self.prompts:
            raise RegistrationError(
                f"prompt {prompt.name!r} is registered by both plugin {self.prompts[prompt.name].plugin!r} "
                f"and plugin {plugin!r}",
                plugin=plugin,
            )
        self.prompts[prompt.name] = _with_plugin(prompt, plugin)

    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, loaded or not, for ``mcpea plugins``."""
        self.load()
        return self.host.loaded()

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Load plugins and run their ``startup`` hooks (once, even when called concurrently).

        If one fails, the plugins already started are shut down again before
        the error (naming the plugin) is raised.
        """
        if self._start_lock is None:
            self._start_lock = anyio.Lock()
        async with self._start_lock:
            if self._started:
                return
            self.load()
            started: set[str] = set()
            for plugin, impl in self.host.implementations("startup"):
                try:
                    await _maybe_await(self.host.call_impl(impl, hub=self))
                except Exception as exc:
                    await self._shutdown(only=started)
                    raise PluginLoadError(f"plugin {plugin!r} failed at start-up: {exc}", plugin=plugin) from exc
                started.add(plugin)
            self._started = True

    async def stop(self) -> None:
        """Run every ``shutdown`` hook (in reverse order), logging failures."""
        if not self._started:
            return
        self._started = False
        await self._shutdown()

    async def _shutdown(self, only: set[str] | None = None) -> None:
        for plugin, impl in reversed(list(self.host.implementations("shutdown"))):
            if only is not None and plugin not in only:
                continue
            try:
                await _maybe_await(self.host.call_impl(impl, hub=self))
            except Exception:
                logger.exception("plugin %r failed at shutdown", plugin)

    @property
    def thread_limiter(self) -> anyio.CapacityLimiter:
        """Worker threads for sync tools and plugin functions (``[server] max_tool_threads``)."""
        if self._limiter is None:  # created lazily: a limiter needs a running event loop
            self._limiter = anyio.CapacityLimiter(self.config.server.max_tool_threads)
        return self._limiter

    @property
    def ready(self) -> bool:
        return self._started

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- calling -----------------------------------------------------------

    def visible_tools(self, principal: Principal | None = None) -> list[Tool]:
        """The tools this principal may see, in registration order (resolved; unavailable ones left out)."""
        self.load()
        who = principal or local_principal()
        hook = self.host.pm.hook.tool_visible
        return [
            tool
            for tool in self.tools.values()
            if False not in hook(tool=tool, principal=who) and self.unavailable(tool) is None
        ]

    def is_visible(self, tool: Tool, principal: Principal) -> bool:
        return False not in self.host.pm.hook.tool_visible(tool=tool, principal=principal)

    def get_tool(self, name: str, principal: Principal | None = None) -> Tool:
        tool = self.tools.get(name)
        if tool is None or not self.is_visible(tool, principal or local_principal()):
            raise UnknownToolError(name)
        return tool

    def new_call(
        self,
        name: str,
        arguments: dict[str, Any] | None,
        principal: Principal,
        *,
        transport: str,
        session_id: str | None = None,
    ) -> ToolCall:
        """Prepare a call; a tool hidden from ``principal`` gets a call that is already refused.

        The refused call still runs through the wrappers (so audit records the
        denial) and then :meth:`execute` raises ``UnknownToolError``, exactly as
        for a name that does not exist, so callers learn nothing about hidden tools.
        A visible tool registered by reference is imported here, on its first
        call: ``PluginLoadError`` if its module does not import.
        """
        tool = self.tools.get(name)
        if tool is None:
            raise UnknownToolError(name)
        call = ToolCall(
            tool=tool, arguments=dict(arguments or {}), principal=principal, transport=transport, session_id=session_id
        )
        if not self.is_visible(tool, principal):
            call.hidden = True
            call.refusal = PolicyDenied(
                f"Tool {name!r} is not available to principal {principal.id!r}", policy="visibility"
            )
        else:
            failure = self.unavailable(tool)
            if failure is not None:
                raise failure
        return call

    async def execute(self, call: ToolCall) -> ToolOutcome:
        """Run a prepared call through every ``wrap_tool_call`` wrapper and the tool."""
        if call.context is None:
            call.context = ToolContext(call, settings=self.settings.get(call.tool.plugin))
        extras = self.extra_models.get(call.tool.name)
        if extras:
            call.extra_models = extras
            for _, model in extras:
                for name in model.model_fields:
                    if name in call.arguments:
                        call.hub_arguments[name] = call.arguments.pop(name)
        try:
            awaitable = self.host.pm.hook.wrap_tool_call(call=call)
            outcome: ToolOutcome = await awaitable
        except ToolError as exc:  # a wrapper refused the call before awaiting anything
            if call.hidden:
                raise UnknownToolError(call.name) from None
            return ToolOutcome(error_result(str(exc)), "denied", exc)
        except (MCPError, anyio.get_cancelled_exc_class()):
            raise
        except Exception as exc:  # a broken wrapper must not take the connection down
            logger.exception("a wrap_tool_call wrapper failed on %s (call %s)", call.name, call.call_id)
            if call.hidden:
                raise UnknownToolError(call.name) from None
            message = f"Tool {call.name!r} failed in the hub ({type(exc).__name__}); call id {call.call_id}."
            return ToolOutcome(error_result(message), "crash", exc)
        if call.hidden:
            raise UnknownToolError(call.name)
        return outcome

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        *,
        principal: Principal | None = None,
        transport: str = "inprocess",
    ) -> types.CallToolResult:
        """Call a tool through the whole pipeline.

        Raises ``UnknownToolError`` for an unknown name, ``PluginLoadError``
        for a tool whose module does not import.
        """
        await self.start()
        call = self.new_call(name, arguments, principal or local_principal(), transport=transport)
        return (await self.execute(call)).result

    @staticmethod
    def refuse(error: ToolError) -> Awaitable[ToolOutcome]:
        """An awaitable outcome that refuses a call: what a policy wrapper returns instead of ``inner``."""

        async def refused() -> ToolOutcome:
            return ToolOutcome(error_result(str(error)), "denied", error)

        return refused()

    # --- serving -----------------------------------------------------------

    @property
    def mcp_server(self) -> Server[Any]:
        """The SDK low-level ``Server`` that serves this hub (built once)."""
        if self._server is None:
            from .server import build_server

            self._server = build_server(self.load())
        return self._server

    def client(self, **options: Any) -> Client:
        """An in-memory MCP client connected to this hub (for tests and embedding)."""
        from mcp.client import Client

        return Client(self.mcp_server, **options)

    def http_app(self, **overrides: Any) -> Starlette:
        """A Starlette app serving MCP at ``[server] path`` plus ``/healthz`` and ``/readyz``."""
        from .http import build_http_app

        return build_http_app(self, **overrides)

    @asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """Lifespan for a parent ASGI app that mounts :meth:`http_app` (sub-app lifespans do not run)."""
        from .http import running

        async with running(self):
            yield


class _ToolRegistrar:
    """The ``register`` callback handed to one plugin's ``register_tools``."""

    def __init__(self, hub: Hub, plugin: str) -> None:
        self.hub = hub
        self.plugin = plugin

    def __call__(self, fn: Any, /, **options: Any) -> Tool:
        if isinstance(fn, Tool):
            tool = fn if fn.plugin == self.plugin else _with_plugin(fn, self.plugin)
        else:
            tool = make_tool(fn, plugin=self.plugin, **options)
        self.hub.add_tool(tool)
        return tool


def _with_plugin(item: Any, plugin: str) -> Any:
    import dataclasses

    return dataclasses.replace(item, plugin=plugin)


def _plugin_name(plugin: object) -> str:
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    return str(name).rsplit(".", 1)[-1]


def _builtin_plugins(config: HubConfig) -> list[tuple[str, object]]:
    """Built-in plugins other than the executor: they use the same hooks as everyone else.

    Built-ins with nothing to enforce stay out of the hot path of every call,
    and their modules are imported only when they are used: the notification
    plugin's channels pull in httpx (and with it rich and pygments), about
    40 ms of start-up for a hub that has no ``[notify.channels]``.
    """
    from .audit.settings import audit_plugin
    from .policy.settings import PolicySettings

    builtins: list[tuple[str, object]] = []
    if config.policy != PolicySettings():
        from .policy.plugin import PolicyPlugin

        builtins.append(("mcpea.policy", PolicyPlugin(config.policy)))
    if config.auth is not None:
        from .auth.rbac import RBAC_PLUGIN, RbacPlugin

        builtins.append((RBAC_PLUGIN, RbacPlugin(config.auth)))
    audit = audit_plugin(config.audit)  # None when [audit] store = "off"
    if audit is not None:
        builtins.append(("mcpea.audit", audit))
    if config.notify.channels:  # notify_plugin() returns None without a channel: skip the import too
        from .notify.plugin import notify_plugin

        notify = notify_plugin(config.notify)
        if notify is not None:
            builtins.append(("mcpea.notify", notify))
    return builtins


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
