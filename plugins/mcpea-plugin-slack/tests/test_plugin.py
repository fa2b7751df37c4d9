"""The plugin as the hub sees it: loading, settings, the published tools, the README, lazy imports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable

import mcpea_plugin_slack
import pytest
from mcpea_plugin_slack import readme
from mcpea_plugin_slack.errors import _HINTS

from mcpea_core import ConfigError, Hub, HubConfig

pytestmark = pytest.mark.anyio

TOOL_NAMES = [
    "slack_post_message",
    "slack_update_message",
    "slack_delete_message",
    "slack_schedule_message",
    "slack_add_reaction",
    "slack_list_channels",
    "slack_read_channel_history",
    "slack_read_thread_replies",
    "slack_get_user",
    "slack_find_user_by_email",
    "slack_upload_file",
]


async def test_the_hub_loads_the_plugin_through_its_entry_point(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub()
    async with hub, hub.client() as client:
        listed = await client.list_tools()
    info = {p.name: p for p in hub.plugins()}["slack"]
    assert info.status == "loaded" and info.distribution == "mcpea-plugin-slack"
    assert [t.name for t in listed.tools] == TOOL_NAMES


async def test_every_tool_has_annotations_and_a_typed_schema(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub()
    async with hub, hub.client() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for tool in tools.values():
        assert tool.annotations is not None, tool.name
        assert tool.annotations.open_world_hint is True, tool.name
        assert tool.input_schema["type"] == "object" and tool.output_schema is not None, tool.name
        assert tool.description and len(tool.description) > 30, tool.name
    read_only = {n for n, t in tools.items() if t.annotations and t.annotations.read_only_hint}
    destructive = {n for n, t in tools.items() if t.annotations and t.annotations.destructive_hint}
    assert read_only == {
        "slack_list_channels",
        "slack_read_channel_history",
        "slack_read_thread_replies",
        "slack_get_user",
        "slack_find_user_by_email",
    }
    assert destructive == {"slack_update_message", "slack_delete_message"}


def test_the_token_is_required_and_never_echoed() -> None:
    with pytest.raises(ConfigError, match=r"plugins\.slack\.bot_token"):
        Hub(HubConfig.model_validate({"plugins": {"slack": {}}})).load()
    with pytest.raises(ConfigError, match="audit_url_template") as caught:
        config = {"bot_token": "xoxb-visible-secret", "audit_url_template": "https://audit.example.com/"}
        Hub(HubConfig.model_validate({"plugins": {"slack": config}})).load()
    assert "xoxb-visible-secret" not in str(caught.value)


def test_the_readme_table_is_current() -> None:
    current = readme.README.read_text(encoding="utf-8")
    assert readme.render(current) == current, "run: python -m mcpea_plugin_slack.readme --write"
    for name in TOOL_NAMES:
        assert f"`{name}`" in current


def test_error_hints_name_only_tools_that_exist() -> None:
    named = {m for hint in _HINTS.values() for m in re.findall(r"\bslack_[a-z_]+", hint)}
    assert named and named <= set(TOOL_NAMES)


def test_loading_the_plugin_does_not_import_slack_sdk() -> None:
    code = (
        "import sys\n"
        "from mcpea_core import Hub, HubConfig\n"
        "hub = Hub(HubConfig.model_validate({'plugins': {'slack': {'bot_token': 'xoxb-x'}}}), strict=True)\n"
        "hub.load()\n"
        "assert 'slack_post_message' in hub.tools\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'slack_sdk')\n"
        "print(','.join(loaded))\n"
    )
    env = dict(os.environ, MCPEA_LOAD_PLUGINS="slack")
    env.pop("MCPEA_CONFIG", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported at load time: {done.stdout}"
    assert mcpea_plugin_slack.__version__
