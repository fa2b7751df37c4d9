"""What a tool is, and how a plugin registers one.

A tool is a name, a description (written for the model), a pydantic input
model (published as JSON Schema 2020-12), an optional output model (published
as ``outputSchema``; results carry ``structuredContent``), MCP annotations and
a sync or async function. Sync functions run in a worker thread.

The function takes the validated input model and, optionally, a
:class:`~mcpea_core.context.ToolContext` (recognised by its annotation)::

    class GetCustomer(BaseModel):
        customer_id: str = Field(description="Stripe customer id, cus_...")

    def stripe_get_customer(params: GetCustomer, ctx: ToolContext) -> Customer: ...

A tool may also be registered by reference, ``"package.module:function"``:
then only its name, plugin and annotations are known until something needs
the rest (its description, schemas, or a call), and its module is imported
then. A connector with dozens of tools starts without importing, or
building the classes of, any of its tool modules.
"""

from __future__ import annotations

import importlib
import inspect
import re
import threading
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field
from typing import Any, Final

import pydantic
from pydantic import BaseModel, ConfigDict

from .errors import PluginLoadError, RegistrationError

__all__ = ["DEFER_MODEL_BUILD", "Annotations", "EmptyInput", "Tool", "make_tool", "validate_tool_name"]

_MCP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_CHAIN_NAME = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+){2,}$")


def _rebuilds_thread_safely(version: str = pydantic.VERSION) -> bool:
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) >= (2, 14)


DEFER_MODEL_BUILD: Final[bool] = _rebuilds_thread_safely()
"""What plugins' models pass as ``defer_build`` (``ConfigDict(defer_build=DEFER_MODEL_BUILD)``).

A deferred model is built (its core schema, validator and serializer) on
first validation or JSON Schema request instead of when its module is
imported: most of a plugin's import time, paid at every start of the hub
for tools that may never be called. Registering a tool reads only
``model_fields``, which a deferred model has. Pydantic serializes that
first build across threads from 2.14 on; before, a model first used by
sync tools in two worker threads at once could validate with its parent's
validator, so older versions build at import as usual.
"""


class EmptyInput(BaseModel):
    """Input model of a tool that takes no arguments."""

    model_config = ConfigDict(extra="forbid", defer_build=DEFER_MODEL_BUILD)


@dataclass(frozen=True)
class Annotations:
    """MCP tool annotations: hints for clients and for the hub's own policies.

    The defaults are the specification's (a tool is assumed to write, possibly
    destructively, to an open world) so that forgetting an annotation errs on
    the safe side for read-only mode and confirmation policies.
    """

    read_only: bool = False
    destructive: bool = True
    idempotent: bool = False
    open_world: bool = True
    title: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "readOnlyHint": self.read_only,
            "destructiveHint": False if self.read_only else self.destructive,
            "idempotentHint": self.idempotent,
            "openWorldHint": self.open_world,
        }
        if self.title:
            wire["title"] = self.title
        return wire


@dataclass(frozen=True)
class Tool:
    """A registered tool. Build one with :func:`make_tool` or the ``register`` callback.

    A tool registered by reference knows its ``name``, ``plugin``,
    ``annotations``, ``title`` and naming options from the start; reading any
    other field (``description``, ``fn``, the models...) imports its module
    first (see :meth:`resolve`).
    """

    name: str
    description: str
    fn: Callable[..., Any]
    input_model: type[BaseModel] = EmptyInput
    output_model: type[BaseModel] | None = None
    annotations: Annotations = field(default_factory=Annotations)
    title: str | None = None
    plugin: str = ""
    input_schema_override: dict[str, Any] | None = None
    is_async: bool = False
    wants_params: bool = True
    context_arg: str | None = None
    explicit_annotations: bool = False
    external_name: bool = False

    @property
    def input_schema(self) -> dict[str, Any]:
        """The published JSON Schema (2020-12) of the arguments."""
        if self.input_schema_override is not None:
            return self.input_schema_override
        return _model_schema(self.input_model)

    @property
    def output_schema(self) -> dict[str, Any] | None:
        return _model_schema(self.output_model) if self.output_model is not None else None

    @property
    def reference(self) -> str | None:
        """``"package.module:function"`` for a tool registered by reference, else ``None``."""
        source = self.__dict__.get(_SOURCE)
        return source.target if isinstance(source, _Source) else None

    def resolve(self) -> Tool:
        """Import a tool registered by reference and fill in what its function tells (once).

        Returns the tool itself; a tool built from a function is returned as
        is. Raises ``PluginLoadError`` naming the plugin, the tool and the
        reference when the module does not import or the function does not
        make a valid tool, and again (without importing again) on every
        later attempt.
        """
        source = self.__dict__.get(_SOURCE)
        if isinstance(source, _Source) and not self.__dict__.keys() >= _RESOLVED_FIELDS:
            source.fill(self)
        return self


