"""The plugin as the hub sees it: entry point, settings, toolsets, read-only, annotations, lazy import."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import mcpea_plugin_github
import pytest
from mcp.shared.exceptions import MCPError
from mcpea_plugin_github import GitHubSettings, readme
from mcpea_plugin_github.toolsets import TOOLSETS

from mcpea_core import ConfigError, Hub, HubConfig

pytestmark = pytest.mark.anyio

ALL_TOOLS = {tool.name for toolset in TOOLSETS for tool in toolset.tools}
READ_TOOLS = {tool.name for toolset in TOOLSETS for tool in toolset.tools if tool.read_only}
TOOLSET_OF = {tool.name: toolset.name for toolset in TOOLSETS for tool in toolset.tools}


async def listed(hub: Hub) -> dict[str, Any]:
    """The tools an MCP client sees, by name."""
    async with hub.client() as client:
        result = await client.list_tools()
    return {tool.name: tool for tool in result.tools}


def test_importing_the_plugin_does_not_import_pygithub() -> None:
    code = (
        "import sys, mcpea_plugin_github, mcpea_plugin_github.toolsets;"
        "print(sorted(m for m in ('github', 'requests', 'urllib3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


async def test_the_entry_point_loads_every_tool_by_default(make_hub: Any) -> None:
    tools = await listed(make_hub())
    assert set(tools) == ALL_TOOLS and len(ALL_TOOLS) == 22
    assert all(name.startswith("github_") for name in tools)
    info = {p.name: p for p in make_hub().load().plugins()}["github"]
    assert info.status == "loaded"


@pytest.mark.parametrize(
    "toolsets", [["issues"], ["repos", "search"], ["pull_requests", "actions", "releases"]], ids=str
)
async def test_toolsets_choose_the_groups_that_load(make_hub: Any, toolsets: list[str]) -> None:
    tools = await listed(make_hub(toolsets=toolsets))
    assert set(tools) == {name for name in ALL_TOOLS if TOOLSET_OF[name] in toolsets}


async def test_read_only_lists_only_tools_that_never_write(make_hub: Any) -> None:
    tools = await listed(make_hub(read_only=True))
    assert set(tools) == READ_TOOLS
    assert {"github_create_issue", "github_merge_pull_request", "github_close_issue"}.isdisjoint(tools)
    assert all(tool.annotations.read_only_hint for tool in tools.values())


async def test_read_only_and_toolsets_combine(make_hub: Any) -> None:
    tools = await listed(make_hub(read_only=True, toolsets=["pull_requests"]))
    assert set(tools) == {
        "github_list_pull_requests",
        "github_get_pull_request",
        "github_list_review_comments",
    }


async def test_a_tool_that_did_not_load_cannot_be_called(make_hub: Any) -> None:
    async with make_hub(read_only=True).client() as client:
        with pytest.raises(MCPError, match="github_create_issue"):  # an unknown tool: a protocol error
            await client.call_tool("github_create_issue", {"owner": "o", "repo": "r", "title": "t"})


async def test_every_tool_is_annotated(make_hub: Any) -> None:
    tools = await listed(make_hub())
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None and hints.title, name
        assert hints.open_world_hint is True, name
        if name in READ_TOOLS:
            assert hints.read_only_hint and not hints.destructive_hint and hints.idempotent_hint, name
        else:
            assert hints.read_only_hint is False, name
    destructive = {name for name, tool in tools.items() if tool.annotations.destructive_hint}
    assert destructive == {"github_merge_pull_request", "github_close_issue"}
    idempotent_writes = {n for n, t in tools.items() if t.annotations.idempotent_hint and n not in READ_TOOLS}
    assert idempotent_writes == {"github_close_issue", "github_add_issue_labels"}


async def test_every_tool_publishes_input_and_output_schemas(make_hub: Any) -> None:
    tools = await listed(make_hub())
    for name, tool in tools.items():
        assert tool.description and tool.input_schema["type"] == "object", name
        assert tool.output_schema is not None, name
        assert tool.input_schema.get("additionalProperties") is False, name


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({}, "plugins.github.token"),
        ({"token": "x", "toolsets": ["wiki"]}, "plugins.github.toolsets.0"),
        ({"token": "x", "base_url": "api.github.com"}, "plugins.github.base_url"),
        ({"token": "x", "tokne": "y"}, "plugins.github.tokne"),
    ],
    ids=["no-token", "unknown-toolset", "bad-url", "typo"],
)
def test_bad_settings_stop_start_up_naming_the_key(table: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Hub(HubConfig.model_validate({"plugins": {"github": table}})).load()
    assert caught.value.key == key


def test_installed_but_unconfigured_the_plugin_is_left_out() -> None:
    hub = Hub(HubConfig()).load()
    info = {p.name: p for p in hub.plugins()}["github"]
    assert info.status == "failed" and "[plugins.github]" in (info.error or "")
    assert not [name for name in hub.tools if name.startswith("github_")]


def test_settings_defaults_and_secret() -> None:
    settings = GitHubSettings.model_validate(
        {"token": "ghp_secret", "base_url": "https://ghe.example.com/api/v3/"}
    )
    assert settings.base_url == "https://ghe.example.com/api/v3"
    assert settings.enabled_toolsets == ("repos", "issues", "pull_requests", "actions", "search", "releases")
    assert "ghp_secret" not in repr(settings) and "ghp_secret" not in settings.model_dump_json()


def test_the_client_is_built_once_with_the_settings() -> None:
    settings = GitHubSettings.model_validate(
        {"token": "ghp_x", "base_url": "http://127.0.0.1:9", "page_size": 50, "timeout": 7}
    )
    client = settings.client()
    assert settings.client() is client
    assert client.per_page == 50
    assert client.requester.base_url == "http://127.0.0.1:9"
    settings.close()
    assert settings.client() is not client
    settings.close()


async def test_shutdown_closes_the_client(make_hub: Any) -> None:
    hub = make_hub()
    async with hub:
        settings = hub.settings["github"]
        assert isinstance(settings, GitHubSettings)
        settings.client()
        assert settings._client is not None
    assert settings._client is None


def test_the_readme_tables_are_generated_and_fresh() -> None:
    text = readme.README.read_text(encoding="utf-8")
    assert readme.updated(text) == text, "README.md is stale: run python -m mcpea_plugin_github.readme"
    for name in ALL_TOOLS:
        assert f"`{name}`" in text
    assert readme.main(["--check"]) == 0


def test_the_package_exports_its_fundamentals() -> None:
    assert set(mcpea_plugin_github.__all__) == {"GitHubSettings", "TOOLSET_NAMES", "Toolset", "__version__"}
    assert mcpea_plugin_github.__version__
