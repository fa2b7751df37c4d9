"""Plugin discovery and loading through real entry points."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mcpea_core import Hub, PluginLoadError, RegistrationError
from mcpea_core.plugins import chosen_plugins

from _support import mcpea_command

GOOD = '''
from mcpea_core import hookimpl, Annotations

def {name}_get_answer() -> str:
    """Return the answer."""
    return "42"

@hookimpl
def register_tools(register):
    register({name}_get_answer, annotations=Annotations(read_only=True))
'''


def statuses(hub: Hub) -> dict[str, str]:
    return {info.name: info.status for info in hub.plugins()}


def test_installed_plugin_loads_from_its_entry_point() -> None:
    hub = Hub().load()
    info = {i.name: i for i in hub.plugins()}["example"]
    assert info.status == "loaded"
    assert info.distribution == "mcpea-plugin-example"
    assert info.version == "0.1.0"
    assert "register_tools" in info.hooks and "wrap_tool_call" in info.hooks
    assert info.tools[0] == "example_echo_text"
    assert hub.tools["example_echo_text"].plugin == "example"


def test_load_plugins_env_chooses(make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist("alpha", GOOD.format(name="alpha"))
    make_dist("beta", GOOD.format(name="beta"))
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "alpha, example")
    hub = Hub().load()
    assert statuses(hub)["alpha"] == "loaded" and statuses(hub)["beta"] == "disabled"
    assert "alpha_get_answer" in hub.tools and "beta_get_answer" not in hub.tools


def test_empty_load_plugins_loads_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "")
    hub = Hub().load()
    assert hub.tools == {}
    assert statuses(hub)["example"] == "disabled"


def test_config_chooses_plugins_when_env_is_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MCPEA_LOAD_PLUGINS")
    assert chosen_plugins(["a"]) == {"a"}
    assert chosen_plugins(None) is None
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "b")
    assert chosen_plugins(["a"]) == {"b"}


def test_plugin_that_fails_to_import_is_reported_not_fatal(
    make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist("broken", "import module_that_does_not_exist_anywhere\n")
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "broken,example")
    hub = Hub().load()
    info = {i.name: i for i in hub.plugins()}["broken"]
    assert info.status == "failed"
    assert "broken" in (info.error or "") and "ModuleNotFoundError" in (info.error or "")
    assert "example_echo_text" in hub.tools


def test_strict_mode_makes_a_failed_import_fatal(make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist("broken", "raise RuntimeError('boom at import')\n")
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "broken")
    with pytest.raises(PluginLoadError, match=r"plugin 'broken'.*boom at import") as info:
        Hub(strict=True).load()
    assert info.value.plugin == "broken"


def test_misspelled_hook_fails_startup(make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(
        "typo",
        """
        from mcpea_core import hookimpl

        @hookimpl
        def register_tool(register):
            pass
        """,
    )
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "typo")
    with pytest.raises(PluginLoadError, match=r"plugin 'typo'.*register_tool"):
        Hub().load()


def test_hook_with_wrong_arguments_fails_startup(make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(
        "badargs",
        """
        from mcpea_core import hookimpl

        @hookimpl
        def register_tools(register, colour):
            pass
        """,
    )
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "badargs")
    with pytest.raises(PluginLoadError, match=r"plugin 'badargs'.*colour"):
        Hub().load()


def test_duplicate_tool_names_name_both_plugins(make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(
        "example2",
        '''
        from mcpea_core import hookimpl, Tool

        def echo() -> str:
            """Echo."""
            return ""

        @hookimpl
        def register_tools(register):
            register(echo, name="example_echo_text", external_name=True)
        ''',
    )
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "example,example2")
    with pytest.raises(RegistrationError) as info:
        Hub().load()
    assert "'example_echo_text'" in str(info.value)
    assert "'example'" in str(info.value) and "'example2'" in str(info.value)


def test_tool_names_must_follow_the_naming_chain(make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(
        "naming",
        '''
        from mcpea_core import hookimpl

        def fetch() -> str:
            """Fetch."""
            return ""

        @hookimpl
        def register_tools(register):
            register(fetch, name="other_fetch_thing")
        ''',
    )
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "naming")
    with pytest.raises(RegistrationError, match=r"<plugin>_<verb>_<noun>"):
        Hub().load()


def test_mcpea_plugins_shows_failed_plugins(make_dist: Callable[..., Path], subprocess_env: dict[str, str]) -> None:
    site = make_dist("broken", "raise ImportError('vendor SDK missing')\n")
    env = subprocess_env | {"PYTHONPATH": str(site), "MCPEA_LOAD_PLUGINS": "broken,example"}
    out = subprocess.run([mcpea_command(), "plugins", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    assert rows["broken"]["status"] == "failed"
    assert "vendor SDK missing" in rows["broken"]["error"]
    assert rows["example"]["status"] == "loaded"
    table = subprocess.run([mcpea_command(), "plugins"], env=env, capture_output=True, text=True, timeout=60)
    assert "failed" in table.stdout and "broken" in table.stdout


def test_importing_the_core_loads_no_plugin() -> None:
    code = "import sys, mcpea_core; print(any(m.startswith('mcpea_plugin_') for m in sys.modules))"
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"
