"""MCP round trips through the official SDK client, in memory."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from mcpea_core import Hub, HubConfig

pytestmark = pytest.mark.anyio


def make_hub(**server: Any) -> Hub:
    config = HubConfig.model_validate({"server": server}) if server else HubConfig()
    return Hub(config)


async def test_list_tools_publishes_schemas_and_annotations() -> None:
    async with make_hub().client() as client:
        listed = await client.list_tools()
    by_name = {t.name: t for t in listed.tools}
    echo = by_name["example_echo_text"]
    assert echo.description and echo.description.startswith("Echo the text back")
    assert echo.input_schema["type"] == "object"
    assert echo.input_schema["required"] == ["text"]
    assert echo.input_schema["properties"]["times"]["maximum"] == 10
    assert echo.output_schema is not None and set(echo.output_schema["properties"]) == {"echoed", "length"}
    assert echo.annotations is not None
    assert echo.annotations.read_only_hint is True and echo.annotations.idempotent_hint is True
    assert echo.annotations.open_world_hint is False
    fail = by_name["example_fail_tool"]
    assert fail.annotations is not None and fail.annotations.destructive_hint is True


async def test_tools_list_paginates() -> None:
    hub = make_hub(page_size=2)
    async with hub.client() as client:
        names: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = await client.session.list_tools(params=types.PaginatedRequestParams(cursor=cursor))
            pages += 1
            names += [t.name for t in page.tools]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert pages == 3
    assert names == list(hub.tools)


async def test_bad_cursor_is_a_protocol_error() -> None:
    async with make_hub().client() as client:
        with pytest.raises(MCPError) as info:
            await client.session.list_tools(params=types.PaginatedRequestParams(cursor="not-a-cursor"))
    assert info.value.code == types.INVALID_PARAMS


async def test_call_returns_structured_content() -> None:
    async with make_hub().client() as client:
        result = await client.call_tool("example_echo_text", {"text": "hi", "times": 2})
    assert result.is_error is False
    assert result.structured_content == {"echoed": "Hello: hi hi", "length": 5}


async def test_invalid_arguments_name_each_field() -> None:
    async with make_hub().client() as client:
        result = await client.call_tool("example_echo_text", {"text": 3, "times": 99})
        again = await client.call_tool("example_echo_text", {"text": "still serving"})
    assert result.is_error is True
    text = result.content[0].text  # type: ignore[union-attr]
    assert "text: Input should be a valid string" in text
    assert "times: Input should be less than or equal to 10" in text
    assert again.is_error is False


async def test_missing_argument_is_named() -> None:
    async with make_hub().client() as client:
        result = await client.call_tool("example_echo_text", {})
    assert result.is_error is True
    assert "text: Field required" in result.content[0].text  # type: ignore[union-attr]


async def test_unknown_tool_is_a_protocol_error() -> None:
    async with make_hub().client() as client:
        with pytest.raises(MCPError) as info:
            await client.call_tool("example_no_such_tool", {})
    assert info.value.code == types.INVALID_PARAMS
    assert "example_no_such_tool" in str(info.value)


async def test_tool_error_message_reaches_the_model() -> None:
    async with make_hub().client() as client:
        result = await client.call_tool("example_fail_tool", {"message": "card declined: insufficient_funds"})
    assert result.is_error is True
    assert result.content[0].text == "card declined: insufficient_funds"  # type: ignore[union-attr]


async def test_crash_hides_internal_details() -> None:
    async with make_hub().client() as client:
        result = await client.call_tool("example_crash_tool", {})
        after = await client.call_tool("example_echo_text", {"text": "ok"})
    assert result.is_error is True
    text = result.content[0].text  # type: ignore[union-attr]
    assert "RuntimeError" in text and "internal detail" not in text
    assert after.is_error is False


async def test_sync_tools_run_in_worker_threads() -> None:
    import mcpea_plugin_example as example

    seen: list[int] = []
    original = example.example_block_sleep

    hub = make_hub()
    hub.load()
    tool = hub.tools["example_block_sleep"]

    def spy(params: Any) -> str:
        seen.append(threading.get_ident())
        return original(params)

    import dataclasses

    hub.tools["example_block_sleep"] = dataclasses.replace(tool, fn=spy)
    async with hub:
        await hub.call_tool("example_block_sleep", {"seconds": 0})
    assert seen and seen[0] != threading.get_ident()


async def test_blocking_tools_do_not_block_the_event_loop() -> None:
    """While a sync tool blocks its thread, the loop keeps serving other calls."""
    hub = make_hub()
    async with hub.client() as client:
        done: list[str] = []

        async def slow() -> None:
            await client.call_tool("example_block_sleep", {"seconds": 2})
            done.append("slow")

        async def fast() -> None:
            await client.call_tool("example_echo_text", {"text": "x"})
            done.append("fast")

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            await anyio.sleep(0.05)
            tg.start_soon(fast)
    assert done == ["fast", "slow"]


async def test_progress_and_logging_notifications() -> None:
    logs: list[types.LoggingMessageNotificationParams] = []
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params)

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append((p, total, message))

    async with make_hub().client(logging_callback=on_log, log_level="debug") as client:
        result = await client.call_tool("example_report_progress", {}, progress_callback=on_progress)
    assert result.content[0].text == "done"  # type: ignore[union-attr]
    assert [p[0] for p in progress] == [1, 2, 3]
    assert progress[-1] == (3, 3, "step 3 of 3")
    assert [entry.data for entry in logs] == ["step 0", "step 1", "step 2"]
    assert {entry.logger for entry in logs} == {"example"}


async def test_set_logging_level_filters_notifications() -> None:
    logs: list[types.LoggingMessageNotificationParams] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params)

    async with make_hub().client(logging_callback=on_log, mode="legacy") as client:
        await client.set_logging_level("warning")
        await client.call_tool("example_report_progress", {})
        assert logs == []
        await client.set_logging_level("info")
        await client.call_tool("example_report_progress", {})
    assert len(logs) == 3


async def test_cancellation_leaves_the_server_serving() -> None:
    async with make_hub().client() as client:
        with anyio.move_on_after(0.3) as scope:
            await client.call_tool("example_block_sleep", {"seconds": 3})
        assert scope.cancelled_caught
        result = await client.call_tool("example_echo_text", {"text": "after cancel"})
    assert result.structured_content == {"echoed": "Hello: after cancel", "length": 12}


async def test_resources_list_read_and_templates() -> None:
    async with make_hub().client() as client:
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
        readme = await client.read_resource("example://readme")
        item = await client.read_resource("example://items/42")
        with pytest.raises(MCPError) as info:
            await client.read_resource("example://nothing-here")
    assert [r.uri for r in listed.resources] == ["example://readme"]
    assert [t.uri_template for t in templates.resource_templates] == ["example://items/{item_id}"]
    assert readme.contents[0].text == "Example plugin readme"  # type: ignore[union-attr]
    assert item.contents[0].text == '{"id": "42"}'  # type: ignore[union-attr]
    assert item.contents[0].mime_type == "application/json"
    assert info.value.code == -32002


async def test_resource_subscription_notifies(anyio_backend: str) -> None:
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            updated.append(str(message.params.uri))

    hub = make_hub()
    async with hub.client(message_handler=on_message, mode="legacy") as client:
        await client.subscribe_resource("example://readme")
        handlers = hub.mcp_server.mcpea_handlers  # type: ignore[attr-defined]
        assert await handlers.resource_updated("example://readme") == 1
        with anyio.fail_after(5):
            while not updated:
                await anyio.sleep(0.01)
        await client.unsubscribe_resource("example://readme")
        assert await handlers.resource_updated("example://readme") == 0
    assert updated == ["example://readme"]


async def test_prompts_and_required_arguments() -> None:
    async with make_hub().client() as client:
        listed = await client.list_prompts()
        got = await client.get_prompt("example_greet", {"name": "Ada"})
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("example_greet", {})
        with pytest.raises(MCPError) as unknown:
            await client.get_prompt("example_nope", {})
    assert [p.name for p in listed.prompts] == ["example_greet"]
    assert listed.prompts[0].arguments and listed.prompts[0].arguments[0].required is True
    assert got.messages[0].content.text == "Please greet Ada."  # type: ignore[union-attr]
    assert "missing required argument 'name'" in str(missing.value)
    assert missing.value.code == unknown.value.code == types.INVALID_PARAMS


async def test_completion_for_prompts_and_templates() -> None:
    async with make_hub().client() as client:
        names = await client.complete(types.PromptReference(type="ref/prompt", name="example_greet"), {"name": "name", "value": "A"})
        items = await client.complete(
            types.ResourceTemplateReference(type="ref/resource", uri="example://items/{item_id}"),
            {"name": "item_id", "value": "b"},
        )
    assert names.completion.values == ["Ada", "Alan"]
    assert items.completion.values == ["beta"]


async def test_a_failing_resource_read_does_not_leak_its_text() -> None:
    from mcpea_core import Resource, hookimpl

    class Leaky:
        @hookimpl
        def register_resources(self, register: Any) -> None:
            def read() -> str:
                raise RuntimeError("GET https://api.example/v1?token=sk_test_leakyleakyleaky failed")

            register(Resource(uri="leaky://thing", name="thing", read=read))

    async with Hub(plugins=[("leaky", Leaky())]).client() as client:
        with pytest.raises(MCPError) as info:
            await client.read_resource("leaky://thing")
        after = await client.call_tool("example_echo_text", {"text": "still serving"})
    assert "sk_test" not in str(info.value) and "RuntimeError" in str(info.value)
    assert after.is_error is False