# --- tools registered by reference ---------------------------------------------

_SOURCE: Final = "_source"
_RESOLVED_FIELDS: Final = frozenset(
    {
        "description",
        "fn",
        "input_model",
        "output_model",
        "input_schema_override",
        "is_async",
        "wants_params",
        "context_arg",
    }
)
"""The fields of :class:`Tool` that only the function (and its module) can tell."""
_REFERENCE = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_RESOLVING = threading.RLock()  # tools are imported and built one at a time, so each is built once


class _ResolvedOnRead:
    """A field of :class:`Tool` that a tool registered by reference fills in when it is first read.

    A tool built from a function has the value in its ``__dict__`` like any
    dataclass field; a tool registered by reference lacks it there until
    :meth:`Tool.resolve` runs.
    """

    def __init__(self, name: str, default: Any) -> None:
        self.name = name
        self.default = default

    def __get__(self, tool: Tool | None, owner: type[Tool]) -> Any:
        if tool is None:  # class access: the dataclass default, if the field has one
            if self.default is MISSING:
                raise AttributeError(self.name)
            return self.default
        values = tool.__dict__
        if self.name not in values:
            tool.resolve()
        return values[self.name]

    def __set__(self, tool: Tool, value: Any) -> None:
        tool.__dict__[self.name] = value


# Installed after the dataclass is built, so that its fields, __init__ and
# defaults stay exactly as declared above; only attribute reads go through here.
for _name in _RESOLVED_FIELDS:
    setattr(Tool, _name, _ResolvedOnRead(_name, Tool.__dict__.get(_name, MISSING)))
del _name


class _Source:
    """Where a tool registered by reference comes from, and what building it gave (once)."""

    def __init__(self, target: str, options: dict[str, Any]) -> None:
        self.target = target
        self.options = options
        self.built: Tool | None = None
        self.failure: PluginLoadError | None = None

    def fill(self, tool: Tool) -> None:
        """Give ``tool`` (or a copy of it) the fields the function tells, building the tool first."""
        with _RESOLVING:
            if self.built is None:
                if self.failure is not None:
                    raise PluginLoadError(str(self.failure), plugin=tool.plugin) from self.failure.__cause__
                try:
                    self.built = self._build(tool)
                except Exception as exc:
                    self.failure = PluginLoadError(
                        f"plugin {tool.plugin!r}: tool {tool.name!r} ({self.target}) could not be loaded: "
                        f"{type(exc).__name__}: {exc}",
                        plugin=tool.plugin,
                    )
                    raise self.failure from exc
            for name in _RESOLVED_FIELDS:
                tool.__dict__.setdefault(name, self.built.__dict__[name])

    def _build(self, tool: Tool) -> Tool:
        options = dict(self.options)
        output_model = options.pop("output_model", None)
        return make_tool(
            _load(self.target),
            name=tool.name,
            output_model=_load(output_model) if isinstance(output_model, str) else output_model,
            annotations=tool.annotations if tool.explicit_annotations else None,
            title=tool.title,
            plugin=tool.plugin,
            external_name=tool.external_name,
            **options,
        )


