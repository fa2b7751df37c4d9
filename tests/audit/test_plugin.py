"""The audit plugin through a real Hub: start and end records around every call, and the failure policy."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import mcpea_plugin_example  # type: ignore[import-untyped]
import pytest
from pydantic import BaseModel, Field, SecretStr

from mcpea_core import Hub, PluginLoadError, PolicyDenied, ToolCall, ToolContext, hookimpl
from mcpea_core.audit import (
    AuditPlugin,
    AuditRecord,
    AuditStoreError,
    AuditUnavailable,
    open_store,
    store_from_url,
)
from mcpea_core.audit.store import AuditStore
from mcpea_core.context import local_principal

from ._support import RecordingStore

pytestmark = pytest.mark.anyio

GITHUB_TOKEN = "ghp_" + "x" * 36


class Webhook(BaseModel):
    url: str
    signing_secret: str = Field(json_schema_extra={"secret": True})


class Connect(BaseModel):
    account: str
    api_key: SecretStr
    webhooks: list[Webhook] = []


RAN: list[str] = []
STARTED = anyio.Event()


def probe_connect_account(params: Connect, ctx: ToolContext) -> str:
    """Pretend to connect an account; reports an upstream request id and an idempotency key."""
    RAN.append("probe_connect_account")
    ctx.report_upstream(request_id="req_123")
    ctx.idempotency_key("create")
    return f"connected {params.account}"


async def probe_wait_forever() -> str:
    """Wait until cancelled."""
    RAN.append("probe_wait_forever")
    STARTED.set()
    await anyio.Event().wait()
    return "never"


def probe_refuse_call() -> str:
    """Refused by the probe's own wrapper before it can run."""
    RAN.append("probe_refuse_call")
    return "ran anyway"


def probe_leak_secret() -> str:
    """Fail with a credential in the error text."""
    raise RuntimeError(f"upstream said: bad token {GITHUB_TOKEN}")


class Probe:
    """A test plugin: tools with secrets, a tool that never ends, and a refusing wrapper."""

    @hookimpl
    def register_tools(self, register: Any) -> None:
        for fn in (probe_connect_account, probe_wait_forever, probe_refuse_call, probe_leak_secret):
            register(fn)

    @hookimpl(wrapper=True)
    def wrap_tool_call(self, call: Any) -> Any:
        if call.name == "probe_refuse_call":
            raise PolicyDenied("probe says no", policy="probe")
        return (yield)


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    global STARTED
    RAN.clear()
    STARTED = anyio.Event()
    mcpea_plugin_example.EVENTS.clear()
    yield


def make_hub(plugin: AuditPlugin) -> Hub:
    return Hub(load_entrypoints=True, plugins=[("audit", plugin), ("probe", Probe())])


async def records_of(store: AuditStore) -> list[AuditRecord]:
    return [r async for r in store.iter_records()]


async def test_the_end_record_gives_the_call_s_duration_in_milliseconds_to_the_microsecond(
    tmp_path: Path,
) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    plugin = AuditPlugin(store, hub_instance="hub-test")
    async with make_hub(plugin) as hub:
        began = time.perf_counter()
        await hub.call_tool("example_block_sleep", {"seconds": 0.05})
        took_ms = (time.perf_counter() - began) * 1000
        records = await records_of(store)
    duration = records[1].duration_ms
    assert isinstance(duration, float) and 50 <= duration <= took_ms
    assert duration == round(duration, 3)  # whole microseconds


async def test_hook_wrap_tool_call_writes_start_then_end_around_each_outcome(tmp_path: Path) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    plugin = AuditPlugin(store, hub_instance="hub-test")
    async with make_hub(plugin) as hub:
        ok = await hub.call_tool("example_echo_text", {"text": "hi"})
        failed = await hub.call_tool("example_fail_tool", {"message": "card declined"})
        crashed = await hub.call_tool("example_crash_tool", {})
        invalid = await hub.call_tool("example_echo_text", {"text": 3})
        records = await records_of(store)
        report = await store.verify()
    assert not ok.is_error and failed.is_error and crashed.is_error and invalid.is_error
    assert report.complete and report.records == 8
    by_phase = [(r.phase, r.tool, r.outcome) for r in records]
    assert by_phase == [
        ("start", "example_echo_text", None),
        ("end", "example_echo_text", "success"),
        ("start", "example_fail_tool", None),
        ("end", "example_fail_tool", "tool_error"),
        ("start", "example_crash_tool", None),
        ("end", "example_crash_tool", "crash"),
        ("start", "example_echo_text", None),
        ("end", "example_echo_text", "invalid_input"),
    ]
    start, end = records[0], records[1]
    assert start.call_id == end.call_id and len(start.call_id) == 32
    assert start.arguments == {"text": "hi"} and end.arguments is None
    assert (start.hub, start.plugin, start.plugin_version) == ("hub-test", "example", "0.1.0")
    assert start.transport == "inprocess" and start.principal.startswith("local:")
    assert end.duration_ms is not None and end.duration_ms >= 0 and end.error_class is None
    assert (records[3].error_class, records[3].error_message) == (
        "mcpea_core.errors.ToolError",
        "card declined",
    )
    assert records[5].error_class == "RuntimeError"
    assert records[5].error_message == "internal detail that must not reach the model"
    assert records[6].arguments == {"text": 3}
    assert records[7].error_class == "mcpea_core.errors.InvalidArguments"


