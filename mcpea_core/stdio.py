"""Serving the hub over stdio (``mcpea serve``, the default transport).

The SDK's ``mcp.server.stdio.stdio_server`` drops a malformed line without a
word (invalid JSON, a batch array, ``"id": null``...), so the client waits for
an answer that never comes, and it reads lines of any length. ``hardened_stdio``
is a drop-in replacement that answers every bad line the JSON-RPC 2.0 way
(``-32700`` parse error or ``-32600`` invalid request, ``id`` null unless the
request's own id could be read) and keeps serving; it caps the line length and
the JSON nesting depth.

Wire framing is newline-delimited JSON, read as bytes: the SDK decodes with
``errors="replace"``, which silently turns invalid UTF-8 into U+FFFD inside a
message that then looks valid.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from itertools import accumulate
from typing import IO, TYPE_CHECKING, Any, Final, Literal, NamedTuple

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared._context_streams import ContextReceiveStream, ContextSendStream, create_context_streams
from mcp.shared.message import SessionMessage
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCMessage,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
    jsonrpc_message_adapter,
)
from pydantic import ValidationError

from ._heap import freeze_startup_heap

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from .hub import Hub

__all__ = ["MAX_NESTING_DEPTH", "hardened_stdio", "serve_stdio"]

logger = logging.getLogger(__name__)

MAX_NESTING_DEPTH: Final = 64
"""Deepest JSON nesting accepted; MCP messages need a handful of levels, and the
stdlib parser recurses once per level."""

_DISCARD_CHUNK: Final = 64 * 1024

_HANDOFF_SLOTS: Final = 1
"""Frames the reader thread may hand over before the dispatcher has taken the
first of them: the reader never runs further ahead of the server than that."""

ReadStreamT = ContextReceiveStream[SessionMessage | Exception]
WriteStreamT = ContextSendStream[SessionMessage]


async def serve_stdio(hub: Hub) -> None:
    """Serve MCP on this process's stdin/stdout until stdin closes."""
    server = hub.mcp_server
    server.mcpea_handlers.stdio = True  # type: ignore[attr-defined]
    await hub.start()
    freeze_startup_heap()
    try:
        async with hardened_stdio(hub.config.server.max_line_bytes) as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await hub.stop()


@asynccontextmanager
async def hardened_stdio(
    max_line_bytes: int,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    *,
    max_depth: int = MAX_NESTING_DEPTH,
) -> AsyncIterator[tuple[ReadStreamT, WriteStreamT]]:
    """Serve MCP over newline-delimited JSON on stdin/stdout, answering malformed lines.

    Yields ``(read_stream, write_stream)`` like the SDK's ``stdio_server``. With
    no explicit streams, fd 0 is pointed at the null device and fd 1 at stderr
    while serving (the wire runs over private duplicates), so a plugin that
    prints or spawns a child cannot corrupt the protocol stream; both are
    restored on exit. ``stdin`` needs ``readline(size)``; ``stdout`` needs
    ``write`` and ``flush``.
    """
    if max_line_bytes < 1:
        raise ValueError(f"max_line_bytes must be positive, got {max_line_bytes}")
    if max_depth < 1:
        raise ValueError(f"max_depth must be positive, got {max_depth}")
    releases: list[Callable[[], None]] = []
    try:
        if stdin is None:
            stdin = _claim_fd(0, sys.stdin, "rb", _open_stdin_diversion, releases)
        if stdout is None:
            stdout = _claim_fd(1, sys.stdout, "wb", _open_stdout_diversion, releases)

        read_writer, read_stream = create_context_streams[SessionMessage | Exception](0)
        write_stream, write_reader = create_context_streams[SessionMessage](0)
        # Error replies share the server's write channel, so one task writes
        # every line and replies can never interleave with the server's own.
        replies = write_stream.clone()
        frames_send, frames_recv = anyio.create_memory_object_stream[_Frame](_HANDOFF_SLOTS)

        async with AsyncExitStack() as stack:
            try:
                loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
                portal = None
            except RuntimeError:  # another backend (Trio): hand frames over through a portal
                from anyio.from_thread import BlockingPortal

                loop = None
                portal = await stack.enter_async_context(BlockingPortal())
            handoff = _Handoff(frames_send, loop, portal)
            tg = await stack.enter_async_context(anyio.create_task_group())
            dispatch_scope = anyio.CancelScope()
            tg.start_soon(_dispatch, dispatch_scope, frames_recv, read_writer, replies, handoff)
            tg.start_soon(_write_lines, write_reader, stdout)
            # A daemon thread, not an anyio worker: it may sit in a blocking read
            # of an idle stdin forever, and a worker thread would be joined at
            # interpreter exit and hang it.
            reader = threading.Thread(
                target=_pump,
                args=(stdin, max_line_bytes, max_depth, handoff),
                name="mcpea-stdio-reader",
                daemon=True,
            )
            reader.start()
            try:
                yield read_stream, write_stream
            finally:
                # The body may leave before stdin ends (a crash, a cancel): stop
                # feeding it. Closing the frame channel and the hand-over here,
                # not only in the dispatcher (which a failing task group may
                # cancel before it ever runs), releases a reader thread waiting
                # to hand a frame over, and fails a pending portal call so the
                # portal can exit. Nothing here may cancel the portal's task
                # group: this task group, with the writer still flushing the
                # last replies, runs inside it.
                dispatch_scope.cancel()
                frames_recv.close()
                handoff.close()
                if portal is not None:
                    await portal.stop()
                write_stream.close()
    finally:
        for release in reversed(releases):
            release()


