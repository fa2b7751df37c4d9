"""One test per hook (test_hook_<name>), plus the check that each hook is documented."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from pydantic import SecretStr

import mcpea_plugin_example as example
from _support import ROOT
from mcpea_core import Hub, HubConfig, PolicyDenied, Principal, hookimpl
from mcpea_core import hookspecs

pytestmark = pytest.mark.anyio

HOOKS = sorted(
    name for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, "mcpea_spec")
)


def test_every_hook_has_a_test() -> None:
    """Each hook has a `test_hook_<name>`: here, or beside the feature that owns it (tests/notify/...)."""
    found = re.findall(r"^(?:async )?def test_hook_(\w+)\(", "\n".join(
        path.read_text() for path in (ROOT / "tests").rglob("test_*.py")
    ), re.M)
    tested = set(found)
    assert set(HOOKS) <= tested, f"hooks without a test_hook_<name>: {sorted(set(HOOKS) - tested)}"
    assert HOOKS, "no hookspecs found"


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    doc = (ROOT / "docs" / "plugin-hooks.md").read_text()
    for name in HOOKS:
        fn = getattr(hookspecs, name)
        prefix = "async def" if inspect.iscoroutinefunction(fn) else "def"
        signature = f"{prefix} {name}{inspect.signature(fn, eval_str=False)}".replace("'", "")
        assert re.search(rf"^## `{re.escape(name)}`$", doc, re.M), f"no heading for hook {name}"
        assert signature in doc, f"docs/plugin-hooks.md lacks the exact signature: {signature}"


def test_hook_settings_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("GREETING_SECRET", "s3cr3t-value")
    config = HubConfig.model_validate(
        {"plugins": {"example": {"greeting": "Ahoy", "api_key": {"env": "GREETING_SECRET"}}}}
    )
    hub = Hub(config).load()
    settings = hub.settings["example"]
    assert isinstance(settings, example.Settings)
    assert settings.greeting == "Ahoy"
    assert isinstance(settings.api_key, SecretStr) and settings.api_key.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(settings)


async def test_hook_register_tools() -> None:
    example.EVENTS.clear()
    config = HubConfig.model_validate({"plugins": {"example": {"greeting": "Ahoy"}}})
    async with Hub(config) as hub:
        result = await hub.call_tool("example_echo_text", {"text": "x"})
    assert example.EVENTS[0] == "register_tools"
    assert result.structured_content == {"echoed": "Ahoy: x", "length": 1}


def test_hook_register_resources() -> None:
    hub = Hub().load()
    assert hub.resources["example://readme"].plugin == "example"
    assert hub.templates["example://items/{item_id}"].match("example://items/7") == {"item_id": "7"}


def test_hook_register_prompts() -> None:
    hub = Hub().load()
    assert hub.prompts["example_greet"].plugin == "example"


async def test_hook_startup() -> None:
    example.EVENTS.clear()
    hub = Hub()
    await hub.start()
    assert "startup" in example.EVENTS and hub.ready
    await hub.stop()


async def test_hook_shutdown() -> None:
    example.EVENTS.clear()
    async with Hub():
        assert "shutdown" not in example.EVENTS
    assert example.EVENTS[-1] == "shutdown"


async def test_hook_wrap_tool_call() -> None:
    """Wrappers see every call (valid or not) and its outcome; the example wrapper records both."""
    example.EVENTS.clear()
    async with Hub() as hub:
        await hub.call_tool("example_echo_text", {"text": "x"})
        await hub.call_tool("example_echo_text", {"text": 1})
        await hub.call_tool("example_fail_tool", {"message": "no"})
    calls = [e for e in example.EVENTS if e.startswith(("before:", "after:"))]
    assert calls == [
        "before:example_echo_text",
        "after:example_echo_text:success",
        "before:example_echo_text",
        "after:example_echo_text:invalid_input",
        "before:example_fail_tool",
        "after:example_fail_tool:tool_error",
    ]


async def test_hook_wrap_tool_call_can_refuse_and_nests() -> None:
    order: list[str] = []

    class Deny:
        @hookimpl(wrapper=True)
        def wrap_tool_call(self, call: Any) -> Any:
            inner = yield
            order.append("deny-wrapper")
            if call.name == "example_fail_tool":
                inner.close()  # never awaited: the tool must not run
                return Hub.refuse(PolicyDenied("no failing today", policy="test"))
            return inner

    async with Hub(plugins=[("deny", Deny())]) as hub:
        refused = await hub.call_tool("example_fail_tool", {"message": "ran anyway"})
        allowed = await hub.call_tool("example_echo_text", {"text": "x"})
    assert refused.is_error and refused.content[0].text == "no failing today"  # type: ignore[union-attr]
    assert not allowed.is_error
    assert order == ["deny-wrapper", "deny-wrapper"]


async def test_hook_tool_visible() -> None:
    hub = Hub().load()
    hidden = Principal(id="hidden-from-crash", kind="user")
    assert "example_crash_tool" in [t.name for t in hub.visible_tools()]
    assert "example_crash_tool" not in [t.name for t in hub.visible_tools(hidden)]
    from mcpea_core import UnknownToolError

    with pytest.raises(UnknownToolError):
        await hub.call_tool("example_crash_tool", {}, principal=hidden)




async def test_hook_wrap_tool_call_broken_wrapper_is_contained() -> None:
    class Broken:
        @hookimpl(wrapper=True)
        def wrap_tool_call(self, call: Any) -> Any:
            inner = yield
            inner.close()
            raise KeyError("bug in a wrapper")

    async with Hub(plugins=[("broken", Broken())]) as hub:
        result = await hub.call_tool("example_echo_text", {"text": "x"})
    assert result.is_error
    assert "KeyError" in result.content[0].text and "bug in a wrapper" not in result.content[0].text  # type: ignore[union-attr]


async def test_hook_tool_extra_arguments() -> None:
    """A plugin adds `notify` to every tool; the tool never sees it, the plugin's wrapper does."""
    from typing import Literal

    from pydantic import BaseModel

    class NotifyArgs(BaseModel):
        notify: Literal["ops", "payments"] | None = None

    seen: list[Any] = []

    class Notifier:
        @hookimpl
        def tool_extra_arguments(self, tool: Any) -> type[BaseModel] | None:
            return NotifyArgs if tool.plugin == "example" else None

        @hookimpl(wrapper=True)
        def wrap_tool_call(self, call: Any) -> Any:
            inner = yield

            async def after() -> Any:
                outcome = await inner
                seen.append(call.hub_params.get("notifier"))
                return outcome

            return after()

    hub = Hub(plugins=[("notifier", Notifier())])
    async with hub.client() as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        ok = await client.call_tool("example_echo_text", {"text": "x", "notify": "ops"})
        bad = await client.call_tool("example_echo_text", {"text": 5, "notify": "https://evil.example"})
    schema = listed["example_echo_text"].input_schema
    assert schema["properties"]["notify"]["anyOf"][0]["enum"] == ["ops", "payments"]
    assert "notify" not in schema.get("required", [])
    assert "notify" not in hub.tools["example_echo_text"].input_schema["properties"]
    assert ok.structured_content == {"echoed": "Hello: x", "length": 1}
    assert seen[0] == NotifyArgs(notify="ops")
    text = bad.content[0].text  # type: ignore[union-attr]
    assert bad.is_error and "- text: Input should be a valid string" in text and "- notify: " in text


