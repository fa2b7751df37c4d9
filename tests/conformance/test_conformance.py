"""MC-PEA against the official MCP conformance suite, plus checks of our own.

``mcpea serve --transport http`` runs with only the conformance fixture plugin
(``tests/conformance/fixture-plugin``) and the pinned suite
(``@modelcontextprotocol/conformance``, see ``package.json``) runs every
server scenario against it on the Node 22 binary from ``node_modules``
(``npm ci`` in this directory installs both). Scenarios listed in
``expected-failures.yml`` may fail, for the reason given there; every other
one must pass with no failed check and no warning.

The suite is lenient about what fixtures return, so the official Python SDK
client also checks the payloads over HTTP. Run the suite by hand with::

    node_modules/.bin/node node_modules/@modelcontextprotocol/conformance/dist/index.js \
        server --url http://127.0.0.1:PORT/mcp --suite all --expected-failures expected-failures.yml
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.server.streamable_http import EventMessage, EventStore

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
NODE = NODE_MODULES / ".bin" / "node"
SUITE = NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
EXPECTED_FAILURES = HERE / "expected-failures.yml"
SUITE_TIMEOUT = 300.0
START_TIMEOUT = 30.0
ANNOUNCE = re.compile(r"mcpea: serving MCP at (http://\S+)")
RESULT_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")

# What the fixtures must return (mirrors mcpea_plugin_conformance; spelled out
# here so a fixture that drifts from the suite's contract fails this test).
SIMPLE_TEXT = "This is a simple text response for testing."
ERROR_MESSAGE = "This tool intentionally returns an error for testing"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.slow

needs_suite = pytest.mark.skipif(
    not (NODE.exists() and SUITE.exists()),
    reason=f"conformance suite not installed: run `npm ci` in {HERE} (brings the suite and Node 22)",
)


# --- the served hub ---------------------------------------------------------------


def _mcpea() -> str:
    script = Path(sys.executable).with_name("mcpea")
    assert script.exists(), f"console script {script} missing: install mcpea-core into this environment"
    return str(script)


@pytest.fixture(scope="module")
def hub_url() -> Iterator[str]:
    """``mcpea serve --transport http --port 0`` with only the conformance plugin; yields its MCP URL."""
    if not entry_points(group="mcpea", name="conformance"):
        pytest.fail(f"the fixture plugin is not installed: pip install -e {HERE / 'fixture-plugin'}")
    env = {k: v for k, v in os.environ.items() if k != "MCPEA_CONFIG"}
    env["MCPEA_LOAD_PLUGINS"] = "conformance"
    proc = subprocess.Popen(
        [_mcpea(), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stderr: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    url = None
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                raise RuntimeError("mcpea serve did not announce its URL:\n" + "".join(stderr))
            try:
                match = ANNOUNCE.search(lines.get(timeout=min(remaining, 0.5)))
            except queue.Empty:
                continue
            if match:
                url = match.group(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# --- the official suite -----------------------------------------------------------


def _expected_failures() -> dict[str, str]:
    """Scenario -> reason, from the ``server:`` list of expected-failures.yml (comments above an entry)."""
    found: dict[str, str] = {}
    section = None
    reason: list[str] = []
    for raw in EXPECTED_FAILURES.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not raw.startswith((" ", "-")) and line.endswith(":"):
            section, reason = line[:-1], []
        elif line.startswith("#"):
            reason.append(line.lstrip("# "))
        elif line.startswith("- ") and section == "server":
            found[line[2:].strip()] = " ".join(reason) or "(no reason given)"
            reason = []
        elif line and not line.startswith("#"):
            reason = []
    return found


def _server_scenarios() -> list[str]:
    """Every server scenario of the pinned suite (active and pending), from ``conformance list``."""
    out = subprocess.run(
        [str(NODE), str(SUITE), "list"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    scenarios, in_server = [], False
    for line in out.splitlines():
        if line.startswith("Server scenarios"):
            in_server = True
        elif line and not line.startswith(" "):
            in_server = False
        elif in_server and line.strip().startswith("- "):
            scenarios.append(line.strip()[2:].split()[0])
    return scenarios


def _describe(checks: list[dict[str, Any]]) -> str:
    bad = [c for c in checks if c.get("status") in ("FAILURE", "WARNING")]
    return "; ".join(
        f"{c['status']} {c.get('id')}: {c.get('errorMessage') or c.get('description')}" for c in bad
    )


@needs_suite
def test_official_suite(hub_url: str, tmp_path: Path) -> None:
    expected = _expected_failures()
    scenarios = _server_scenarios()
    assert len(scenarios) >= 30, f"`conformance list` gave too few server scenarios: {scenarios}"
    assert set(expected) <= set(scenarios), f"expected-failures.yml names unknown scenarios: {expected}"
    unexplained = [name for name, reason in expected.items() if reason == "(no reason given)"]
    assert not unexplained, f"expected-failures.yml: say why each of these cannot pass: {unexplained}"

    results = tmp_path / "results"
    command = [
        str(NODE), str(SUITE), "server", "--url", hub_url, "--suite", "all",
        "--expected-failures", str(EXPECTED_FAILURES), "--output-dir", str(results),
    ]  # fmt: skip
    try:
        run = subprocess.run(
            command,
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"the conformance suite did not finish within {SUITE_TIMEOUT:.0f}s:\n{output[-4000:]}")

    checks: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(results.glob("*/checks.json")):
        match = RESULT_DIR.match(path.parent.name)
        assert match, f"unexpected result directory {path.parent.name}"
        checks[match["scenario"]] = json.loads(path.read_text(encoding="utf-8"))

    missing = sorted(set(scenarios) - set(checks))
    assert not missing, f"scenarios without results: {missing}\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"

    failed = {}
    vacuous = []
    for scenario in scenarios:
        if scenario in expected:
            continue
        statuses = [c.get("status") for c in checks[scenario]]
        if "FAILURE" in statuses or "WARNING" in statuses:
            failed[scenario] = _describe(checks[scenario])
        elif "SUCCESS" not in statuses:
            vacuous.append(scenario)
    report = "\n".join(f"  {name}: {why}" for name, why in failed.items())
    assert not failed, f"conformance scenarios failed:\n{report}"
    assert not vacuous, f"scenarios that checked nothing (a fixture is missing?): {vacuous}"

    stale = [s for s in expected if not any(c.get("status") in ("FAILURE", "WARNING") for c in checks[s])]
    assert not stale, f"expected failures now pass, remove them from {EXPECTED_FAILURES.name}: {stale}"
    assert run.returncode == 0, f"suite exited {run.returncode}:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"


# --- the fixtures' payloads, through the official Python SDK client ------------------

pytest_anyio = pytest.mark.anyio


def _text(result: types.CallToolResult) -> str:
    assert result.content, result
    block = result.content[0]
    assert isinstance(block, types.TextContent), block
    return block.text


@pytest_anyio
async def test_content_tools(hub_url: str) -> None:
    async with Client(hub_url, mode="legacy") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert all(tool.description for tool in tools.values())
        assert "test_reconnection" in tools and "json_schema_2020_12_tool" in tools
        schema = tools["json_schema_2020_12_tool"].input_schema
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["additionalProperties"] is False and "address" in schema["$defs"]

        result = await client.call_tool("test_simple_text", {})
        assert not result.is_error and _text(result) == SIMPLE_TEXT

        result = await client.call_tool("test_error_handling", {})
        assert result.is_error is True and _text(result) == ERROR_MESSAGE

        image = (await client.call_tool("test_image_content", {})).content[0]
        assert isinstance(image, types.ImageContent) and image.mime_type == "image/png"
        assert base64.b64decode(image.data).startswith(PNG_MAGIC)

        audio = (await client.call_tool("test_audio_content", {})).content[0]
        assert isinstance(audio, types.AudioContent) and audio.mime_type == "audio/wav"
        assert base64.b64decode(audio.data).startswith(b"RIFF")

        embedded = (await client.call_tool("test_embedded_resource", {})).content[0]
        assert isinstance(embedded, types.EmbeddedResource)
        assert isinstance(embedded.resource, types.TextResourceContents)
        assert embedded.resource.text == "This is an embedded resource content."

        mixed = (await client.call_tool("test_multiple_content_types", {})).content
        assert [block.type for block in mixed] == ["text", "image", "resource"]


@pytest_anyio
async def test_logging_and_progress(hub_url: str) -> None:
    logs: list[types.LoggingMessageNotificationParams] = []
    reported: list[tuple[float, float | None]] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params)

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reported.append((progress, total))

    async with Client(hub_url, mode="legacy", logging_callback=on_log) as client:
        await client.set_logging_level("info")
        result = await client.call_tool("test_tool_with_logging", {})
        assert _text(result) == "Tool with logging executed successfully"
        result = await client.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)
        assert not result.is_error

    assert [(entry.level, entry.data) for entry in logs] == [
        ("info", "Tool execution started"),
        ("info", "Tool processing data"),
        ("info", "Tool execution completed"),
    ]
    assert reported == [(0, 100), (50, 100), (100, 100)]


@pytest_anyio
async def test_sampling_and_elicitation(hub_url: str) -> None:
    sampled: list[types.CreateMessageRequestParams] = []
    elicited: list[types.ElicitRequestFormParams] = []

    async def sample(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        sampled.append(params)
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="Paris"), model="test-model"
        )

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams), params
        elicited.append(params)
        if "username" in params.requested_schema["properties"]:
            return types.ElicitResult(
                action="accept", content={"username": "ada", "email": "ada@example.com"}
            )
        return types.ElicitResult(action="decline")

    async with Client(
        hub_url, mode="legacy", sampling_callback=sample, elicitation_callback=elicit
    ) as client:
        result = await client.call_tool("test_sampling", {"prompt": "Capital of France?"})
        assert _text(result) == "LLM response: Paris"
        assert sampled[0].max_tokens == 100
        assert sampled[0].messages[0].content == types.TextContent(type="text", text="Capital of France?")

        result = await client.call_tool("test_elicitation", {"message": "Who are you?"})
        assert elicited[-1].message == "Who are you?"
        assert json.loads(_text(result).split("content=", 1)[1]) == {
            "username": "ada",
            "email": "ada@example.com",
        }
        assert _text(result).startswith("User response: action=accept")

        result = await client.call_tool("test_elicitation_sep1034_defaults", {})
        assert _text(result) == "Elicitation result: action=decline, content={}"
        defaults = {k: v.get("default") for k, v in elicited[-1].requested_schema["properties"].items()}
        assert defaults == {
            "name": "John Doe",
            "age": 30,
            "score": 95.5,
            "status": "active",
            "verified": True,
        }

        await client.call_tool("test_elicitation_sep1330_enums", {})
        enums = elicited[-1].requested_schema["properties"]
        assert enums["legacyEnum"]["enumNames"] == ["Small Size", "Medium Size", "Large Size"]
        assert [o["const"] for o in enums["titledMulti"]["items"]["anyOf"]] == ["feature", "bug", "docs"]

        # Bad arguments are a readable tool error, not a protocol error.
        result = await client.call_tool("test_sampling", {})
        assert result.is_error and "prompt" in _text(result)


@pytest_anyio
async def test_resources_and_prompts(hub_url: str) -> None:
    async with Client(hub_url, mode="legacy") as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        assert {"test://static-text", "test://static-binary", "test://watched-resource"} <= uris
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["test://template/{id}/data"]

        text = (await client.read_resource("test://static-text")).contents[0]
        assert isinstance(text, types.TextResourceContents)
        assert text.text == "This is the content of the static text resource."

        blob = (await client.read_resource("test://static-binary")).contents[0]
        assert isinstance(blob, types.BlobResourceContents) and blob.mime_type == "image/png"
        assert base64.b64decode(blob.blob).startswith(PNG_MAGIC)

        data = (await client.read_resource("test://template/42/data")).contents[0]
        assert isinstance(data, types.TextResourceContents) and str(data.uri) == "test://template/42/data"
        assert json.loads(data.text) == {"id": "42", "templateTest": True, "data": "Data for ID: 42"}

        await client.subscribe_resource("test://watched-resource")
        await client.unsubscribe_resource("test://watched-resource")

        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert all(p.description for p in prompts.values())
        got = await client.get_prompt("test_prompt_with_arguments", {"arg1": "one", "arg2": "two"})
        assert got.messages[0].content == types.TextContent(
            type="text", text="Prompt with arguments: arg1='one', arg2='two'"
        )
        got = await client.get_prompt("test_prompt_with_embedded_resource", {"resourceUri": "test://x"})
        resource = got.messages[0].content
        assert isinstance(resource, types.EmbeddedResource) and str(resource.resource.uri) == "test://x"
        got = await client.get_prompt("test_prompt_with_image")
        assert isinstance(got.messages[0].content, types.ImageContent)

        completion = await client.complete(
            types.PromptReference(type="ref/prompt", name="test_prompt_with_arguments"),
            {"name": "arg1", "value": "te"},
        )
        assert completion.completion.values == []


@pytest_anyio
async def test_hostile_host_is_refused(hub_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {
        "Host": "evil.example.com",
        "Origin": "http://evil.example.com",
        "Accept": "application/json, text/event-stream",
    }
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(hub_url, json=body, headers=headers)
    assert 400 <= response.status_code < 500


# --- SSE polling (SEP-1699) with an event store, at the negotiated protocol version -------


class MemoryEventStore(EventStore):
    """The smallest event store that resumes a stream: every event, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []

    async def store_event(self, stream_id: str, message: Any) -> str:
        event_id = str(len(self.events) + 1)
        self.events.append((stream_id, event_id, message))
        return event_id

    async def replay_events_after(self, last_event_id: str, send_callback: Any) -> str | None:
        stream = next((s for s, e, _ in self.events if e == last_event_id), None)
        if stream is None:
            return None
        for s, e, message in self.events:
            if s == stream and int(e) > int(last_event_id) and message is not None:
                await send_callback(EventMessage(message, e))
        return stream


