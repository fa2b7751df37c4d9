"""Wrap & enhance end to end: real plugins, real stores, a real MCP client, configured as an operator would.

* A Stripe payment intent created with `notify` leaves an audit record with its
  idempotency key, a delivered (signed) notification and a readable receipt.
* A Stripe tool that succeeds posts to Slack through the `slack:` channel, via
  the durable outbox (composition across plugins).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import pytest

from doubles.localstripe import localstripe
from mcpea_core import Hub, HubConfig
from mcpea_core.audit import RecordFilter, open_store
from mcpea_core.notify.webhook import verify_signature

pytestmark = pytest.mark.anyio
SECRET = "integration-webhook-secret-0123456789"


class Recorder:
    """A loopback HTTP endpoint recording each POST (path, headers, body); answers like Slack's API."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.posts.append((self.path, dict(self.headers), body))
                reply = json.dumps({"ok": True, "channel": "C0PAY", "ts": "1700000000.000100"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def stripe_url() -> Iterator[str]:
    pytest.importorskip("mcpea_plugin_stripe", reason="the Stripe plugin is not installed: run ./dev setup")
    with localstripe() as url:
        yield url


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()


async def eventually(check: Any, timeout: float = 20.0) -> None:
    with anyio.fail_after(timeout):
        while not check():
            await anyio.sleep(0.02)


async def test_payment_intent_with_notify_is_audited_notified_and_receipted(
    stripe_url: str, recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "stripe")
    monkeypatch.delenv("MCPEA_AUDIT_STORE")
    store_url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    config = HubConfig.model_validate({
        "plugins": {"stripe": {"api_key": "sk_test_integration", "api_base": stripe_url}},
        "audit": {"store": store_url},
        "notify": {
            "channels": {"webhook:ops": {"url": recorder.url + "hook", "secret": SECRET}},
            "retry": {"base_backoff": 0.05, "max_backoff": 0.2},
        },
    })
    async with Hub(config) as hub, hub.client() as client:
        schema = {t.name: t for t in (await client.list_tools()).tools}["stripe_create_payment_intent"].input_schema
        assert "notify" in schema["properties"]
        result = await client.call_tool(
            "stripe_create_payment_intent",
            {"amount": 1999, "currency": "usd", "payment_method": "pm_card_visa", "notify": ["webhook:ops"]},
        )
        assert not result.is_error, result.content
        intent = result.structured_content or {}
        receipt = await client.read_resource(f"stripe://receipts/{intent['id']}")
        await eventually(lambda: recorder.posts)
    kept = json.loads(receipt.contents[0].text)  # type: ignore[union-attr]
    assert kept["amount"] == 1999 and kept["currency"] == "usd" and "Stripe payment receipt" in kept["text"]

    store = await open_store(store_url)
    try:
        ends = [r async for r in store.iter_records(RecordFilter(tool="stripe_create_payment_intent", phase="end"))]
        report = await store.verify()
    finally:
        await store.close()
    [end] = ends
    assert end.outcome == "success" and report.ok
    key = f"mcpea-{end.call_id}"
    assert end.upstream["idempotency_keys"] == [key] and kept["idempotency_key"] == key

    path, headers, body = recorder.posts[0]
    assert path == "/hook" and verify_signature(SECRET.encode(), body, headers.get("X-Mcpea-Signature"))
    note = json.loads(body)
    assert note["tool"] == "stripe_create_payment_intent" and note["call_id"] == end.call_id
    assert "sk_test_integration" not in body.decode()


async def test_stripe_success_posts_to_slack_through_the_outbox(
    stripe_url: str, recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mcpea_plugin_slack", reason="the Slack plugin is not installed: run ./dev setup")
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "stripe,slack")
    config = HubConfig.model_validate({
        "plugins": {
            "stripe": {"api_key": "sk_test_integration", "api_base": stripe_url},
            "slack": {"bot_token": "xoxb-integration-token", "base_url": recorder.url + "api/"},
        },
        "notify": {
            "outbox": str(tmp_path / "outbox.sqlite3"),
            "channels": {"slack:#payments": {}},
            "routes": [{"tools": ["stripe_create_*"], "outcomes": ["success"], "channels": ["slack:#payments"]}],
            "retry": {"base_backoff": 0.05, "max_backoff": 0.2},
        },
    })
    async with Hub(config, strict=True) as hub, hub.client() as client:
        created = await client.call_tool("stripe_create_customer", {"email": "grace@example.com"})
        listed = await client.call_tool("stripe_list_customers", {})
        assert not created.is_error and not listed.is_error
        await eventually(lambda: any(p[0].endswith("chat.postMessage") for p in recorder.posts))
    posts = [p for p in recorder.posts if p[0].endswith("chat.postMessage")]
    assert len(posts) == 1  # the route matched stripe_create_* only
    _, headers, body = posts[0]
    args = json.loads(body) if headers.get("Content-Type", "").startswith("application/json") else {
        k: v[0] for k, v in parse_qs(body.decode()).items()
    }
    assert args["channel"] == "#payments"
    assert "stripe_create_customer" in json.dumps(args)
    assert headers.get("Authorization") == "Bearer xoxb-integration-token"
