"""MC-PEA connector for GitHub, on PyGithub: repositories, issues, pull requests, Actions, search, releases.

Configure it in ``mcpea.toml``::

    [plugins.github]
    token = { env = "GITHUB_TOKEN" }
    toolsets = ["repos", "issues", "pull_requests"]   # default: all
    read_only = true                                   # only tools that never write

PyGithub is imported on the first tool call, not when the hub loads plugins;
the toolset modules when the hub first needs one of their tools (they are
registered by reference, see :mod:`.toolsets`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mcpea_core import hookimpl

from ._version import __version__
from .settings import TOOLSET_NAMES, GitHubSettings, Toolset
from .toolsets import selected_tools

__all__ = ["TOOLSET_NAMES", "GitHubSettings", "Toolset", "__version__"]


@hookimpl
def settings_model() -> type[BaseModel]:
    return GitHubSettings


@hookimpl
def register_tools(register: Any, settings: BaseModel | None) -> None:
    if not isinstance(settings, GitHubSettings):  # the hub always validates a table against settings_model
        return
    for spec in selected_tools(settings):
        register(spec.fn, annotations=spec.annotations)


@hookimpl
def shutdown(hub: Any) -> None:
    for settings in hub.settings.values():
        if isinstance(settings, GitHubSettings):
            settings.close()
