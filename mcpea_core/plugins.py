"""Finding, loading and describing plugins.

Plugins are installed distributions with an entry point in the ``mcpea``
group; the entry point's name is the plugin's name. Nothing is imported until
:meth:`PluginHost.load_entry_points` runs (``import mcpea_core`` stays cheap), and then only
the plugins chosen by ``MCPEA_LOAD_PLUGINS`` (comma-separated; empty loads
none), else ``[hub] plugins`` in the config, else all of them.

A plugin that fails to import is recorded as ``failed`` with the reason and
the hub carries on, unless strict mode is on. A hook implementation whose name
matches no hook (a misspelling) or whose arguments do not match its hook
always stops start-up: it is a bug that would otherwise go unnoticed.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal

import pluggy

from . import hookspecs
from .errors import PluginLoadError

__all__ = ["ENTRY_POINT_GROUP", "PluginHost", "PluginInfo", "chosen_plugins"]

ENTRY_POINT_GROUP = "mcpea"
logger = logging.getLogger("mcpea.plugins")

Status = Literal["loaded", "failed", "disabled", "builtin"]


@dataclass
class PluginInfo:
    """What ``mcpea plugins`` shows about one plugin."""

    name: str
    status: Status
    distribution: str | None = None
    version: str | None = None
    module: str | None = None
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "error": self.error,
            "hooks": self.hooks,
            "tools": self.tools,
        }


def chosen_plugins(configured: Sequence[str] | None) -> set[str] | None:
    """The names to load: ``MCPEA_LOAD_PLUGINS`` wins over the config; ``None`` means all."""
    env = os.environ.get("MCPEA_LOAD_PLUGINS")
    if env is not None:
        return {name.strip() for name in env.split(",") if name.strip()}
    return set(configured) if configured is not None else None


_GROUP_HEADER = re.compile(rf"^\s*\[\s*{ENTRY_POINT_GROUP}\s*\]", re.MULTILINE)


def _entry_points() -> Iterator[metadata.EntryPoint]:
    """The entry points of the ``mcpea`` group, in ``sys.path`` order, the first of each name.

    What ``metadata.entry_points(group=...)`` finds, but only the distributions
    that declare the group have their entry points parsed: in a typical
    environment that skips nearly all of them, and a few milliseconds of
    every start.
    """
    seen: set[str] = set()
    for dist in metadata.distributions():
        text = dist.read_text("entry_points.txt")
        if not text or not _GROUP_HEADER.search(text):
            continue
        for ep in dist.entry_points.select(group=ENTRY_POINT_GROUP):
            if ep.name not in seen:  # the same distribution on sys.path twice
                seen.add(ep.name)
                yield ep


class PluginHost:
    """Owns the pluggy ``PluginManager`` and the record of every plugin it saw."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}

    def register(self, plugin: object, name: str, *, status: Status = "loaded", **info: Any) -> None:
        """Register a plugin object, validating its hooks; raises ``PluginLoadError`` naming it."""
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            detail = " ".join(str(exc).split())
            raise PluginLoadError(f"plugin {name!r} has an invalid hook: {detail}", plugin=name) from exc
        except ValueError as exc:  # name already registered
            raise PluginLoadError(f"plugin {name!r}: {exc}", plugin=name) from exc
        self.infos[name] = PluginInfo(name=name, status=status, hooks=self.hook_names(plugin), **info)

    def fail(self, name: str, error: str) -> None:
        """Take a registered plugin out again (its hooks stop being called) and record why."""
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        info = self.infos.get(name)
        if info is not None:
            info.status, info.error = "failed", error
        logger.warning("plugin %r left out: %s", name, error)

    def hook_names(self, plugin: object) -> list[str]:
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])

    def load_entry_points(self, chosen: set[str] | None, *, strict: bool) -> None:
        """Import and register the chosen installed plugins."""
        found: set[str] = set()
        for ep in _entry_points():
            found.add(ep.name)
            # One parse of the distribution's METADATA (``dist.name`` and ``dist.version`` parse it each).
            meta = ep.dist.metadata if ep.dist else None
            info: dict[str, Any] = {
                "distribution": meta["Name"] if meta else None,
                "version": meta["Version"] if meta else None,
                "module": ep.value,
            }
            if chosen is not None and ep.name not in chosen:
                self.infos[ep.name] = PluginInfo(name=ep.name, status="disabled", **info)
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                message = f"plugin {ep.name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
                if strict:
                    raise PluginLoadError(message, plugin=ep.name) from exc
                logger.error("%s", message, exc_info=exc)
                self.infos[ep.name] = PluginInfo(name=ep.name, status="failed", error=message, **info)
                continue
            self.register(plugin, ep.name, **info)
        missing = sorted((chosen or set()) - found)
        if missing:
            message = f"plugin(s) not installed: {', '.join(missing)} (installed: {', '.join(sorted(found)) or 'none'})"
            if strict:
                raise PluginLoadError(message, plugin=missing[0])
            logger.warning("%s", message)
            for name in missing:
                self.infos[name] = PluginInfo(name=name, status="failed", error="not installed")

    def implementations(self, hook: str) -> Iterable[tuple[str, pluggy.HookImpl]]:
        """Each plugin's implementation of a hook, as ``(plugin name, impl)``, in pluggy's call order.

        That is ``tryfirst`` ones first, then the others last-registered first,
        then ``trylast`` ones: the order in which pluggy itself would call them.
        """
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            yield impl.plugin_name, impl

    @staticmethod
    def call_impl(impl: pluggy.HookImpl, **kwargs: Any) -> Any:
        """Call one implementation with just the arguments it declares (pluggy's own rule)."""
        return impl.function(*(kwargs[name] for name in impl.argnames))

    def loaded(self) -> list[PluginInfo]:
        return sorted(self.infos.values(), key=lambda info: (info.status == "builtin", info.name))