# --- reading -------------------------------------------------------------------


# NamedTuples rather than dataclasses: quicker to define, and this module loads at every start.
class _Reject(NamedTuple):
    """A line that gets an error reply instead of reaching the server."""

    reply: JSONRPCError


_Frame = JSONRPCMessage | _Reject


class _Oversized(NamedTuple):
    size: int


def _lines(stdin: IO[bytes], max_line_bytes: int) -> Iterator[bytes | _Oversized]:
    """Yield each line (without its newline), or a marker for one over the cap.

    Reads at most ``max_line_bytes + 1`` bytes at a time, so an endless line
    costs bounded memory: the rest of it is skipped in small chunks.
    """
    while True:
        line = stdin.readline(max_line_bytes + 1)
        if not line:
            return
        if line.endswith(b"\n"):
            yield line[:-1]
            continue
        if len(line) <= max_line_bytes:  # the last line, unterminated
            yield line
            return
        size = len(line)
        while True:
            chunk = stdin.readline(_DISCARD_CHUNK)
            size += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
        yield _Oversized(size)
        if not chunk:
            return


class _Handoff:
    """Passes the reader thread's frames to the event loop, in order.

    On asyncio the thread schedules each frame with ``call_soon_threadsafe``
    and goes straight back to reading: waiting until the loop had taken the
    frame (a blocking portal call, which also starts a task per message)
    made the reader contend for the GIL with the very request it had just
    handed over, and cost about as much as the rest of the transport. A
    semaphore keeps at most ``_HANDOFF_SLOTS`` frames between the thread and
    the dispatcher, so a client that floods stdin is still held to the
    server's pace and memory stays bounded. Other backends go through a
    blocking portal call, one frame at a time.
    """

    def __init__(
        self,
        frames: MemoryObjectSendStream[_Frame],
        loop: asyncio.AbstractEventLoop | None,
        portal: BlockingPortal | None,
    ) -> None:
        self._frames = frames
        self._loop = loop
        self._portal = portal
        self._slots = threading.Semaphore(_HANDOFF_SLOTS)
        self._closed = False

    # --- reader thread ---

    def put(self, frame: _Frame) -> bool:
        """Hand ``frame`` over (waiting for a free slot); ``False`` once nobody takes frames any more."""
        if self._portal is not None:
            self._portal.call(self._frames.send, frame)
            return True
        assert self._loop is not None
        self._slots.acquire()
        if self._closed:
            return False
        self._loop.call_soon_threadsafe(self._deliver, frame)
        return True

    def finish(self) -> None:
        """No more frames: end the channel after the ones already handed over."""
        if self._portal is not None:
            self._portal.call(self._frames.aclose)
        else:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._frames.close)

    # --- event loop ---

    def _deliver(self, frame: _Frame) -> None:
        try:
            self._frames.send_nowait(frame)  # never blocks: the slots bound the buffer
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self.close()  # the transport is shutting down

    def taken(self) -> None:
        """The dispatcher took a frame: its slot is free again."""
        self._slots.release()

    def close(self) -> None:
        """Frames are no longer taken: wake a reader waiting for a slot, so it stops."""
        self._closed = True
        self._slots.release()


