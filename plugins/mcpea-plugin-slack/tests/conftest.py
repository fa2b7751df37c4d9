"""Fixtures of the Slack connector's tests: hubs, and a small fake of Slack's Web API.

* ``make_hub(**settings)``: a real ``mcpea_core.Hub`` that loads this plugin
  through its entry point (``MCPEA_LOAD_PLUGINS=slack``) with
  ``[plugins.slack]`` settings.
* ``fake_slack``: an aiohttp server on 127.0.0.1 (its own thread and loop, so
  the hub's loop and the notification worker's can both reach it) that
  records every request and answers:

  - from a per-method script when a test queued answers (``fake.answer``);
  - ``files.getUploadURLExternal``, the upload URL and
    ``files.completeUploadExternal`` (what ``files_upload_v2`` calls, newer
    than Slack's 2020 description) checked against Slack's documented
    parameters (docs.slack.dev/reference/methods/...): required ones present
    and typed, nothing undocumented, lengths matching the bytes uploaded;
  - ``chat.postMessage`` with ``channel`` and ``text`` or ``blocks`` required;
  - ``{"ok": true}`` for any other method.

Slack takes a method's arguments as query parameters, a form or a JSON
body, and so does the fake.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from mcpea_core import Hub, HubConfig

TOKEN = "xoxb-111-222-SECRETtokenVALUE"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "slack")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "off")  # no built-in audit trail in the user's state directory


@pytest.fixture
def slack_token() -> str:
    """The bot token every test hub uses; it must never show up in a result, an error or a log."""
    return TOKEN


@pytest.fixture
def make_hub() -> Callable[..., Hub]:
    def make(**settings: Any) -> Hub:
        config: dict[str, Any] = {"bot_token": TOKEN, **settings}
        extra = config.pop("config", {})
        return Hub(HubConfig.model_validate({"plugins": {"slack": config}, **extra}), strict=True)

    return make


# --- the fake ---------------------------------------------------------------

# Documented arguments (besides token) of the newer methods the fake checks: name -> type.
GET_UPLOAD_URL: dict[str, type] = {"filename": str, "length": int, "alt_txt": str, "snippet_type": str}
GET_UPLOAD_URL_REQUIRED = {"filename", "length"}
COMPLETE_UPLOAD: dict[str, type] = {
    "files": list,
    "channel_id": str,
    "channels": str,
    "initial_comment": str,
    "thread_ts": str,
    "blocks": list,
}
COMPLETE_UPLOAD_REQUIRED = {"files"}
FILE_ITEM = {"id", "title"}


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    args: dict[str, Any]
    body: bytes = b""


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """The fake's state: what it saw, what it was told to answer, the uploads in flight."""

    def __init__(self) -> None:
        self.base_url = ""
        self.seen: list[Seen] = []
        self.scripts: dict[str, deque[Answer]] = defaultdict(deque)
        self.uploads: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def answer(
        self,
        method: str,
        body: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (such as ``chat.postMessage``) with this."""
        for _ in range(times):
            self.scripts[method].append(Answer(status, body, headers or {}))

    def calls(self, method: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method]

    # -- handlers --

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.read()
        args = await _arguments(request, body)
        self.seen.append(Seen(method, request.path, dict(request.headers), args, body))
        if self.scripts[method]:
            answer = self.scripts[method].popleft()
            return web.json_response(answer.body, status=answer.status, headers=answer.headers)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _ok_false("not_authed")
        handler = {
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "chat.postMessage": self._post_message,
        }.get(method)
        return handler(args) if handler else web.json_response({"ok": True})

    async def upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.seen.append(Seen("upload", request.path, dict(request.headers), {}, data))
        upload = self.uploads.get(file_id)
        if upload is None:
            return web.Response(status=404, text="unknown upload url")
        upload["data"] = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    def _get_upload_url(self, args: dict[str, Any]) -> web.Response:
        problems = _check(args, GET_UPLOAD_URL, GET_UPLOAD_URL_REQUIRED)
        if problems:
            return _ok_false("invalid_arguments", problems)
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"]), "data": None}
        return web.json_response(
            {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}upload/v1/{file_id}"}
        )

    def _complete_upload(self, args: dict[str, Any]) -> web.Response:
        problems = _check(args, COMPLETE_UPLOAD, COMPLETE_UPLOAD_REQUIRED)
        if problems:
            return _ok_false("invalid_arguments", problems)
        if "thread_ts" in args and "channel_id" not in args:
            return _ok_false("invalid_arguments", ["thread_ts requires channel_id"])
        shared = []
        for item in args["files"]:
            if not isinstance(item, dict) or "id" not in item or set(item) - FILE_ITEM:
                return _ok_false("invalid_arguments", [f"files: items are {{id, title}}, not {item!r}"])
            upload = self.uploads.get(item["id"])
            if upload is None or upload["data"] is None:
                return _ok_false("file_not_found")
            if len(upload["data"]) != upload["length"]:
                return _ok_false("file_upload_size_mismatch")
            title = item.get("title") or upload["filename"]
            shared.append(
                {
                    "id": item["id"],
                    "name": upload["filename"],
                    "title": title,
                    "permalink": f"https://fake.slack.test/files/{item['id']}",
                }
            )
        return web.json_response({"ok": True, "files": shared})

    def _post_message(self, args: dict[str, Any]) -> web.Response:
        if not args.get("channel"):
            return _ok_false("channel_not_found")
        if not args.get("text") and not args.get("blocks"):
            return _ok_false("no_text")
        return web.json_response(
            {"ok": True, "channel": "C0PAYMENTS", "ts": f"1712345678.{next(self._ids):06d}"}
        )


def _ok_false(error: str, messages: list[str] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}
    return web.json_response(body)


async def _arguments(request: web.Request, body: bytes) -> dict[str, Any]:
    """A method's arguments, wherever the caller put them; JSON-encoded values decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json" and body:
        args.update(json.loads(body))
    elif request.content_type == "application/x-www-form-urlencoded":
        args.update(dict(await request.post()))
    for name in ("files", "blocks"):
        if isinstance(args.get(name), str):
            try:
                args[name] = json.loads(args[name])
            except ValueError:
                pass
    return args


def _check(args: dict[str, Any], documented: dict[str, type], required: set[str]) -> list[str]:
    problems = [f"missing required field: {name}" for name in sorted(required - set(args))]
    for name, value in args.items():
        if name == "token":
            continue
        kind = documented.get(name)
        if kind is None:
            problems.append(f"unknown field: {name}")
        elif kind is int and not str(value).isdigit():
            problems.append(f"{name} must be an integer")
        elif kind is not int and not isinstance(value, kind):
            problems.append(f"{name} must be a {kind.__name__}")
    return problems


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """The fake on a free loopback port, served from a thread of its own."""
    fake = FakeSlack()
    app = web.Application()
    app.router.add_post("/api/{method}", fake.api)
    app.router.add_get("/api/{method}", fake.api)
    app.router.add_post("/upload/v1/{file_id}", fake.upload)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    fake.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="fake-slack", daemon=True)
    thread.start()
    assert started.wait(10), "the fake Slack server did not start"
    try:
        yield fake
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
