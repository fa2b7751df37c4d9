"""Run every check against one plugin: packaging, loading, settings, tools, and an MCP round trip."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel

from ..errors import McpeaError
from ..hub import Hub
from ..plugins import PluginHost
from ..tools import Tool
from .report import Check, Report, failed, passed, warned
from .settings import placeholder_settings, settings_checks
from .target import Target, entry_point, isolated_hub, normalize_distribution
from .tools import safe_examples, tool_checks

__all__ = [
    "CALL_TIMEOUT",
    "list_all_tools",
    "naming_checks",
    "settings_model_of",
    "validate_plugin",
    "validate_target",
]

CALL_TIMEOUT = 30.0
_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9]*$")
ENTRY = "[project.entry-points.mcpea]"


def validate_plugin(name: str, settings: Mapping[str, Any] | None = None) -> Report:
    """Validate the installed plugin ``name``; ``settings`` is its ``[plugins.<name>]`` table, if any."""
    return validate_target(Target(name), settings)


def validate_target(target: Target, settings: Mapping[str, Any] | None = None) -> Report:
    """Validate one target (blocking: runs its own event loop for the MCP round trip)."""
    report = Report(target.name)
    hub = _prepare(target, settings, report)
    if hub is not None:
        anyio.run(_round_trip, hub, target.name, report)
    return report


def _prepare(target: Target, settings: Mapping[str, Any] | None, report: Report) -> Hub | None:
    """The static half: naming chain, entry point, settings, tools. Returns a loaded hub, or ``None``."""
    name, add = target.name, report.checks.append
    if not _PLUGIN_NAME.fullmatch(name):
        add(
            failed(
                "naming.plugin", name, "a plugin name is lowercase letters and digits, starting with a letter"
            )
        )
    try:
        ep = entry_point(name)
    except McpeaError as exc:
        add(failed("entry_point.loads", name, str(exc)))
        return None
    report.checks += naming_checks(name, ep, target)
    try:
        plugin = ep.load()
    except Exception as exc:
        add(failed("entry_point.loads", name, f"{ep.value} failed to import: {type(exc).__name__}: {exc}"))
        return None
    add(passed("entry_point.loads", name, f"{ENTRY} {name} = {ep.value}"))
    add(_typed(name, ep))
    try:
        model = settings_model_of(name, plugin)
    except McpeaError as exc:
        add(failed("hub.load", name, str(exc)))
        return None
    report.checks += settings_checks(name, model)
    section = dict(settings) if settings is not None else placeholder_settings(model) if model else None
    hub = isolated_hub(name, section)
    try:
        hub.load()
    except McpeaError as exc:
        hint = "" if settings is not None else " (give its settings with --config mcpea.toml)"
        add(failed("hub.load", name, f"{exc}{hint}"))
        return None
    tools = _tools_of(hub, name)
    used = _settings_used(configured=settings is not None, placeholders=sorted(section or {}), model=model)
    add(passed("hub.load", name, f"{len(tools)} tool(s) registered with {used}"))
    if not tools:
        add(warned("tools.count", name, "the plugin registers no tools"))
    for tool in tools:
        report.checks += tool_checks(tool, name, hub.published_schema(tool))
    return hub


def _settings_used(*, configured: bool, placeholders: list[str], model: type[BaseModel] | None) -> str:
    if configured:
        return "configured settings"
    if placeholders:
        return f"placeholders (secrets, documented examples) for {', '.join(placeholders)}"
    return "default settings" if model is not None else "no settings"


def naming_checks(name: str, ep: metadata.EntryPoint, target: Target | None = None) -> list[Check]:
    """The naming chain: distribution ``mcpea-plugin-<name>``, package ``mcpea_plugin_<name>``."""
    checks: list[Check] = []
    expected_dist, expected_pkg = f"mcpea-plugin-{name}", f"mcpea_plugin_{name}"
    dist = ep.dist.name if ep.dist is not None else None
    if dist is None or normalize_distribution(dist) != expected_dist:
        checks.append(
            failed("naming.distribution", name, f"distribution is {dist!r}; expected {expected_dist!r}")
        )
    else:
        checks.append(passed("naming.distribution", name, expected_dist))
    package = re.split(r"[.:]", ep.value, maxsplit=1)[0]
    if package != expected_pkg:
        checks.append(
            failed("naming.package", name, f"the entry point imports {package!r}; expected {expected_pkg!r}")
        )
    else:
        checks.append(passed("naming.package", name, expected_pkg))
    if target is not None and target.project is not None and target.source is not None:
        checks.append(_same_source(name, ep, target))
    return checks


def _same_source(name: str, ep: metadata.EntryPoint, target: Target) -> Check:
    assert target.project is not None and target.source is not None
    declared = target.project.name
    dist = ep.dist.name if ep.dist is not None else ""
    if normalize_distribution(declared) != normalize_distribution(dist):
        return failed(
            "source.installed",
            name,
            f"{target.source} declares {declared!r} but the installed plugin {name!r} comes from {dist!r}: "
            f"pip install -e {target.source}",
        )
    spec = importlib.util.find_spec(re.split(r"[.:]", ep.value, maxsplit=1)[0])
    origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
    if origin is not None and target.source not in origin.parents:
        return warned(
            "source.installed",
            name,
            f"the installed {dist} is not this directory ({origin.parent}); pip install -e {target.source}",
        )
    return passed("source.installed", name, f"{dist} installed from {target.source}")


def _typed(name: str, ep: metadata.EntryPoint) -> Check:
    spec = importlib.util.find_spec(re.split(r"[.:]", ep.value, maxsplit=1)[0])
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if any((Path(location) / "py.typed").exists() for location in locations):
        return passed("package.typed", name, "ships py.typed")
    return warned("package.typed", name, "no py.typed marker: add an empty py.typed next to __init__.py")


def settings_model_of(name: str, plugin: object) -> type[BaseModel] | None:
    """The settings model a plugin object declares through ``settings_model``, if any."""
    host = PluginHost()
    host.register(plugin, name)
    for _, impl in host.implementations("settings_model"):
        model = host.call_impl(impl)
        return model if isinstance(model, type) and issubclass(model, BaseModel) else None
    return None


def _tools_of(hub: Hub, plugin: str) -> list[Tool]:
    return [tool for tool in hub.tools.values() if tool.plugin == plugin]


async def list_all_tools(client: Any) -> list[Any]:
    """Every tool a client sees, following ``tools/list`` pagination."""
    listed: list[Any] = []
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        listed += page.tools
        cursor = page.next_cursor
        if not cursor:
            return listed


async def _round_trip(hub: Hub, name: str, report: Report) -> None:
    add = report.checks.append
    tools = _tools_of(hub, name)
    try:
        async with hub, hub.client() as client:
            listed = {tool.name: tool for tool in await list_all_tools(client)}
            missing = sorted(t.name for t in tools if t.name not in listed)
            if missing:
                add(
                    failed(
                        "mcp.list_tools", name, f"registered but not listed over MCP: {', '.join(missing)}"
                    )
                )
            else:
                add(passed("mcp.list_tools", name, f"{len(tools)} tool(s) listed by an in-memory MCP client"))
            calls = [(tool, example) for tool in tools for example in safe_examples(tool)]
            for tool, example in calls:
                add(await _call(client, tool, example))
            if not calls:
                add(
                    passed(
                        "mcp.call", name, "no tool is safe to call (read-only, closed-world, with examples)"
                    )
                )
    except Exception as exc:  # the plugin's startup, or the session itself: report, do not crash the CLI
        add(failed("mcp.round_trip", name, f"{type(exc).__name__}: {exc}"))


async def _call(client: Any, tool: Tool, example: dict[str, Any]) -> Check:
    with anyio.move_on_after(CALL_TIMEOUT) as scope:
        result = await client.call_tool(tool.name, example)
    if scope.cancelled_caught:
        return failed("mcp.call", tool.name, f"no answer within {CALL_TIMEOUT:.0f}s for {example}")
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content).strip()
        return failed("mcp.call", tool.name, f"example {example} returned an error: {text[:300]}")
    return passed("mcp.call", tool.name, f"example {example} succeeded")