async def _sse_events(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    event: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if event:
                yield event
            event = {}
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        event[field] = event[field] + "\n" + value if field == "data" and field in event else value
    if event:
        yield event


@pytest_anyio
async def test_sse_polling_resumes_after_the_stream_closes() -> None:
    """What server-sse-polling checks, sent with the negotiated version (see expected-failures.yml).

    ``ToolContext.close_sse_stream`` ends the POST's SSE stream mid-call; the
    client resumes with ``Last-Event-ID`` and gets the rest, result included.
    """
    import mcpea_plugin_conformance
    import uvicorn

    from mcpea_core import Hub, HubConfig

    hub = Hub(HubConfig(), plugins=[("conformance", mcpea_plugin_conformance)], load_entrypoints=False)
    app = hub.http_app(event_store=MemoryEventStore(), retry_interval=100)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    version = "2025-11-25"
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": version}

    async def rpc(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
        return await http.post(url, json={"jsonrpc": "2.0", **body}, headers=headers)

    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: server.serve(sockets=[sock]))
        with anyio.fail_after(30):
            while not server.started:
                await anyio.sleep(0.01)
            async with httpx.AsyncClient(timeout=10) as http:
                init = {
                    "protocolVersion": version,
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "0"},
                }
                response = await rpc(http, {"id": 1, "method": "initialize", "params": init})
                assert response.status_code == 200, response.text
                headers["mcp-session-id"] = response.headers["mcp-session-id"]
                assert (await rpc(http, {"method": "notifications/initialized"})).status_code == 202

                call = {
                    "id": 2,
                    "method": "tools/call",
                    "params": {"name": "test_reconnection", "arguments": {}},
                }
                first: list[dict[str, str]] = []
                async with http.stream(
                    "POST", url, json={"jsonrpc": "2.0", **call}, headers=headers
                ) as response:
                    assert response.headers["content-type"].startswith("text/event-stream")
                    first = [event async for event in _sse_events(response)]
                assert first[0].get("data", "") == "" and first[0]["retry"] == "100", first  # priming event
                assert not any('"id":2' in e.get("data", "") for e in first), "stream was not closed mid-call"

                resumed: list[Any] = []
                get_headers = {**headers, "Accept": "text/event-stream", "Last-Event-ID": first[-1]["id"]}
                async with http.stream("GET", url, headers=get_headers) as response:
                    assert response.status_code == 200
                    async for event in _sse_events(response):
                        if event.get("data"):
                            resumed.append(json.loads(event["data"]))
                            if resumed[-1].get("id") == 2:
                                break
        server.should_exit = True

    # "Before disconnect" may still be in flight when the stream closes; then the replay brings it.
    seen = [json.loads(e["data"]) for e in first if e.get("data")] + resumed
    logs = [m["params"]["data"] for m in seen if m.get("method") == "notifications/message"]
    assert logs == ["Before disconnect", "After reconnect"], first
    assert resumed[-1]["result"]["content"][0]["text"] == "Reconnection test completed"
