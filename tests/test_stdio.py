"""``mcpea serve`` over stdio: malformed input gets a JSON-RPC error, never silence.

Most tests drive the real ``mcpea serve`` process through pipes; every read
has a deadline, so a server that stays silent fails the test instead of
hanging it. The last ones run ``hardened_stdio`` on in-memory streams.
"""

from __future__ import annotations

import io
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import anyio
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.message import SessionMessage

from mcpea_core.stdio import hardened_stdio

TIMEOUT = 20.0

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def mcpea_command() -> str:
    found = Path(sys.executable).with_name("mcpea")
    if found.exists():
        return str(found)
    which = shutil.which("mcpea")
    assert which, "the mcpea console script is not installed"
    return which


def server_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MCPEA_CONFIG", None)
    env["MCPEA_LOAD_PLUGINS"] = "example"
    env.update(extra)
    return env


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


def echo_call(request_id: int, text: str = "hi") -> bytes:
    return encode(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": "example_echo_text", "arguments": {"text": text}},
        }
    )


class RawServer:
    """``mcpea serve`` behind pipes, with a thread turning its stdout into a queue of messages."""

    def __init__(self, args: list[str], env: dict[str, str], stderr: IO[bytes]) -> None:
        self.process = subprocess.Popen(
            [mcpea_command(), "serve", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self._pump = threading.Thread(target=self._read_stdout, daemon=True)
        self._pump.start()
        self._next_id = 100

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def receive(self, deadline: float) -> dict[str, Any]:
        """The next message on stdout; fails (never blocks) once the deadline passes."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail("timed out waiting for the server")
        try:
            line = self.lines.get(timeout=remaining)
        except queue.Empty:
            pytest.fail(f"no answer from the server within {TIMEOUT}s")
        if line is None:
            pytest.fail(f"the server closed stdout (exit code {self.process.poll()})")
        # Every line on the wire must be one JSON-RPC message: stray output would fail here.
        message: dict[str, Any] = json.loads(line)
        assert message.get("jsonrpc") == "2.0", line
        return message

    def collect(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` replies (notifications skipped), in arrival order."""
        deadline = time.monotonic() + TIMEOUT
        replies: list[dict[str, Any]] = []
        while len(replies) < count:
            message = self.receive(deadline)
            if "id" in message:
                replies.append(message)
        return replies

    def handshake(self) -> None:
        self.send(encode(INITIALIZE))
        [reply] = self.collect(1)
        assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "mcpea", reply
        self.send(encode(INITIALIZED))

    def assert_echo_works(self) -> None:
        request_id = self.new_id()
        self.send(echo_call(request_id, "still here"))
        [reply] = self.collect(1)
        assert reply["id"] == request_id
        assert reply["result"]["structuredContent"] == {"echoed": "Hello: still here", "length": 10}

    def close(self) -> int:
        """Close stdin (the stdio way to stop a server) and wait for a clean exit."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("the server did not exit after stdin closed")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []
    stderr_files: list[IO[bytes]] = []

    def start(*args: str, **env: str) -> RawServer:
        # A file, not a pipe: a pipe nobody drains would block the server's logging.
        stderr = open(tmp_path / f"stderr-{len(started)}.log", "w+b")
        stderr_files.append(stderr)
        server = RawServer(list(args), server_env(**env), stderr)
        started.append(server)
        server.handshake()
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
    for file in stderr_files:
        file.close()


def stderr_of(tmp_path: Path, index: int = 0) -> str:
    return (tmp_path / f"stderr-{index}.log").read_text(errors="replace")


# --- malformed lines against the real server ----------------------------------

DEEP = b'{"jsonrpc":"2.0","id":7,"method":"ping","params":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}"

BAD_LINES = [
    pytest.param(b'{"jsonrpc": "2.0", "id": 7, "method": ', -32700, None, "Parse error", id="invalid-json"),
    pytest.param(b"\x00\x01garbage", -32700, None, "Parse error", id="binary-garbage"),
    pytest.param(b'[{"jsonrpc":"2.0","id":7,"method":"ping"}]', -32600, None, "batch", id="batch-array"),
    pytest.param(b"[]", -32600, None, "batch", id="empty-batch"),
    pytest.param(b'{"jsonrpc":"1.0","id":7,"method":"ping"}', -32600, 7, '"jsonrpc"', id="jsonrpc-1.0"),
    pytest.param(b'{"id":7,"method":"ping"}', -32600, 7, '"jsonrpc"', id="jsonrpc-missing"),
    pytest.param(b'{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, None, '"id"', id="id-null"),
    pytest.param(b'{"jsonrpc":"2.0","id":true,"method":"ping"}', -32600, None, '"id"', id="id-boolean"),
    pytest.param(b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', -32600, None, '"id"', id="id-float"),
    pytest.param(
        b'{"jsonrpc":"2.0","id":7,"method":"ping","params":"x"}', -32600, 7, '"params"', id="params-string"
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":"s","method":"ping","params":[1]}', -32600, "s", '"params"', id="params-array"
    ),
    pytest.param(b'{"jsonrpc":"2.0","id":7,"method":42}', -32600, 7, '"method"', id="method-number"),
    pytest.param(b'{"jsonrpc":"2.0","id":7}', -32600, 7, '"method"', id="method-missing"),
    pytest.param(b"42", -32600, None, "JSON object", id="not-an-object"),
    pytest.param(DEEP, -32700, None, "nested deeper than 64", id="nesting-10000"),
    pytest.param(
        b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"example_echo_text",'
        b'"arguments":{"text":"\\ud800"}}}',
        -32700,
        None,
        "surrogate",
        id="lone-surrogate-escape",
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"example_echo_text",'
        b'"arguments":{"text":"\xff\xfe"}}}',
        -32700,
        None,
        "UTF-8",
        id="invalid-utf8-bytes",
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":"\xed\xa0\x80"}}',
        -32700,
        None,
        "UTF-8",
        id="encoded-surrogate-bytes",
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"n":NaN}}', -32700, None, "NaN", id="nan"
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":7,"method":"no/such/method"}', -32601, 7, "Method not found", id="unknown"
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("line", "code", "request_id", "mentions"), BAD_LINES)
def test_bad_line_gets_an_error_and_the_server_keeps_serving(
    start_server: Callable[..., RawServer], line: bytes, code: int, request_id: Any, mentions: str
) -> None:
    server = start_server()
    before, after = server.new_id(), server.new_id()
    # Pipelined on purpose: the calls on either side of the bad line must both
    # be answered, so nothing already accepted is lost and serving goes on.
    server.send(echo_call(before, "before") + line + b"\n" + echo_call(after, "after"))
    replies = server.collect(3)
    by_id = {json.dumps(reply["id"]): reply for reply in replies}
    assert set(by_id) == {json.dumps(before), json.dumps(request_id), json.dumps(after)}, replies
    error = by_id[json.dumps(request_id)]
    assert error["error"]["code"] == code, error
    assert mentions in error["error"]["message"], error
    assert by_id[json.dumps(before)]["result"]["structuredContent"] == {
        "echoed": "Hello: before",
        "length": 6,
    }
    assert by_id[json.dumps(after)]["result"]["structuredContent"] == {"echoed": "Hello: after", "length": 5}
    server.assert_echo_works()
    assert server.close() == 0


@pytest.mark.slow
def test_every_bad_line_in_one_session(start_server: Callable[..., RawServer]) -> None:
    """One server takes the whole list in turn: no bad line leaves state behind for the next."""
    server = start_server()
    for param in BAD_LINES:
        line, code, request_id, _ = param.values
        assert isinstance(line, bytes)
        server.send(line + b"\n")
        [error] = server.collect(1)
        assert error["id"] == request_id and error["error"]["code"] == code, (param.id, error)
        server.assert_echo_works()
    assert server.close() == 0


@pytest.mark.slow
def test_blank_lines_are_ignored(start_server: Callable[..., RawServer]) -> None:
    server = start_server()
    server.send(b"\n\n   \r\n\t\n")
    # The very next reply is the call's: the blank lines produced nothing.
    server.assert_echo_works()
    assert server.close() == 0


@pytest.mark.slow
def test_error_replies_never_interleave_with_server_replies(start_server: Callable[..., RawServer]) -> None:
    server = start_server()
    ids = [server.new_id() for _ in range(50)]
    burst = b"".join(echo_call(i, "x" * 200) + b"{oops\n" for i in ids)
    server.send(burst)
    replies = server.collect(100)  # receive() fails on any line that is not one whole JSON message
    assert sorted(r["id"] for r in replies if "result" in r) == ids
    assert [r["error"]["code"] for r in replies if "error" in r] == [-32700] * 50
    assert server.close() == 0


# --- the line-length cap -----------------------------------------------------


@pytest.fixture
def small_cap_config(tmp_path: Path) -> Path:
    config = tmp_path / "mcpea.toml"
    config.write_text("[server]\nmax_line_bytes = 4096\n")
    return config


def padded_ping(request_id: int, size: int) -> bytes:
    """A valid ping of exactly ``size`` bytes, newline excluded (JSON allows trailing blanks)."""
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "ping"}).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


@pytest.mark.slow
def test_oversized_line_is_refused_and_skipped(
    start_server: Callable[..., RawServer], small_cap_config: Path, tmp_path: Path
) -> None:
    server = start_server("--config", str(small_cap_config))
    before, after = server.new_id(), server.new_id()
    huge = b'{"jsonrpc":"2.0","id":9,"method":"ping","params":{"pad":"' + b"x" * (20 * 1024 * 1024) + b'"}}'
    # Written by a thread: the server has to drain 20 MB while we also read replies.
    writer = threading.Thread(target=server.send, args=(echo_call(before) + huge + b"\n" + echo_call(after),))
    writer.start()
    replies = server.collect(3)
    writer.join(TIMEOUT)
    by_id = {reply["id"]: reply for reply in replies}
    assert set(by_id) == {before, None, after}, replies
    assert by_id[None]["error"] == {"code": -32600, "message": "Invalid Request: message exceeds 4096 bytes"}
    assert "result" in by_id[before] and "result" in by_id[after]
    server.assert_echo_works()
    assert server.close() == 0
    assert "discarded a" in stderr_of(tmp_path)


@pytest.mark.slow
def test_line_cap_boundary(start_server: Callable[..., RawServer], small_cap_config: Path) -> None:
    server = start_server("--config", str(small_cap_config))
    server.send(padded_ping(41, 4096) + b"\n")
    [reply] = server.collect(1)
    assert reply == {"jsonrpc": "2.0", "id": 41, "result": {}}
    server.send(padded_ping(42, 4097) + b"\n")
    [reply] = server.collect(1)
    assert reply["id"] is None and reply["error"]["code"] == -32600
    server.assert_echo_works()
    assert server.close() == 0


# --- stray output from plugins -------------------------------------------------

NOISY_PLUGIN = """
import os
import subprocess
import sys

from mcpea_core import hookimpl


def noisy_print_output() -> str:
    \"\"\"Write to stdout in every way a careless plugin could.\"\"\"
    print("stray print")
    sys.stdout.flush()
    os.write(1, b"stray fd write\\n")
    subprocess.run([sys.executable, "-c", "print('stray child')"], check=True)
    return "done"


@hookimpl
def register_tools(register):
    register(noisy_print_output)
"""


@pytest.mark.slow
def test_stray_stdout_writes_do_not_corrupt_the_wire(
    start_server: Callable[..., RawServer], make_dist: Callable[..., Path], tmp_path: Path
) -> None:
    site = make_dist("noisy", NOISY_PLUGIN)
    pythonpath = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    server = start_server(MCPEA_LOAD_PLUGINS="example,noisy", PYTHONPATH=pythonpath)
    request_id = server.new_id()
    call = {"name": "noisy_print_output", "arguments": {}}
    server.send(encode({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": call}))
    [reply] = server.collect(1)  # any stray line would have failed JSON parsing in receive()
    assert reply["id"] == request_id and reply["result"]["isError"] is False, reply
    server.assert_echo_works()
    assert server.close() == 0
    stderr = stderr_of(tmp_path)
    for stray in ("stray print", "stray fd write", "stray child"):
        assert stray in stderr


# --- the official SDK client ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.anyio
async def test_sdk_client_round_trip_over_stdio() -> None:
    params = StdioServerParameters(
        command=mcpea_command(), args=["serve"], env={"MCPEA_LOAD_PLUGINS": "example", "MCPEA_AUDIT_STORE": "off"}
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            listed = await client.list_tools()
            assert "example_echo_text" in {tool.name for tool in listed.tools}
            result = await client.call_tool("example_echo_text", {"text": "hi"})
            assert result.is_error is False
            assert result.structured_content == {"echoed": "Hello: hi", "length": 2}
            bad = await client.call_tool("example_echo_text", {"text": 3})
            assert bad.is_error is True
            text = bad.content[0]
            assert isinstance(text, types.TextContent) and "text" in text.text


# --- hardened_stdio on in-memory streams ---------------------------------------


async def run_transport(
    data: bytes, max_line_bytes: int = 4096, stdin: IO[bytes] | None = None
) -> tuple[list[types.JSONRPCMessage], list[dict[str, Any]]]:
    """Feed ``data`` to the transport; return what reached the server and what went out."""
    stdout = io.BytesIO()
    received: list[types.JSONRPCMessage] = []
    with anyio.fail_after(TIMEOUT):
        async with hardened_stdio(max_line_bytes, stdin or io.BytesIO(data), stdout) as (
            read_stream,
            write_stream,
        ):
            async with write_stream:
                async for item in read_stream:
                    assert isinstance(item, SessionMessage)
                    received.append(item.message)
    written = [json.loads(line) for line in stdout.getvalue().splitlines()]
    return received, written


@pytest.mark.anyio
async def test_transport_forwards_valid_messages_in_order_and_answers_bad_ones() -> None:
    data = b"".join(
        [
            encode({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            b"not json\n",
            b"\n",
            encode({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            encode({"jsonrpc": "2.0", "id": "r1", "result": {}}),
            encode({"jsonrpc": "2.0", "id": None, "error": {"code": -1, "message": "client side"}}),
            encode({"jsonrpc": "2.0", "id": 2, "result": {}, "error": {"code": 1, "message": "m"}}),
            encode({"jsonrpc": "2.0", "id": 3, "error": {"code": "x", "message": "m"}}),
            encode({"jsonrpc": "2.0", "id": 4, "method": "ping", "result": {}}),
            encode({"jsonrpc": "2.0", "id": 5, "result": []}),
            encode({"jsonrpc": "2.0", "id": 6, "method": "ping", "params": None}),
            b'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"n":1e999}}\n',
            b'{"jsonrpc":"2.0","id":8,"method":"ping","params":{"\\udc00":1}}\n',
            b'{"jsonrpc":"2.0","id":9,"method":"ping","params":{"ok":"\\ud83d\\ude00"}}\n',
            b'{"jsonrpc":"2.0","id":10,"method":"ping"}',  # last line, no newline
        ]
    )
    received, written = await run_transport(data)
    assert [type(m).__name__ for m in received] == [
        "JSONRPCRequest",
        "JSONRPCNotification",
        "JSONRPCResponse",
        "JSONRPCError",
        "JSONRPCRequest",
        "JSONRPCRequest",
    ]
    assert isinstance(received[4], types.JSONRPCRequest) and received[4].params == {"ok": "\U0001f600"}
    assert isinstance(received[5], types.JSONRPCRequest) and received[5].id == 10
    assert [(w["id"], w["error"]["code"]) for w in written] == [
        (None, -32700),
        (2, -32600),
        (3, -32600),
        (4, -32600),
        (5, -32600),
        (6, -32600),
        (None, -32700),
        (None, -32700),
    ]
    messages = [w["error"]["message"] for w in written]
    assert messages[1] == 'Invalid Request: a response cannot carry both "result" and "error"'
    assert messages[2] == 'Invalid Request: "error.code" must be an integer, got "x"'
    assert messages[3] == 'Invalid Request: a request or notification cannot carry "result"'
    assert messages[4] == 'Invalid Request: "result" must be an object, got an array'
    assert messages[5] == 'Invalid Request: "params" must be an object, got null'
    assert messages[6] == "Parse error: number 1e999 is out of range"
    assert messages[7] == "Parse error: lone UTF-16 surrogate in a string at params (a key)"
    assert all(
        set(w) == {"jsonrpc", "id", "error"} and set(w["error"]) == {"code", "message"} for w in written
    )


class EndlessLine(io.RawIOBase):
    """``size`` bytes of one line, made up on demand, then a newline and ``tail``; records read sizes."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left = size
        self.tail = tail
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        assert size is not None and size > 0, "an unbounded readline would hold the whole line in memory"
        self.largest_read = max(self.largest_read, size)
        if self.left:
            chunk = min(size, self.left)
            self.left -= chunk
            return b"x" * chunk
        line, _, self.tail = self.tail.partition(b"\n")
        return line + b"\n" if _ or line else b""


@pytest.mark.anyio
async def test_transport_reads_an_oversized_line_in_bounded_chunks() -> None:
    stream = EndlessLine(64 * 1024 * 1024, b"\n" + encode({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
    received, written = await run_transport(b"", max_line_bytes=1000, stdin=stream)  # type: ignore[arg-type]
    assert stream.largest_read <= 64 * 1024
    assert written == [
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": "Invalid Request: message exceeds 1000 bytes"},
        }
    ]
    assert [m.id for m in received if isinstance(m, types.JSONRPCRequest)] == [1]


@pytest.mark.anyio
async def test_oversized_last_line_without_newline_is_answered() -> None:
    received, written = await run_transport(b"y" * 5000, max_line_bytes=100)
    assert received == []
    assert [w["error"]["code"] for w in written] == [-32600]


@pytest.mark.anyio
async def test_unencodable_reply_becomes_an_internal_error() -> None:
    stdout = io.BytesIO()
    with anyio.fail_after(TIMEOUT):
        async with hardened_stdio(4096, io.BytesIO(b""), stdout) as (read_stream, write_stream):
            async with write_stream:
                bad = types.JSONRPCResponse(jsonrpc="2.0", id=3, result={"text": "\ud800"})
                await write_stream.send(SessionMessage(bad))
                good = types.JSONRPCResponse(jsonrpc="2.0", id=4, result={})
                await write_stream.send(SessionMessage(good))
            async for _ in read_stream:
                pass
    written = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [(w["id"], "error" in w) for w in written] == [(3, True), (4, False)]
    assert written[0]["error"]["code"] == types.INTERNAL_ERROR


@pytest.mark.anyio
async def test_leaving_early_does_not_wait_for_an_idle_stdin() -> None:
    """A server that stops while the client keeps stdin open must not hang on the blocked read."""
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "rb", buffering=0)
    try:
        with anyio.fail_after(5):
            async with hardened_stdio(4096, stdin, io.BytesIO()) as (read_stream, write_stream):
                await write_stream.aclose()
                await read_stream.aclose()
    finally:
        os.close(write_fd)  # lets the abandoned reader thread see EOF and finish


@pytest.mark.anyio
async def test_rejects_a_nonpositive_line_cap() -> None:
    with pytest.raises(ValueError, match="max_line_bytes"):
        async with hardened_stdio(0, io.BytesIO(), io.BytesIO()):
            pass


@pytest.mark.anyio
async def test_a_crashing_body_does_not_hang_on_a_pending_hand_over() -> None:
    """The reader thread is blocked handing over a message nobody reads; the crash still gets out."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, encode({"jsonrpc": "2.0", "id": 1, "method": "ping"}) * 3)
    stdin = os.fdopen(read_fd, "rb", buffering=0)
    try:
        with anyio.fail_after(5), pytest.raises(ExceptionGroup) as info:
            async with hardened_stdio(4096, stdin, io.BytesIO()):
                await anyio.sleep(0.1)
                raise RuntimeError("boom")
        assert info.group_contains(RuntimeError, match="boom")
    finally:
        os.close(write_fd)


class CountingLines(io.RawIOBase):
    """Endless ping requests, one per ``readline``; counts the lines read."""

    def __init__(self) -> None:
        self.read = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        self.read += 1
        return encode({"jsonrpc": "2.0", "id": self.read, "method": "ping"})


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mcpea-stdio-reader"]


@pytest.mark.anyio
async def test_the_reader_keeps_to_the_servers_pace_and_stops_with_the_transport() -> None:
    """A client that floods stdin is read only a bounded way ahead of a server that does not read."""
    from mcpea_core.stdio import _HANDOFF_SLOTS

    before = set(reader_threads())
    stdin = CountingLines()
    with anyio.fail_after(5):
        async with hardened_stdio(4096, stdin, io.BytesIO()) as (read_stream, write_stream):
            await anyio.sleep(0.3)
            # One frame waits in the dispatcher for the server, the slots are full,
            # and one more decoded line waits for a slot.
            assert stdin.read <= _HANDOFF_SLOTS + 2
            first = await read_stream.receive()
            assert isinstance(first, SessionMessage) and getattr(first.message, "id", None) == 1
            await anyio.sleep(0.1)
            assert stdin.read <= _HANDOFF_SLOTS + 3
            await write_stream.aclose()
        deadline = time.monotonic() + 5
        while set(reader_threads()) - before and time.monotonic() < deadline:
            await anyio.sleep(0.01)
    assert not set(reader_threads()) - before, "the reader thread outlived the transport"