async def test_the_start_record_is_committed_before_any_other_wrapper_or_the_tool_runs(
    tmp_path: Path,
) -> None:
    events = mcpea_plugin_example.EVENTS
    store = RecordingStore(await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}"), events)
    async with make_hub(AuditPlugin(store)) as hub:
        await hub.call_tool("example_echo_text", {"text": "hi"})
    calls = [e for e in events if "example_echo_text" in e]
    assert calls == [
        "audit:start:example_echo_text",
        "before:example_echo_text",
        "after:example_echo_text:success",
        "audit:end:example_echo_text:success",
    ]


async def test_secrets_are_redacted_and_upstream_ids_recorded(tmp_path: Path) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}")
    arguments = {
        "account": f"acct with {GITHUB_TOKEN}",
        "api_key": "sk_live_" + "y" * 24,
        "webhooks": [{"url": "https://h.example", "signing_secret": "whsec-plain"}],
    }
    async with make_hub(AuditPlugin(store)) as hub:
        result = await hub.call_tool("probe_connect_account", arguments)
        leaked = await hub.call_tool("probe_leak_secret", {})
        records = await records_of(store)
    assert not result.is_error and leaked.is_error
    start, end = records[0], records[1]
    assert start.arguments == {
        "account": "acct with [REDACTED:github_token]",
        "api_key": "[REDACTED]",
        "webhooks": [{"url": "https://h.example", "signing_secret": "[REDACTED]"}],
    }
    assert end.upstream == {"request_ids": ["req_123"], "idempotency_keys": [f"mcpea-{end.call_id}-create"]}
    assert records[3].error_message == "upstream said: bad token [REDACTED:github_token]"
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("a.sqlite3*"))  # the database and its WAL
    for secret in (GITHUB_TOKEN, "y" * 24, "whsec-plain"):
        assert secret.encode() not in stored


async def test_a_call_refused_by_an_inner_wrapper_is_recorded_as_denied(tmp_path: Path) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}")
    async with make_hub(AuditPlugin(store)) as hub:
        result = await hub.call_tool("probe_refuse_call", {})
        records = await records_of(store)
    assert result.is_error and "probe says no" in result.content[0].text  # type: ignore[union-attr]
    assert RAN == []
    assert [(r.phase, r.outcome, r.error_class) for r in records] == [
        ("start", None, None),
        ("end", "denied", "mcpea_core.errors.PolicyDenied"),
    ]


async def test_a_cancelled_call_gets_a_cancelled_end_record(tmp_path: Path) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}")
    async with make_hub(AuditPlugin(store)) as hub:
        async with anyio.create_task_group() as group:
            group.start_soon(hub.call_tool, "probe_wait_forever", {})
            await STARTED.wait()
            group.cancel_scope.cancel()
        records = await records_of(store)
        report = await store.verify()
    assert [(r.phase, r.outcome) for r in records] == [("start", None), ("end", "cancelled")]
    assert report.complete


async def test_on_failure_deny_refuses_the_call_when_the_start_record_cannot_be_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = RecordingStore(
        await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}"), [], fail=frozenset({"start"})
    )
    async with make_hub(AuditPlugin(store, on_failure="deny")) as hub:
        result = await hub.call_tool("probe_connect_account", {"account": "a", "api_key": "k"})
        call = ToolCall(
            tool=hub.get_tool("example_echo_text"), arguments={"text": "x"}, principal=local_principal()
        )
        outcome = await hub.execute(call)
    assert result.is_error
    assert "audit trail is unavailable" in result.content[0].text  # type: ignore[union-attr]
    assert RAN == [] and "before:example_echo_text" not in mcpea_plugin_example.EVENTS
    assert outcome.outcome == "denied" and isinstance(outcome.error, AuditUnavailable)
    assert "the call is refused: audit store could not start" in caplog.text