def _pump(
    stdin: IO[bytes],
    max_line_bytes: int,
    max_depth: int,
    handoff: _Handoff,
) -> None:
    """Reader thread: read, decode and check each line, hand the outcome to the event loop.

    Parsing here keeps a multi-megabyte line from stalling the event loop.
    """
    try:
        for line in _lines(stdin, max_line_bytes):
            if isinstance(line, _Oversized):
                logger.warning("stdio: discarded a %d-byte line (limit %d)", line.size, max_line_bytes)
                frame: _Frame | None = _Reject(
                    _error(INVALID_REQUEST, f"Invalid Request: message exceeds {max_line_bytes} bytes", None)
                )
            else:
                try:
                    frame = _decode(line, max_depth)
                except Exception:
                    logger.exception("stdio: unexpected failure decoding a line")
                    frame = _Reject(_error(INTERNAL_ERROR, "Internal error while reading the message", None))
            if frame is not None and not handoff.put(frame):
                return  # the transport is shutting down
    except OSError as exc:
        logger.warning("stdio: reading stdin failed (%s); treating it as closed", exc)
    except Exception as exc:
        # The portal or the event loop stopped, or the dispatcher left: the transport is shutting down.
        logger.debug("stdio: reader stopped: %r", exc)
    finally:
        with suppress(Exception):
            handoff.finish()


async def _dispatch(
    scope: anyio.CancelScope,
    frames: MemoryObjectReceiveStream[_Frame],
    read_writer: ContextSendStream[SessionMessage | Exception],
    replies: ContextSendStream[SessionMessage],
    handoff: _Handoff,
) -> None:
    """Forward valid messages to the server and rejections to the writer, in arrival order.

    Runs as a task of the caller's context (not in the reader thread), so each
    message carries that context to the server as the SDK's transport does.
    """
    with scope:
        try:
            async with frames:
                async for frame in frames:
                    handoff.taken()
                    if isinstance(frame, _Reject):
                        await replies.send(SessionMessage(frame.reply))
                    else:
                        await read_writer.send(SessionMessage(frame))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            logger.debug("stdio: the server stopped reading")
        finally:
            handoff.close()
            read_writer.close()
            replies.close()


# --- decoding ------------------------------------------------------------------

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MISSING: Final = object()


def _decode(line: bytes, max_depth: int) -> _Frame | None:
    """Turn one line into a message for the server, a rejection, or ``None`` (blank line)."""
    if not line.strip(b" \t\r\n"):
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _parse_error(f"invalid UTF-8 at byte offset {exc.start}")
    if _nesting_depth(text, max_depth) > max_depth:
        return _parse_error(f"JSON nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        return _parse_error(f"{exc.msg} at column {exc.colno}")
    except (ValueError, RecursionError) as exc:
        return _parse_error(str(exc))
    # Strict UTF-8 decoding already refused encoded surrogates, so only a
    # "\udXXX" escape can smuggle one in, and only an unpaired one survives json.
    if _SURROGATE_ESCAPE.search(text):
        where = _find_surrogate(value)
        if where is not None:
            return _parse_error(f"lone UTF-16 surrogate in a string at {where}")
    return _validate(value)


def _nesting_depth(text: str, limit: int) -> int:
    """Deepest bracket nesting outside strings, without recursion and in C-speed passes."""
    if text.count("[") + text.count("{") <= limit:
        return 0
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"number {literal[:40]} is out of range")
    return number


def _find_surrogate(value: Any) -> str | None:
    """Path (like ``params.arguments.text``) of the first string holding a lone surrogate."""
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            children: list[tuple[str, Any]] = []
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return f"{path} (a key)"
                children.append((key if path == "$" else f"{path}.{key}", child))
            stack.extend(reversed(children))  # reversed, so the first one in the document is reported
        elif isinstance(item, list):
            stack.extend(reversed([(f"{path}[{index}]", child) for index, child in enumerate(item)]))
    return None


