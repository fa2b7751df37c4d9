"""The toolsets, in order, their tools, and which of them the settings load.

Tools are listed by reference (the toolset module and the function, whose
name is the tool's): loading the plugin imports none of the toolset modules
(nor builds their models); the hub imports one when it first needs one of
its tools.
"""

from __future__ import annotations

from typing import NamedTuple

from mcpea_core import Annotations

from .settings import GitHubSettings, Toolset

__all__ = ["TOOLSETS", "ToolSpec", "ToolsetSpec", "read_tool", "selected_tools", "write_tool"]


# A NamedTuple rather than a dataclass: quicker to define, and this module loads at every start.
class ToolSpec(NamedTuple):
    """A tool of a toolset: ``register(spec.fn, annotations=spec.annotations)``."""

    module: str
    name: str
    annotations: Annotations

    @property
    def fn(self) -> str:
        """The reference to the tool's function: ``mcpea_plugin_github.<module>:<name>``."""
        return f"{__package__}.{self.module}:{self.name}"

    @property
    def read_only(self) -> bool:
        return self.annotations.read_only


class ToolsetSpec(NamedTuple):
    name: Toolset
    description: str
    tools: tuple[ToolSpec, ...]


def read_tool(module: str, name: str, title: str) -> ToolSpec:
    """A tool that only reads: safe to repeat."""
    return ToolSpec(
        module, name, Annotations(read_only=True, destructive=False, idempotent=True, title=title)
    )


def write_tool(
    module: str, name: str, title: str, *, destructive: bool = False, idempotent: bool = False
) -> ToolSpec:
    """A tool that writes to GitHub; ``destructive`` when it closes, merges or overwrites."""
    return ToolSpec(
        module,
        name,
        Annotations(read_only=False, destructive=destructive, idempotent=idempotent, title=title),
    )


TOOLSETS: tuple[ToolsetSpec, ...] = (
    ToolsetSpec(
        "repos",
        "Repositories and file contents.",
        (
            read_tool("repos", "github_get_repository", "Get repository"),
            read_tool("repos", "github_list_repositories", "List repositories"),
            read_tool("repos", "github_get_file_contents", "Get file contents"),
        ),
    ),
    ToolsetSpec(
        "issues",
        "Issues: list, read, open, comment, label, close.",
        (
            read_tool("issues", "github_list_issues", "List issues"),
            read_tool("issues", "github_get_issue", "Get issue"),
            read_tool("issues", "github_list_issue_comments", "List issue comments"),
            write_tool("issues", "github_create_issue", "Create issue"),
            write_tool("issues", "github_add_issue_comment", "Comment on issue"),
            write_tool("issues", "github_add_issue_labels", "Add labels to issue", idempotent=True),
            write_tool("issues", "github_close_issue", "Close issue", destructive=True, idempotent=True),
        ),
    ),
    ToolsetSpec(
        "pull_requests",
        "Pull requests: list, read, open, merge; review comments on the diff.",
        (
            read_tool("pulls", "github_list_pull_requests", "List pull requests"),
            read_tool("pulls", "github_get_pull_request", "Get pull request"),
            read_tool("pulls", "github_list_review_comments", "List review comments"),
            write_tool("pulls", "github_create_pull_request", "Create pull request"),
            write_tool("pulls", "github_create_review_comment", "Create review comment"),
            write_tool("pulls", "github_merge_pull_request", "Merge pull request", destructive=True),
        ),
    ),
    ToolsetSpec(
        "actions",
        "GitHub Actions: workflow runs.",
        (
            read_tool("actions", "github_list_workflow_runs", "List workflow runs"),
            write_tool("actions", "github_rerun_workflow_run", "Re-run workflow run"),
        ),
    ),
    ToolsetSpec(
        "search",
        "Search issues, pull requests and code.",
        (
            read_tool("search", "github_search_issues", "Search issues and pull requests"),
            read_tool("search", "github_search_code", "Search code"),
        ),
    ),
    ToolsetSpec(
        "releases",
        "Releases: list and publish.",
        (
            read_tool("releases", "github_list_releases", "List releases"),
            write_tool("releases", "github_create_release", "Create release"),
        ),
    ),
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
