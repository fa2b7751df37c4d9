"""Which plugin to validate (an installed NAME or a source PATH), and a hub that loads only it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..config import HubConfig
from ..errors import PluginError
from ..hub import Hub
from ..plugins import ENTRY_POINT_GROUP
from ..registry.projects import PluginProject, read_project

__all__ = [
    "Target",
    "entry_point",
    "installed_plugins",
    "isolated_hub",
    "normalize_distribution",
    "resolve_targets",
]


@dataclass(frozen=True)
class Target:
    """A plugin to validate: its entry-point name and, when given as a PATH, its source directory."""

    name: str
    source: Path | None = None
    project: PluginProject | None = None


def normalize_distribution(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_plugins() -> dict[str, metadata.EntryPoint]:
    """Every installed plugin's entry point, by plugin name (the first one on sys.path wins)."""
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def entry_point(name: str) -> metadata.EntryPoint:
    """The installed plugin ``name``'s entry point; ``PluginError`` listing what is installed if none."""
    found = installed_plugins()
    if name not in found:
        raise PluginError(
            f"no installed plugin named {name!r} (installed: {', '.join(sorted(found)) or 'none'}); "
            f"install it with `mcpea install {name}` or `pip install -e <its directory>`",
            plugin=name,
        )
    return found[name]


def resolve_targets(argument: str | None, cwd: Path | None = None) -> list[Target]:
    """``NAME``, ``PATH``, or (no argument) the plugin in the current directory, else every installed one."""
    here = cwd or Path.cwd()
    if argument is None:
        if (here / "pyproject.toml").exists() and read_project(here).entry_points:
            return _from_path(here)
        return [Target(name) for name in sorted(installed_plugins())]
    path = Path(argument)
    if "/" in argument or argument in (".", "..") or (here / path).is_dir():
        return _from_path(path if path.is_absolute() else here / path)
    return [Target(argument)]


def _from_path(directory: Path) -> list[Target]:
    project = read_project(directory.resolve())
    if not project.entry_points:
        raise PluginError(
            f"{directory / 'pyproject.toml'}: no [project.entry-points.{ENTRY_POINT_GROUP}] table: "
            'a plugin declares `<name> = "mcpea_plugin_<name>"` there'
        )
    return [Target(name, project.directory, project) for name in sorted(project.entry_points)]


def isolated_hub(
    names: str | Sequence[str],
    settings: Mapping[str, Any] | None = None,
    *,
    config: HubConfig | Mapping[str, Any] | None = None,
    plugins: Sequence[object | tuple[str, object]] = (),
) -> Hub:
    """A hub that loads the installed plugin(s) ``names`` (by entry point) and no other installed plugin.

    ``settings`` is the ``[plugins.<name>]`` table of a single plugin
    (secrets may be ``{ env = ... }``); ``config`` the whole of an
    ``mcpea.toml`` as a mapping or :class:`HubConfig`; ``plugins`` extra
    plugin objects such as the test kit's recorders. ``MCPEA_LOAD_PLUGINS``
    and ``[hub] plugins`` play no part: each plugin is registered directly,
    the way its entry point would be.
    """
    chosen = [names] if isinstance(names, str) else list(names)
    if settings is not None and len(chosen) != 1:
        raise TypeError("settings= is the table of one plugin: with several, give config={'plugins': {...}}")
    base = config if isinstance(config, HubConfig) else HubConfig.model_validate(dict(config or {}))
    plugins_table = {**base.plugins, chosen[0]: dict(settings)} if settings is not None else base.plugins
    # model_copy, not a dump and re-validation: that would mask SecretStr values in other sections.
    hub_config = base.model_copy(
        update={"hub": base.hub.model_copy(update={"strict": True}), "plugins": plugins_table}
    )
    loaded = [(name, entry_point(name).load()) for name in chosen]
    return Hub(hub_config, plugins=[*loaded, *plugins], load_entrypoints=False)