def _validate(value: Any) -> _Frame:
    """Check the JSON-RPC 2.0 envelope with readable reasons, then build the SDK's model."""
    if isinstance(value, list):
        return _invalid("batch arrays are not supported; send one JSON-RPC message per line", None)
    if not isinstance(value, dict):
        return _invalid(f"expected a JSON object, got {_json_type(value)}", None)
    raw_id = value.get("id", _MISSING)
    request_id = raw_id if _is_request_id(raw_id) else None
    problem = _envelope_problem(value)
    if problem is not None:
        return _invalid(problem, request_id)
    try:
        return jsonrpc_message_adapter.validate_python(value, by_name=False)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return _invalid(f"{where}: {first['msg']}" if where else first["msg"], request_id)


def _envelope_problem(message: dict[str, Any]) -> str | None:
    version = message.get("jsonrpc", _MISSING)
    if version is _MISSING:
        return 'missing "jsonrpc": "2.0"'
    if not (isinstance(version, str) and version == "2.0"):
        return f'"jsonrpc" must be "2.0", got {_show(version)}'
    raw_id = message.get("id", _MISSING)
    if "method" in message:
        if not isinstance(message["method"], str):
            return f'"method" must be a string, got {_json_type(message["method"])}'
        for key in ("result", "error"):
            if key in message:
                return f'a request or notification cannot carry "{key}"'
        if raw_id is not _MISSING and not _is_request_id(raw_id):
            return f'"id" must be a string or an integer, got {_show(raw_id)}'
        if "params" in message and not isinstance(message["params"], dict):
            return f'"params" must be an object, got {_json_type(message["params"])}'
        return None
    if "result" in message and "error" in message:
        return 'a response cannot carry both "result" and "error"'
    if "result" in message:
        if not _is_request_id(raw_id):
            return f'"id" of a response must be a string or an integer, got {_show(raw_id)}'
        if not isinstance(message["result"], dict):
            return f'"result" must be an object, got {_json_type(message["result"])}'
        return None
    if "error" in message:
        if raw_id is _MISSING:
            return 'missing "id" (null when the request id is unknown)'
        if raw_id is not None and not _is_request_id(raw_id):
            return f'"id" must be a string, an integer or null, got {_show(raw_id)}'
        error = message["error"]
        if not isinstance(error, dict):
            return f'"error" must be an object, got {_json_type(error)}'
        code = error.get("code", _MISSING)
        if not isinstance(code, int) or isinstance(code, bool):
            return f'"error.code" must be an integer, got {_show(code)}'
        text = error.get("message", _MISSING)
        if not isinstance(text, str):
            return f'"error.message" must be a string, got {_show(text)}'
        return None
    return 'missing "method" (or "result"/"error" for a response)'


def _is_request_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _show(value: object) -> str:
    """A short JSON rendering of a scalar for an error message."""
    if value is _MISSING:
        return "nothing"
    if isinstance(value, dict | list):
        return _json_type(value)
    rendered = json.dumps(value)
    return rendered if len(rendered) <= 40 else rendered[:37] + "..."


def _error(code: int, message: str, request_id: RequestId | None) -> JSONRPCError:
    # id is passed even when None: replies are dumped with exclude_unset, and
    # JSON-RPC requires "id": null rather than no id.
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))


def _parse_error(detail: str) -> _Reject:
    return _Reject(_error(PARSE_ERROR, f"Parse error: {detail}", None))


def _invalid(detail: str, request_id: RequestId | None) -> _Reject:
    return _Reject(_error(INVALID_REQUEST, f"Invalid Request: {detail}", request_id))


# --- writing -------------------------------------------------------------------


async def _write_lines(messages: ContextReceiveStream[SessionMessage], stdout: IO[bytes]) -> None:
    """The one writer of the wire: every reply, the server's and the transport's own."""
    broken = False
    async with messages:
        async for session_message in messages:
            if broken:
                continue  # keep draining so the server never blocks on a dead pipe
            data = _encode(session_message.message)
            if data is None:
                continue
            try:
                await anyio.to_thread.run_sync(_write_line, stdout, data, abandon_on_cancel=True)
            except (OSError, ValueError) as exc:
                broken = True
                logger.warning("stdio: writing to stdout failed (%s); discarding further output", exc)


def _write_line(stdout: IO[bytes], data: bytes) -> None:
    stdout.write(data)
    stdout.flush()