def _load(reference: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names (entry-point syntax)."""
    module, _, path = reference.partition(":")
    found: Any = importlib.import_module(module)
    for part in path.split("."):
        found = getattr(found, part)
    return found


def _by_reference(
    target: str,
    *,
    name: str | None,
    annotations: Annotations | None,
    title: str | None,
    plugin: str,
    external_name: bool,
    options: dict[str, Any],
) -> Tool:
    if not _REFERENCE.fullmatch(target):
        raise RegistrationError(
            f"plugin {plugin!r}: {target!r} is not a reference to a tool function "
            "(write it as 'package.module:function')",
            plugin=plugin,
        )
    tool_name = name or target.partition(":")[2].rsplit(".", 1)[-1]
    validate_tool_name(tool_name, plugin, external_name=external_name)
    output_model = options.get("output_model")
    if isinstance(output_model, str) and not _REFERENCE.fullmatch(output_model):
        raise RegistrationError(
            f"plugin {plugin!r}: tool {tool_name!r}: output_model {output_model!r} is neither a model "
            "nor a reference to one ('package.module:Model')",
            plugin=plugin,
        )
    tool = Tool(  # description and fn are placeholders, forgotten just below
        name=tool_name,
        description="",
        fn=_load,
        annotations=annotations or Annotations(),
        title=title or (annotations.title if annotations else None),
        plugin=plugin,
        explicit_annotations=annotations is not None,
        external_name=external_name,
    )
    for field_name in _RESOLVED_FIELDS:  # read from the function on first use instead
        del tool.__dict__[field_name]
    tool.__dict__[_SOURCE] = _Source(target, options)
    return tool


_SCHEMA_CACHE: dict[type[BaseModel], dict[str, Any]] = {}


def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = _SCHEMA_CACHE.get(model)
    if schema is None:
        schema = model.model_json_schema(mode="validation")
        schema.setdefault("type", "object")
        _SCHEMA_CACHE[model] = schema
    return schema


def validate_tool_name(name: str, plugin: str, *, external_name: bool = False) -> None:
    """Check MCP's name rules and the ``<plugin>_<verb>_<noun>`` naming chain.

    ``external_name`` lifts the naming chain (not MCP's rules) for names that
    an outside contract dictates, such as the conformance suite's fixtures.
    """
    if not _MCP_NAME.fullmatch(name):
        raise RegistrationError(
            f"plugin {plugin!r}: tool name {name!r} is not a valid MCP tool name "
            "(1-128 characters from A-Z a-z 0-9 _ - .)",
            plugin=plugin,
        )
    if external_name or not plugin:
        return
    if not name.startswith(f"{plugin}_") or not _CHAIN_NAME.fullmatch(name):
        raise RegistrationError(
            f"plugin {plugin!r}: tool name {name!r} does not follow <plugin>_<verb>_<noun> "
            f"(for example {plugin}_get_thing: lower case, words joined by '_')",
            plugin=plugin,
        )


def _context_type() -> type[Any]:
    from .context import ToolContext

    return ToolContext


def make_tool(
    fn: Callable[..., Any] | str,
    *,
    name: str | None = None,
    description: str | None = None,
    output_model: type[BaseModel] | str | None = None,
    annotations: Annotations | None = None,
    title: str | None = None,
    plugin: str = "",
    input_schema: dict[str, Any] | None = None,
    external_name: bool = False,
) -> Tool:
    """Build a :class:`Tool` from a function, reading what it can from its signature.

    The input model is the annotation of the parameter that is not the
    context; the description defaults to the docstring; the output model to
    the return annotation when that is a pydantic model.

    ``fn`` (and ``output_model``) may be a reference, ``"package.module:name"``:
    the tool is then named after the function without importing it, and
    everything else is read from the function when first needed
    (:meth:`Tool.resolve`).
    """
    if isinstance(fn, str):
        options = {"description": description, "output_model": output_model, "input_schema": input_schema}
        return _by_reference(
            fn,
            name=name,
            annotations=annotations,
            title=title,
            plugin=plugin,
            external_name=external_name,
            options={key: value for key, value in options.items() if value is not None},
        )
    output: type[BaseModel] | None = _load(output_model) if isinstance(output_model, str) else output_model
    tool_name = name or fn.__name__
    validate_tool_name(tool_name, plugin, external_name=external_name)
    doc = description if description is not None else inspect.getdoc(fn)
    if not doc or not doc.strip():
        raise RegistrationError(
            f"plugin {plugin!r}: tool {tool_name!r} has no description: "
            "give the function a docstring or pass description=...",
            plugin=plugin,
        )
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:  # unresolvable forward references
        raise RegistrationError(
            f"plugin {plugin!r}: tool {tool_name!r}: cannot resolve type hints: {exc}", plugin=plugin
        ) from exc
    ctx_type = _context_type()
    input_model: type[BaseModel] | None = None
    context_arg: str | None = None
    for param in inspect.signature(fn).parameters.values():
        hint = hints.get(param.name)
        if isinstance(hint, type) and issubclass(hint, ctx_type):
            context_arg = param.name
        elif isinstance(hint, type) and issubclass(hint, BaseModel) and input_model is None:
            input_model = hint
        else:
            raise RegistrationError(
                f"plugin {plugin!r}: tool {tool_name!r}: parameter {param.name!r} must be annotated "
                "with a pydantic model (the arguments) or ToolContext",
                plugin=plugin,
            )
    ret = hints.get("return")
    if output is None and isinstance(ret, type) and issubclass(ret, BaseModel):
        output = ret
    unwrapped = inspect.unwrap(fn)
    return Tool(
        name=tool_name,
        description=doc.strip(),
        fn=fn,
        input_model=input_model or EmptyInput,
        output_model=output,
        annotations=annotations or Annotations(),
        title=title or (annotations.title if annotations else None),
        plugin=plugin,
        input_schema_override=input_schema,
        is_async=inspect.iscoroutinefunction(unwrapped),
        wants_params=input_model is not None,
        context_arg=context_arg,
        explicit_annotations=annotations is not None,
        external_name=external_name,
    )