async def test_on_failure_allow_runs_the_call_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inner = await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}")
    store = RecordingStore(inner, [], fail=frozenset({"start"}))
    async with make_hub(AuditPlugin(store, on_failure="allow")) as hub:
        result = await hub.call_tool("probe_connect_account", {"account": "a", "api_key": "k"})
        records = await records_of(inner)
        report = await inner.verify()
    assert not result.is_error and RAN == ["probe_connect_account"]
    assert "the call runs unaudited (on_failure=allow)" in caplog.text
    assert [(r.phase, r.outcome) for r in records] == [("end", "success")]
    assert report.ok and [p.kind for p in report.problems] == ["end_without_start"]


async def test_a_hung_store_times_out_into_the_failure_policy(tmp_path: Path) -> None:
    store = RecordingStore(await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}"), [], hang=True)
    async with make_hub(AuditPlugin(store, on_failure="deny", timeout=0.2)) as hub:
        result = await hub.call_tool("probe_connect_account", {"account": "a", "api_key": "k"})
    assert result.is_error and RAN == []


async def test_an_end_record_that_fails_does_not_hide_the_result(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = RecordingStore(
        await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}"), [], fail=frozenset({"end"})
    )
    async with make_hub(AuditPlugin(store, on_failure="deny")) as hub:
        result = await hub.call_tool("example_echo_text", {"text": "hi"})
    assert not result.is_error
    assert "could not write the end record of call" in caplog.text
    assert "its outcome is missing from the audit trail" in caplog.text


async def test_hook_startup_deny_stops_the_hub_when_the_store_cannot_open(tmp_path: Path) -> None:
    store = RecordingStore(
        await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}"), [], fail=frozenset({"open"})
    )
    hub = make_hub(AuditPlugin(store, on_failure="deny"))
    with pytest.raises(PluginLoadError, match="audit"):
        await hub.start()
    await store.inner.close()


async def test_hook_startup_allow_starts_the_hub_and_runs_calls_unaudited(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = RecordingStore(
        await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}"), [], fail=frozenset({"open", "start", "end"})
    )
    with caplog.at_level(logging.ERROR, "mcpea.audit"):
        async with make_hub(AuditPlugin(store, on_failure="allow")) as hub:
            result = await hub.call_tool("example_echo_text", {"text": "hi"})
    assert not result.is_error
    assert "cannot be opened" in caplog.text
    assert "the call runs unaudited (on_failure=allow)" in caplog.text


async def test_hook_startup_and_shutdown_open_and_close_a_store_given_by_url(tmp_path: Path) -> None:
    url = f"jsonl://{tmp_path / 'audit' / 'trail.jsonl'}"
    plugin = AuditPlugin(url)
    async with make_hub(plugin) as hub:
        await hub.call_tool("example_echo_text", {"text": "hi"})
    assert (tmp_path / "audit" / "trail.jsonl").read_text().count("\n") == 2
    with pytest.raises(AuditStoreError):
        await plugin.store.append_start(
            AuditRecord(call_id="x", phase="start", tool="t", principal="p", hub="h")
        )


async def test_calls_through_the_mcp_client_are_audited(tmp_path: Path) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'a.sqlite3'}")
    hub = make_hub(AuditPlugin(store))
    async with hub, hub.client() as client:
        result = await client.call_tool("example_echo_text", {"text": "hi"})
        records = await records_of(store)
    assert result.is_error is False
    assert [(r.phase, r.outcome, r.transport) for r in records] == [
        ("start", None, "inprocess"),
        ("end", "success", "inprocess"),
    ]


def test_on_failure_must_be_deny_or_allow() -> None:
    with pytest.raises(ValueError, match="on_failure"):
        AuditPlugin("sqlite:///tmp/x.db", on_failure="maybe")  # type: ignore[arg-type]


async def test_a_hub_that_was_never_started_opens_the_store_on_the_first_call(tmp_path: Path) -> None:
    hub = make_hub(AuditPlugin(f"sqlite://{tmp_path / 'a.sqlite3'}")).load()
    call = ToolCall(
        tool=hub.get_tool("example_echo_text"), arguments={"text": "x"}, principal=local_principal()
    )
    outcome = await hub.execute(call)
    assert outcome.outcome == "success"
    await hub.start()
    await hub.stop()
    store = store_from_url(f"sqlite://{tmp_path / 'a.sqlite3'}")
    try:
        assert (await store.verify()).complete and (await store.head()) is not None
    finally:
        await store.close()
