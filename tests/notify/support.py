"""Helpers for the notification tests (imported as notify.support): a real webhook receiver, bounded waits."""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio

from mcpea_core import Hub, HubConfig
from mcpea_core.notify import hookspecs as notify_hookspecs
from mcpea_core.notify.outbox import OutboxEntry, idempotency_key
from mcpea_core.notify.settings import NotifySettings

SECRET = "test-webhook-secret-0123456789"
FAST_WORKER = {"lease": 5.0, "delivery_timeout": 3.0, "grace": 1.0}


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class Receiver:
    """A webhook receiver on 127.0.0.1:<free port> in a thread.

    Records every request; answers with ``statuses`` in turn, then ``default``.
    While ``hold`` is clear, requests wait (up to 30 s) before being answered:
    a stuck channel.
    """

    def __init__(self, statuses: Iterable[int] = (), *, default: int = 200) -> None:
        self.statuses = deque(statuses)
        self.default = default
        self.requests: list[Received] = []
        self.answered = 0
        self.hold = threading.Event()
        self.hold.set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests.append(Received(dict(self.headers.items()), body))
                receiver.hold.wait(30)
                with receiver._lock:
                    status = receiver.statuses.popleft() if receiver.statuses else receiver.default
                    receiver.answered += 1
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/mcpea"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


async def eventually(check: Callable[[], bool | Awaitable[bool]], *, timeout: float = 10.0) -> None:
    """Poll ``check`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {getattr(check, '__name__', check)}")
        await anyio.sleep(0.01)


def notify_hub(*plugins: tuple[str, object], config: HubConfig | None = None) -> Hub:
    """A hub with these plugins and the example plugin, the notification hookspec registered."""
    hub = Hub(config, plugins=list(plugins))
    if not hasattr(hub.host.pm.hook, "register_channels"):  # until the lead wires it into PluginHost
        hub.host.pm.add_hookspecs(notify_hookspecs)
    return hub


def settings(url: str = "http://127.0.0.1:9/unused", **overrides: Any) -> NotifySettings:
    """Channels webhook:ops (to ``url``) and log:audit, fast retries, no routes unless given."""
    data: dict[str, Any] = {
        "channels": {"webhook:ops": {"url": url, "secret": SECRET, "timeout": 2}, "log:audit": {}},
        "retry": {"max_attempts": 3, "base_backoff": 0.01, "max_backoff": 0.05},
    }
    data.update(overrides)
    return NotifySettings.model_validate(data)


def make_entry(
    call_id: str, channel: str = "webhook:ops", *, at: float | None = None, **fields: Any
) -> OutboxEntry:
    now = time.time() if at is None else at
    values: dict[str, Any] = {
        "id": f"id-{call_id}-{channel}",
        "idempotency_key": idempotency_key(call_id, channel),
        "channel": channel,
        "payload": json.dumps({"call_id": call_id, "tool": "example_echo_text", "outcome": "success"}),
        "created_at": now,
        "next_attempt_at": now,
    }
    values.update(fields)
    return OutboxEntry(**values)
