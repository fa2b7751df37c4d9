"""Tools registered by reference (``register("pkg.module:function", ...)``): imported on first use.

Each test installs its own throw-away plugin (``make_dist``) under a name of
its own, so that whether a tool module is imported yet can be read from
``sys.modules``.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from pydantic import BaseModel

from mcpea_core import Hub, PluginLoadError, RegistrationError, hookimpl, make_tool

REGISTERS = """
from mcpea_core import Annotations, hookimpl

@hookimpl
def register_tools(register):
    register(
        "mcpea_plugin_{name}.tools:{name}_echo_text",
        annotations=Annotations(read_only=True, open_world=False),
    )
    register(
        "mcpea_plugin_{name}.tools:{name}_get_status",
        annotations=Annotations(read_only=True),
        output_model="mcpea_plugin_{name}.tools:Status",
    )
    register("mcpea_plugin_{name}.broken:{name}_get_thing", annotations=Annotations(read_only=True))
"""

TOOLS = '''
from pydantic import BaseModel, ConfigDict, Field

IMPORTS = []
IMPORTS.append(1)


class Echo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="What to echo back.")
    times: int = Field(default=1, ge=1, le=3, description="How many times.")


class Echoed(BaseModel):
    echoed: str


class Status(BaseModel):
    ok: bool


async def {name}_echo_text(params: Echo) -> Echoed:
    """Echo the text back, `times` times, joined by spaces."""
    return Echoed(echoed=" ".join([params.text] * params.times))


def {name}_get_status() -> dict[str, bool]:
    """Report whether the service is up."""
    return {{"ok": True}}
'''

BROKEN = "raise ImportError('vendor SDK missing')\n"


@pytest.fixture
def lazy_plugin(make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """Install a plugin whose tools are registered by reference; returns its package name."""

    def install(name: str) -> str:
        site = make_dist(name, REGISTERS.format(name=name))
        package = site / f"mcpea_plugin_{name}"
        (package / "tools.py").write_text(TOOLS.format(name=name))
        (package / "broken.py").write_text(BROKEN)
        importlib.invalidate_caches()
        monkeypatch.setenv("MCPEA_LOAD_PLUGINS", name)
        return f"mcpea_plugin_{name}"

    return install


def text_of(result: types.CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, types.TextContent))


def test_loading_imports_no_tool_module(lazy_plugin: Callable[[str], str]) -> None:
    package = lazy_plugin("lazyload")
    hub = Hub().load()
    tool = hub.tools["lazyload_echo_text"]
    assert tool.plugin == "lazyload"
    assert tool.reference == f"{package}.tools:lazyload_echo_text"
    assert tool.annotations.read_only and not tool.annotations.open_world
    info = {info.name: info for info in hub.plugins()}["lazyload"]
    assert info.tools == ["lazyload_echo_text", "lazyload_get_status", "lazyload_get_thing"]
    assert f"{package}.tools" not in sys.modules
    assert tool.description == "Echo the text back, `times` times, joined by spaces."
    assert sys.modules[f"{package}.tools"].IMPORTS == [1]


@pytest.mark.anyio
async def test_a_tool_registered_by_reference_lists_validates_and_runs_like_any_other(
    lazy_plugin: Callable[[str], str],
) -> None:
    package = lazy_plugin("lazysame")
    hub = Hub()
    async with hub, hub.client() as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        module = sys.modules[f"{package}.tools"]
        eager = make_tool(module.lazysame_echo_text, plugin="lazysame")
        echo = listed["lazysame_echo_text"]
        assert echo.input_schema == eager.input_schema
        assert echo.output_schema == eager.output_schema
        assert echo.description == eager.description
        assert echo.annotations is not None and echo.annotations.read_only_hint is True
        status = listed["lazysame_get_status"]
        assert (
            status.output_schema is not None and status.output_schema["properties"]["ok"]["type"] == "boolean"
        )

        bad = await client.call_tool("lazysame_echo_text", {"text": "hi", "times": 9})
        assert bad.is_error and "times" in text_of(bad)
        unknown = await client.call_tool("lazysame_echo_text", {"text": "hi", "colour": "red"})
        assert unknown.is_error and "colour" in text_of(unknown)
        good = await client.call_tool("lazysame_echo_text", {"text": "hi", "times": 2})
        assert not good.is_error and good.structured_content == {"echoed": "hi hi"}
        structured = await client.call_tool("lazysame_get_status", {})
        assert structured.structured_content == {"ok": True}
    assert module.IMPORTS == [1]  # imported once, however many times the tool was used


@pytest.mark.anyio
async def test_a_tool_whose_module_fails_to_import_is_left_out_and_says_why(
    lazy_plugin: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    package = lazy_plugin("lazybroken")
    caplog.set_level(logging.ERROR, logger="mcpea.hub")
    hub = Hub()
    async with hub, hub.client() as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == {"lazybroken_echo_text", "lazybroken_get_status"}
        for _ in range(2):
            result = await client.call_tool("lazybroken_get_thing", {})
            assert result.is_error
            message = text_of(result)
            assert "lazybroken_get_thing" in message and "unavailable" in message
            assert "'lazybroken'" in message and "ImportError" in message
            assert "vendor SDK missing" not in message  # the detail goes to the log, not to the model
        assert not (await client.call_tool("lazybroken_echo_text", {"text": "still here"})).is_error
    logged = [r for r in caplog.records if "lazybroken_get_thing" in r.getMessage()]
    assert len(logged) == 1, "each unavailable tool is logged once"
    assert f"{package}.broken:lazybroken_get_thing" in logged[0].getMessage()
    assert "vendor SDK missing" in logged[0].getMessage()

    with pytest.raises(PluginLoadError, match=r"plugin 'lazybroken': tool 'lazybroken_get_thing'") as info:
        await hub.call_tool("lazybroken_get_thing", {})
    assert info.value.plugin == "lazybroken"
    assert isinstance(info.value.__cause__, ImportError)


def test_strict_mode_imports_every_tool_module_at_start_up(lazy_plugin: Callable[[str], str]) -> None:
    lazy_plugin("lazystrict")
    with pytest.raises(PluginLoadError, match=r"lazystrict_get_thing.*ImportError: vendor SDK missing"):
        Hub(strict=True).load()


def test_a_broken_tool_module_does_not_stop_a_plugin_adding_arguments(
    lazy_plugin: Callable[[str], str],
) -> None:
    lazy_plugin("lazyextra")

    class Extra(BaseModel):
        trace: bool = False

    class AddsArguments:
        @hookimpl
        def tool_extra_arguments(self, tool: Any) -> type[BaseModel] | None:
            assert tool.input_model  # what only the module can tell, as the notification plugin reads
            return Extra

    hub = Hub(plugins=[("adds", AddsArguments())]).load()
    assert set(hub.extra_models) == {"lazyextra_echo_text", "lazyextra_get_status"}
    assert "trace" in hub.published_schema(hub.tools["lazyextra_echo_text"])["properties"]


@pytest.mark.parametrize(
    ("name", "target", "problem"),
    [
        ("badref", "mcpea_plugin_badref/tools.py", r"not a reference to a tool function"),
        # the naming chain is checked on the name alone, before any import
        ("badname", "mcpea_plugin_badname.tools:fetch_things", r"<plugin>_<verb>_<noun>"),
    ],
)
def test_references_are_checked_when_registered(
    make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, name: str, target: str, problem: str
) -> None:
    make_dist(
        name,
        f"""
        from mcpea_core import hookimpl

        @hookimpl
        def register_tools(register):
            register("{target}")
        """,
    )
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", name)
    with pytest.raises(RegistrationError, match=problem):
        Hub().load()


def test_a_tool_is_resolved_once_when_threads_race(lazy_plugin: Callable[[str], str]) -> None:
    package = lazy_plugin("lazyrace")
    tool = Hub().load().tools["lazyrace_echo_text"]
    start = threading.Barrier(8)
    seen: list[Any] = []

    def read() -> None:
        start.wait()
        seen.append((tool.fn, tool.input_model, tool.is_async))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and seen[0][2] is True
    assert sys.modules[f"{package}.tools"].IMPORTS == [1]


def test_a_tool_registered_by_reference_is_an_ordinary_dataclass(lazy_plugin: Callable[[str], str]) -> None:
    lazy_plugin("lazycopy")
    tool = Hub().load().tools["lazycopy_echo_text"]
    unresolved = copy.copy(tool)
    assert unresolved.fn is tool.fn and tool.description == unresolved.description

    def spy(params: Any) -> str:
        return "spied"

    copy_ = dataclasses.replace(tool, fn=spy)
    assert copy_.fn is spy and copy_.input_model is tool.input_model and copy_.name == tool.name
    assert copy_.reference is None and tool.reference is not None
    assert [f.name for f in dataclasses.fields(tool)][:3] == ["name", "description", "fn"]
