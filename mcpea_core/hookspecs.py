"""The plugin contract: every hook a plugin may implement.

Plugins are found through the ``mcpea`` entry-point group and implement hooks
with :data:`mcpea_core.hookimpl`. Hooks are grouped by lifecycle phase. Grow
this file by adding hooks or arguments; never rename or remove them (pluggy
lets an implementation accept any subset of a hook's arguments, so adding one
breaks nobody).

Registration hooks (``register_*`` and ``settings_model``) are called once per
plugin, each implementation with a ``register`` callback bound to its own
plugin, so the hub knows which plugin contributed what.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

import pluggy
from pydantic import BaseModel

if TYPE_CHECKING:
    from .context import Principal, ToolCall, ToolOutcome
    from .hub import Hub
    from .notify.channels import ChannelFactory
    from .resources import Prompt, Resource, ResourceTemplate
    from .tools import Tool

PROJECT = "mcpea"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "RegisterChannel", "RegisterPrompt", "RegisterResource", "RegisterTool", "hookimpl", "hookspec"]


class RegisterTool(Protocol):
    """The ``register`` callback of :func:`register_tools`.

    ``register(fn, name=None, description=None, output_model=None,
    annotations=None, title=None, input_schema=None, external_name=False)``
    builds a :class:`~mcpea_core.tools.Tool` from ``fn`` (see
    :func:`~mcpea_core.tools.make_tool`) or accepts a ready ``Tool``.
    ``fn`` (and ``output_model``) may be a reference,
    ``"package.module:function"``: the module is then imported when the hub
    first needs the tool, not at start-up.
    """

    def __call__(self, fn: Any, /, **options: Any) -> Tool: ...


class RegisterResource(Protocol):
    """The ``register`` callback of :func:`register_resources`: takes a ``Resource`` or ``ResourceTemplate``."""

    def __call__(self, resource: Resource | ResourceTemplate, /) -> None: ...


class RegisterChannel(Protocol):
    """The ``register`` callback of :func:`register_channels`.

    ``register(kind, factory, settings=None)`` declares channel kind ``kind``
    (lowercase letters, digits, ``-`` and ``_``). The operator configures
    channels of it as ``[notify.channels."<kind>:<name>"]``; each table is
    validated against ``settings`` (a pydantic model; ``None``: the table
    must be empty) and ``factory("<kind>:<name>", validated)`` builds the
    :class:`~mcpea_core.notify.channels.Channel`.
    """

    def __call__(
        self, kind: str, factory: ChannelFactory, /, *, settings: type[BaseModel] | None = None
    ) -> None: ...


class RegisterPrompt(Protocol):
    """The ``register`` callback of :func:`register_prompts`: takes a ``Prompt``."""

    def __call__(self, prompt: Prompt, /) -> None: ...


# --- Configuration ---------------------------------------------------------


@hookspec
def settings_model() -> type[BaseModel] | None:
    """Return the pydantic model of this plugin's settings (``[plugins.<name>]`` in mcpea.toml).

    Called once per plugin at start-up, before any ``register_*`` hook.
    Fields typed ``SecretStr`` are secrets: the config may give them
    indirectly (``{ env = "VAR" }`` or ``{ file = "/path" }``) and they are
    redacted everywhere. ``None`` (or not implementing the hook): the plugin
    takes no settings, and a ``[plugins.<name>]`` table is an error.
    """


# --- Registration ----------------------------------------------------------


@hookspec
def register_tools(register: RegisterTool, settings: BaseModel | None) -> None:
    """Contribute tools by calling ``register`` once per tool.

    Called once per plugin at start-up with the plugin's validated settings
    (``None`` when it has none). Import vendor SDKs inside the tool
    functions, not here or at module level: start-up must stay fast. A
    plugin with many tools registers them by reference
    (``register("pkg.module:function", annotations=...)``) so that their
    modules load on first use. The return value is ignored.
    """


@hookspec
def register_resources(register: RegisterResource, settings: BaseModel | None) -> None:
    """Contribute resources and resource templates by calling ``register``.

    Called once per plugin at start-up, like :func:`register_tools`. The
    return value is ignored.
    """


@hookspec
def register_prompts(register: RegisterPrompt, settings: BaseModel | None) -> None:
    """Contribute prompts by calling ``register``.

    Called once per plugin at start-up, like :func:`register_tools`. The
    return value is ignored.
    """


@hookspec
def tool_extra_arguments(tool: Tool) -> type[BaseModel] | None:
    """Offer arguments that the hub adds to ``tool``'s input schema ("enhance").

    Called once per plugin for every registered tool, at start-up after all
    ``register_*`` hooks. Return a pydantic model whose fields (all optional)
    are merged into the tool's published input schema, such as the
    notification plugin's ``notify``. On each call the core takes these
    arguments out before the tool's own model validates the rest, validates
    them against this model (a bad value is reported like any invalid
    argument, naming the field), and leaves the result in
    ``call.hub_params[<plugin name>]`` for the plugin's ``wrap_tool_call``
    wrapper. A field name offered by two plugins, or one the tool already
    has, stops start-up. ``None``: nothing to add to this tool.
    """


# --- Notifications ---------------------------------------------------------


@hookspec
def register_channels(register: RegisterChannel, settings: BaseModel | None) -> None:
    """Contribute notification channel kinds by calling ``register`` once per kind.

    Called once per plugin when the hub starts (by the notification plugin's
    ``startup``), with the plugin's own validated settings (``None`` when it
    has none), so a channel can use the plugin's credentials. A kind
    registered by two plugins stops start-up naming both. The return value
    is ignored. The notification plugin registers ``webhook`` and ``log``
    itself.

    ::

        @hookimpl
        def register_channels(register, settings):
            register("slack", lambda name, cfg: SlackChannel(settings.bot_token, name.split(":", 1)[1]))
    """


# --- Lifecycle -------------------------------------------------------------


@hookspec
async def startup(hub: Hub) -> None:
    """The hub is starting: open connections, start background workers.

    Called once, after every plugin has registered, before the first request
    is served; implementations may be ``async``. All implementations run
    (fan-out, in pluggy order); an exception fails start-up and names the
    plugin, after the plugins already started have been shut down again.
    The return value is ignored.
    """


@hookspec
async def shutdown(hub: Hub) -> None:
    """The hub is stopping: flush and close what :func:`startup` opened.

    Called once, in reverse registration order; implementations may be
    ``async``. Every implementation runs even if one raises (the error is
    logged). The return value is ignored.
    """


# --- Visibility -----------------------------------------------------------


@hookspec
def tool_visible(tool: Tool, principal: Principal) -> bool | None:
    """Say whether ``principal`` may see and call ``tool``.

    Called for every tool on each ``tools/list`` and before each call;
    fan-out: the tool is hidden (absent from ``tools/list``, unknown on call)
    if any implementation returns ``False``. ``None`` means no opinion. Keep it
    cheap: it runs on the hot path. Read-only mode and RBAC implement it.
    """


# --- Tool execution --------------------------------------------------------


@hookspec(firstresult=True)
def wrap_tool_call(call: ToolCall) -> Awaitable[ToolOutcome]:
    """Execute a tool call; wrappers add cross-cutting behaviour around it.

    Called once per ``tools/call`` (and ``Hub.call_tool``), before input
    validation, so a wrapper sees every call, valid or not. The core's own
    non-wrapper implementation returns an awaitable that validates the
    arguments and runs the tool; it never raises, it reports how the call
    ended in :class:`~mcpea_core.context.ToolOutcome`.

    Implement it as a pluggy wrapper (``@hookimpl(wrapper=True)``) that
    receives the inner awaitable from ``yield`` and returns a new awaitable::

        @hookimpl(wrapper=True)
        def wrap_tool_call(call):
            inner = yield
            async def timed():
                started = time.monotonic()
                outcome = await inner
                log.info("%s took %.3fs", call.name, time.monotonic() - started)
                return outcome
            return timed()

    To refuse a call, close ``inner`` without awaiting it and return
    ``Hub.refuse(PolicyDenied(...))``. Wrappers nest in pluggy's order: the
    last-registered wrapper is outermost; ``tryfirst=True`` makes a wrapper
    outermost (audit does), ``trylast=True`` innermost (policies do, so audit
    records their refusals). ``None`` is never a valid result.
    """
    raise NotImplementedError  # pragma: no cover - hookspec
