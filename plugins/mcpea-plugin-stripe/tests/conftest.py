"""Fixtures of the Stripe connector's tests: hubs, an in-process recorder, localstripe.

* ``recorder``: a ``stripe.HTTPClient`` that records every request the SDK
  sends (method, path, headers, form) and answers from a queue of canned
  replies, or with a plausible object for the path. No socket is opened.
* ``make_hub``: a real ``mcpea_core.Hub`` loading this plugin through its
  entry point (``MCPEA_LOAD_PLUGINS=stripe``) with ``[plugins.stripe]``
  settings, optionally sending its Stripe requests to the recorder.
* ``localstripe``: localstripe's aiohttp app served on 127.0.0.1 on a free
  port, in a thread of this process (its own launcher binds every interface
  and pickles its store to /tmp on every write; both are avoided here).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from mcpea_core import Hub, HubConfig, Principal, ToolCall, ToolOutcome

TEST_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "stripe")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


_ids = itertools.count(1)


def _plausible(method: str, path: str, form: dict[str, str]) -> dict[str, Any]:
    """An answer shaped like Stripe's for the few paths the tools use."""
    parts = path.strip("/").split("/")[1:]  # without "v1"
    n = next(_ids)
    if method == "get" and len(parts) == 1 and parts[0] != "balance":
        return {"object": "list", "data": [], "has_more": False, "url": path}
    if parts[0] == "balance":
        return {
            "object": "balance",
            "available": [{"amount": 1050, "currency": "usd"}],
            "pending": [],
            "livemode": False,
        }
    if parts[0] == "customers":
        cid = parts[1] if len(parts) > 1 else f"cus_rec{n}"
        return {
            "id": cid,
            "object": "customer",
            "email": form.get("email"),
            "name": form.get("name"),
            "metadata": {},
            "livemode": False,
        }
    if parts[0] == "payment_intents":
        pid = parts[1] if len(parts) > 1 else f"pi_rec{n}"
        status = {"confirm": "succeeded", "cancel": "canceled"}.get(parts[-1], "requires_confirmation")
        return {
            "id": pid,
            "object": "payment_intent",
            "amount": int(form.get("amount", 2000)),
            "currency": form.get("currency", "usd"),
            "status": status,
            "customer": form.get("customer"),
            "metadata": {},
            "livemode": False,
        }
    if parts[0] == "refunds":
        return {
            "id": f"re_rec{n}",
            "object": "refund",
            "amount": int(form.get("amount", 2000)),
            "currency": "usd",
            "status": "succeeded",
            "payment_intent": form.get("payment_intent"),
            "metadata": {},
        }
    return {"id": parts[1] if len(parts) > 1 else f"obj_rec{n}", "object": parts[0].rstrip("s")}


def _recording_client() -> Any:
    """A new recording ``stripe.HTTPClient`` (stripe imported lazily, as the plugin does)."""
    import anyio
    import stripe

    class RecordingClient(stripe.HTTPClient):
        name = "recorder"

        def __init__(self) -> None:
            super().__init__()
            self.requests: list[Recorded] = []
            self.replies: list[tuple[int, dict[str, Any], dict[str, str]]] = []

        def reply(self, status: int, body: dict[str, Any], **headers: str) -> None:
            """Queue one answer; when the queue is empty, a plausible object is sent."""
            self.replies.append((status, body, headers))

        async def request_async(
            self, method: str, url: str, headers: Any, post_data: Any = None
        ) -> tuple[bytes, int, dict[str, str]]:
            split = urlsplit(url)
            raw = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
            form = dict(parse_qsl(raw))
            self.requests.append(
                Recorded(method, split.path, dict(headers), form, dict(parse_qsl(split.query)))
            )
            if self.replies:
                status, body, extra = self.replies.pop(0)
            else:
                status, body, extra = 200, _plausible(method, split.path, form), {}
            reply_headers = {"request-id": f"req_rec{len(self.requests)}", **extra}
            return json.dumps(body).encode(), status, reply_headers

        def sleep_async(self, secs: float) -> Any:
            return anyio.sleep(0)  # the SDK's backoff, without the wait

        async def close_async(self) -> None:
            pass

    return RecordingClient()


@pytest.fixture
def recorder() -> Any:
    return _recording_client()


def hub_config(**settings: Any) -> HubConfig:
    return HubConfig.model_validate({"plugins": {"stripe": {"api_key": TEST_KEY, **settings}}})


@pytest.fixture
def make_hub() -> Callable[..., Hub]:
    """``make_hub(recorder=None, **settings)``: a hub with this plugin, loaded."""

    def make(recorder: Any = None, **settings: Any) -> Hub:
        from mcpea_plugin_stripe.client import use_http_client

        hub = Hub(hub_config(**settings)).load()
        if recorder is not None:
            use_http_client(hub.settings["stripe"], recorder)  # type: ignore[arg-type]
        return hub

    return make


async def run_call(
    hub: Hub, tool: str, arguments: dict[str, Any], call_id: str | None = None
) -> tuple[ToolCall, ToolOutcome]:
    """One call through the hub's whole pipeline, with a chosen call id (as a retry would keep)."""
    await hub.start()
    call = ToolCall(tool=hub.get_tool(tool), arguments=dict(arguments), principal=Principal(id="test"))
    if call_id is not None:
        call.call_id = call_id
    return call, await hub.execute(call)


@pytest.fixture
def call() -> Callable[..., Any]:
    """``await call(hub, tool, arguments, call_id=None) -> (ToolCall, ToolOutcome)``."""
    return run_call


async def _stop(runner: Any) -> None:
    await runner.cleanup()
    # localstripe sends each event's webhooks a second later, from tasks of its own.
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """Base URL of localstripe on 127.0.0.1 (skipped only when the test extra is not installed)."""
    pytest.importorskip(
        "localstripe.server",
        reason="localstripe is not installed: pip install -e 'plugins/mcpea-plugin-stripe[test]'",
    )
    from aiohttp import web
    from localstripe import resources, server  # type: ignore[import-untyped]

    dump = resources.Store.dump_to_disk
    resources.Store.dump_to_disk = lambda self: None
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(server.app, access_log=None)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="localstripe", daemon=True)
    thread.start()
    assert ready.wait(30), "localstripe did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(_stop(runner), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
        resources.Store.dump_to_disk = dump
