"""Fixtures of the GitHub connector's tests: hubs, a scripted HTTP server, Prism behind a recording shim."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from mcpea_plugin_github import GitHubSettings

from mcpea_core import Hub, HubConfig, ToolCall, ToolOutcome
from mcpea_core.context import local_principal

TOKEN = "ghp_test0000000000000000000000000000000000"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _only_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test loads the github plugin alone, from its entry point, with no config file."""
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "github")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)


def github_hub(base_url: str = "http://127.0.0.1:9", **settings: Any) -> Hub:
    """A hub whose github plugin talks to ``base_url``, without PyGithub's pacing sleeps."""
    table = {
        "token": TOKEN,
        "base_url": base_url,
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
        **settings,
    }
    return Hub(HubConfig.model_validate({"plugins": {"github": table}}))


@pytest.fixture
def make_hub() -> Iterator[Callable[..., Hub]]:
    """``make_hub(base_url, **settings)``: a hub loading the github plugin from its entry point."""
    hubs: list[Hub] = []

    def make(base_url: str = "http://127.0.0.1:9", **settings: Any) -> Hub:
        hubs.append(github_hub(base_url, **settings))
        return hubs[-1]

    yield make
    for hub in hubs:  # close the PyGithub clients' connections
        settings = hub.settings.get("github")
        if isinstance(settings, GitHubSettings):
            settings.close()


async def run_tool(hub: Hub, name: str, arguments: dict[str, Any]) -> tuple[ToolOutcome, ToolCall]:
    """Call a tool through the hub's pipeline; the ``ToolCall`` shows what the connector reported."""
    call = ToolCall(tool=hub.load().get_tool(name), arguments=arguments, principal=local_principal())
    return await hub.execute(call), call


@pytest.fixture
def run() -> Callable[..., Awaitable[tuple[ToolOutcome, ToolCall]]]:
    """``await run(hub, tool, arguments)`` -> (outcome, call)."""
    return run_tool


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retry policy asked for, recorded instead of slept."""
    from mcpea_plugin_github import retry

    waits: list[float] = []
    monkeypatch.setattr(retry, "_sleep", waits.append)
    return waits


# --- a scripted GitHub -------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class ScriptedGitHub:
    """A local HTTP server answering from a script, recording every request it gets.

    Replies (see :meth:`script`) are used in order; the last one repeats. Every reply carries an
    ``X-GitHub-Request-Id`` (``REQ-<n>``) as GitHub's do.
    """

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(200, {})]
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.seen.append(
                        Seen(self.command, self.path, dict(self.headers), json.loads(raw) if raw else None)
                    )
                    reply = outer.replies.pop(0) if len(outer.replies) > 1 else outer.replies[0]
                    number = len(outer.seen)
                body = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-GitHub-Request-Id", f"REQ-{number}")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *replies: tuple[Any, ...]) -> None:
        """Replies as ``(status, body)`` or ``(status, body, headers)``."""
        self.replies = [Reply(*reply) for reply in replies]

    @property
    def methods(self) -> list[str]:
        return [seen.method for seen in self.seen]


@pytest.fixture
def scripted() -> Iterator[ScriptedGitHub]:
    server = ScriptedGitHub()
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


# --- Prism, behind a recording shim -------------------------------------------


class PrismShim:
    """A pass-through proxy in front of Prism that records requests and mends two gaps of the mock.

    - GitHub's description gives some examples as ``"value": {"$ref": "#/components/examples/issue"}``,
      a reference to a whole Example Object (with ``x-github-breaking-changes`` beside its ``value``);
      Prism then answers that object, not the issue. The shim answers the ``value``, as GitHub would.
    - GitHub sends ``X-GitHub-Request-Id`` on every response; the description does not declare it, so
      Prism does not. The shim adds ``PRISM-<n>`` so the audit path runs through real PyGithub.

    Requests and Prism's verdicts (status, ``sl-violations``) pass through untouched, and Prism's base
    URL in bodies and headers is replaced by the shim's (PyGithub refuses other hosts and ports).
    """

    def __init__(self, prism_base: str) -> None:
        self.prism_base = prism_base
        self.seen: list[tuple[str, str, int]] = []
        self.violations: list[str] = []
        self._lock = threading.Lock()
        host, port = prism_base.removeprefix("http://").split(":")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _proxy(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream = http.client.HTTPConnection(host, int(port), timeout=30)
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = outer._mend(response.read())
                with outer._lock:
                    outer.seen.append((self.command, self.path.split("?")[0], response.status))
                    number = len(outer.seen)
                    if response.getheader("sl-violations") and response.status >= 400:
                        outer.violations.append(response.getheader("sl-violations") or "")
                upstream.close()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in (
                        "content-length",
                        "connection",
                        "keep-alive",
                        "transfer-encoding",
                    ):
                        self.send_header(name, value.replace(outer.prism_base, outer.base_url))
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-GitHub-Request-Id", f"PRISM-{number}")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _proxy

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _mend(self, data: bytes) -> bytes:
        data = data.replace(self.prism_base.encode(), self.base_url.encode())
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            return data
        if isinstance(parsed, dict) and set(parsed) == {"value", "x-github-breaking-changes"}:
            return json.dumps(parsed["value"]).encode()
        return data

    def take(self) -> list[tuple[str, str, int]]:
        """The requests seen since the last call: (method, path without query, Prism's status)."""
        with self._lock:
            seen, self.seen = self.seen, []
        return seen


@pytest.fixture(scope="module")
def prism_github() -> Iterator[PrismShim]:
    from doubles.prism import prism

    with prism("github") as base:
        shim = PrismShim(base)
        thread = threading.Thread(
            target=shim.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield shim
        finally:
            shim.server.shutdown()
            shim.server.server_close()