def _encode(message: JSONRPCMessage) -> bytes | None:
    """One wire line; a reply that cannot be encoded becomes an internal error for its id."""
    try:
        return message.model_dump_json(by_alias=True, exclude_unset=True).encode("utf-8") + b"\n"
    except Exception:
        # E.g. a tool result holding a lone surrogate: the SDK's own writer
        # would die here and take the whole connection with it.
        logger.exception("stdio: cannot encode an outgoing %s", type(message).__name__)
    if isinstance(message, JSONRPCResponse | JSONRPCError) and message.id is not None:
        detail = "Internal error: the reply could not be encoded as JSON"
        fallback = _error(INTERNAL_ERROR, detail, message.id)
        return fallback.model_dump_json(by_alias=True, exclude_unset=True).encode("utf-8") + b"\n"
    if isinstance(message, JSONRPCRequest):
        logger.error("stdio: dropped server request %r (id %r): not encodable", message.method, message.id)
    return None


# --- claiming fd 0 and fd 1 ----------------------------------------------------
# Mirrors the SDK's stdio_server: the wire runs over private duplicates of fd 0
# and fd 1, while fd 0 reads the null device and fd 1 writes to stderr, so stray
# output from plugins (print, os.write(1, ...), child processes) misses the wire.
# The private descriptors are never closed: the reader thread may still be
# blocked on one after the transport exits, and a recycled number would be read
# by it.

_claimed: set[int] = set()
_claimed_lock = threading.Lock()


def _claim_fd(
    fd: int,
    stream: Any,
    mode: Literal["rb", "wb"],
    open_diversion: Callable[[], int],
    releases: list[Callable[[], None]],
) -> IO[bytes]:
    """Return the wire for a standard stream, diverting fd when possible; appends its release."""
    buffer: IO[bytes] | None = getattr(stream, "buffer", None)
    if buffer is None:
        raise RuntimeError(f"sys.{'stdin' if fd == 0 else 'stdout'} has no binary buffer; pass it explicitly")
    try:
        backed = buffer.fileno() == fd
    except (AttributeError, OSError, ValueError):
        backed = False
    if not backed:  # replaced by the embedding application: serve what it installed
        return buffer
    with _claimed_lock:
        if fd in _claimed:
            raise RuntimeError(f"fd {fd} is already claimed by another stdio transport in this process")
        _claimed.add(fd)
    try:
        private_fd = _dup_above_std(fd)
    except OSError:
        releases.append(lambda: _unclaim(fd))
        return buffer
    try:
        diversion_fd = open_diversion()
        try:
            os.dup2(diversion_fd, fd)
        finally:
            os.close(diversion_fd)
    except OSError:
        # Not diverted: serve in place through the shared buffer, since two
        # writers on one pipe (buffer and duplicate) would tear frames.
        with suppress(OSError):
            os.dup2(private_fd, fd)
        releases.append(lambda: _unclaim(fd))
        return buffer
    _rebind_windows_handle(fd)

    def release() -> None:
        # A claim whose fd cannot be restored stays claimed, so no later
        # transport is ever handed a diverted descriptor.
        try:
            os.dup2(private_fd, fd)
        except OSError:
            logger.error("stdio: could not restore fd %d", fd)
            return
        _rebind_windows_handle(fd)
        _unclaim(fd)

    releases.append(release)
    return os.fdopen(private_fd, mode, closefd=False)


def _unclaim(fd: int) -> None:
    with _claimed_lock:
        _claimed.discard(fd)


def _dup_above_std(fd: int) -> int:
    """A duplicate of fd that cannot land on 0-2 (where a later dup2 would clobber it)."""
    if sys.platform == "win32":
        duplicate = os.dup(fd)
        if duplicate <= 2:
            os.close(duplicate)
            raise OSError(f"duplicate of fd {fd} landed in the standard range")
        return duplicate
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


def _open_stdin_diversion() -> int:
    return os.open(os.devnull, os.O_RDONLY)


def _open_stdout_diversion() -> int:
    try:
        return os.dup(2)
    except OSError:
        return os.open(os.devnull, os.O_WRONLY)


def _rebind_windows_handle(fd: int) -> None:
    """dup2 updates only the C runtime's table; Windows children inherit the Win32 handle slot."""
    if sys.platform == "win32":
        from mcp.os.win32.utilities import rebind_std_handle_to_fd

        with suppress(OSError):
            rebind_std_handle_to_fd(fd)
