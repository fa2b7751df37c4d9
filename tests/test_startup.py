"""What `mcpea serve` pays before it can answer `initialize`: only what the configuration uses.

Each check runs in a fresh interpreter, since the test process has long since
imported and built everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from mcpea_core.tools import DEFER_MODEL_BUILD, _rebuilds_thread_safely

# Placeholder settings: enough for each plugin to register its tools; no tool is called.
FIRST_PARTY = {
    "stripe": 'api_key = "sk_test_startup_placeholder"',
    "github": 'token = "ghp_startupplaceholder00000000000000000000"',
    "slack": 'bot_token = "xoxb-startup-placeholder"',
    "keycloak": 'server_url = "http://127.0.0.1:9/"\nrealm = "t"\nclient_id = "t"\nclient_secret = "t"',
}


def run(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_hub_without_notification_channels_does_not_import_the_notify_plugin() -> None:
    code = """
        import sys
        from mcpea_core import Hub
        hub = Hub().load()
        assert "mcpea.notify" not in {info.name for info in hub.plugins()}
        heavy = ("mcpea_core.notify.plugin", "mcpea_core.notify.webhook", "httpx")
        print(sorted(m for m in heavy if m in sys.modules))
    """
    assert run(code, {"MCPEA_LOAD_PLUGINS": "example"}).strip() == "[]"


def first_party_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a hub loading every installed first-party plugin, with placeholder settings."""
    installed = {ep.name for ep in metadata.entry_points(group="mcpea")}
    chosen = [name for name in FIRST_PARTY if name in installed]
    if not chosen:
        pytest.skip("no first-party plugin installed")
    config = tmp_path / "mcpea.toml"
    config.write_text("".join(f"[plugins.{name}]\n{FIRST_PARTY[name]}\n\n" for name in chosen))
    return {"MCPEA_CONFIG": str(config), "MCPEA_LOAD_PLUGINS": ",".join(chosen)}


@pytest.mark.skipif(not DEFER_MODEL_BUILD, reason="this pydantic builds models at import")
def test_first_party_plugins_build_no_tool_model_until_it_is_used(tmp_path: Path) -> None:
    code = """
        import json
        from mcpea_core import Hub
        hub = Hub().load()
        models = {}
        for tool in hub.tools.values():
            for model in (tool.input_model, tool.output_model):
                if model is not None and model.__module__.startswith("mcpea_plugin_"):
                    models[f"{model.__module__}.{model.__qualname__}"] = model
        built = sorted(name for name, model in models.items() if model.__pydantic_complete__)
        for tool in hub.tools.values():  # the deferred models build on demand
            assert hub.published_schema(tool)["type"] == "object", tool.name
            assert tool.output_model is None or tool.output_schema is not None
        print(json.dumps({"tools": len(hub.tools), "built": built}))
    """
    result = json.loads(run(code, first_party_env(tmp_path)))
    assert result["tools"] > 0
    assert result["built"] == [], "built at load; derive the model from the plugin's deferred base"


def test_first_party_plugins_import_no_tool_module_until_it_is_used(tmp_path: Path) -> None:
    code = """
        import json, sys
        from mcpea_core import Hub
        hub = Hub().load()
        tools = [tool for tool in hub.tools.values() if tool.plugin != "example"]
        by_function = sorted(tool.name for tool in tools if tool.reference is None)
        modules = {tool.reference.partition(":")[0] for tool in tools if tool.reference}
        imported = sorted(module for module in modules if module in sys.modules)
        print(json.dumps({"tools": len(tools), "by_function": by_function, "imported": imported}))
    """
    result = json.loads(run(code, first_party_env(tmp_path)))
    assert result["tools"] > 0
    assert result["by_function"] == [], "register these tools by reference: 'package.module:function'"
    assert result["imported"] == [], "imported at load: the plugin's __init__ must not import them"


@pytest.mark.parametrize(
    ("version", "expected"),
    [("2.7.4", False), ("2.13.4", False), ("2.14.0b1", True), ("2.14.4", True), ("3.0.0", True)],
)
def test_models_are_deferred_only_where_pydantic_rebuilds_thread_safely(version: str, expected: bool) -> None:
    assert _rebuilds_thread_safely(version) is expected
