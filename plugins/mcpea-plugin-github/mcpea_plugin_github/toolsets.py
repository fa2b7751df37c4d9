"""The toolsets, in order, and which of their tools the settings load."""

from __future__ import annotations

from . import actions, issues, pulls, releases, repos, search
from .common import ToolsetSpec, ToolSpec
from .settings import GitHubSettings

__all__ = ["TOOLSETS", "selected_tools"]

TOOLSETS: tuple[ToolsetSpec, ...] = (
    repos.TOOLSET,
    issues.TOOLSET,
    pulls.TOOLSET,
    actions.TOOLSET,
    search.TOOLSET,
    releases.TOOLSET,
)


def selected_tools(settings: GitHubSettings) -> list[ToolSpec]:
    """The tools of the enabled toolsets; with ``read_only``, only those that never write."""
    enabled = set(settings.enabled_toolsets)
    return [
        tool
        for toolset in TOOLSETS
        if toolset.name in enabled
        for tool in toolset.tools
        if tool.read_only or not settings.read_only
    ]