async def test_hook_tool_visible_hidden_calls_still_pass_the_wrappers() -> None:
    """A call to a hidden tool is refused like an unknown tool, but wrappers (audit) see the denial."""
    from mcpea_core import UnknownToolError

    outcomes: list[tuple[str, str]] = []

    class Recorder:
        @hookimpl(wrapper=True, tryfirst=True)
        def wrap_tool_call(self, call: Any) -> Any:
            inner = yield

            async def record() -> Any:
                outcome = await inner
                outcomes.append((call.name, outcome.outcome))
                return outcome

            return record()

    import mcpea_plugin_example as example

    example.EVENTS.clear()
    hidden = Principal(id="hidden-from-crash", kind="user")
    async with Hub(plugins=[("recorder", Recorder())]) as hub:
        with pytest.raises(UnknownToolError):
            await hub.call_tool("example_crash_tool", {}, principal=hidden)
    assert outcomes == [("example_crash_tool", "denied")]
    assert "after:example_crash_tool:denied" in example.EVENTS


async def test_hook_startup_failure_shuts_down_what_started() -> None:
    from mcpea_core import PluginLoadError

    events: list[str] = []

    class Good:
        @hookimpl(tryfirst=True)
        def startup(self, hub: Any) -> None:
            events.append("good:startup")

        @hookimpl
        def shutdown(self, hub: Any) -> None:
            events.append("good:shutdown")

    class Bad:
        @hookimpl
        def startup(self, hub: Any) -> None:
            raise RuntimeError("cannot reach the vendor")

    hub = Hub(plugins=[("good", Good()), ("bad", Bad())], load_entrypoints=False)
    with pytest.raises(PluginLoadError, match="plugin 'bad' failed at start-up"):
        await hub.start()
    assert events == ["good:startup", "good:shutdown"] and not hub.ready

    events.clear()
    hookless = Hub(plugins=[("bad", Bad())], load_entrypoints=False)
    with pytest.raises(PluginLoadError):
        await hookless.start()
    assert events == []  # nothing started, nothing shut down


async def test_hook_startup_runs_once_when_started_concurrently() -> None:
    import anyio

    count: list[int] = []

    class Slow:
        @hookimpl
        async def startup(self, hub: Any) -> None:
            count.append(1)
            await anyio.sleep(0.05)

    hub = Hub(plugins=[("slow", Slow())], load_entrypoints=False)
    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(hub.start)
    assert count == [1]
    await hub.stop()
