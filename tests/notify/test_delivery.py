"""End to end: a hub, the plugin, a SQLite outbox and a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcpea_core.notify.outbox import Status, idempotency_key
from mcpea_core.notify.plugin import NotifyPlugin
from mcpea_core.notify.settings import NotifySettings
from mcpea_core.notify.sqlite_outbox import SQLiteOutbox
from mcpea_core.notify.webhook import SIGNATURE_HEADER, sign, verify_signature
from notify.support import FAST_WORKER, SECRET, Receiver, eventually, notify_hub, settings

pytestmark = pytest.mark.anyio


def plugin(config: NotifySettings, path: Path) -> NotifyPlugin:
    return NotifyPlugin(config, outbox=SQLiteOutbox(path), worker_options=FAST_WORKER)


def webhook_only(url: str, **overrides: Any) -> NotifySettings:
    return settings(url, routes=[{"tools": ["example_*"], "channels": ["webhook:ops"]}], **overrides)


async def counts(path: Path) -> dict[Status, int]:
    outbox = SQLiteOutbox(path)
    await outbox.open()
    try:
        return await outbox.counts()
    finally:
        await outbox.close()


async def test_signed_notification_reaches_the_receiver(receiver: Receiver, tmp_path: Path) -> None:
    outbox_path = tmp_path / "notify.sqlite3"
    async with notify_hub(("notify", plugin(webhook_only(receiver.url), outbox_path))) as hub:
        tool = hub.tools["example_echo_text"]
        result = await hub.call_tool(tool.name, {"text": "hi ghp_abcdefghijklmnopqrstuvwxyz0123456789"})
        await eventually(lambda: receiver.answered == 1)
        await eventually(lambda: _delivered(outbox_path))
    assert not result.is_error
    (request,) = receiver.requests
    assert verify_signature(SECRET.encode(), request.body, request.headers[SIGNATURE_HEADER])
    assert request.headers[SIGNATURE_HEADER] == sign(SECRET.encode(), request.body)
    assert not verify_signature(b"another-secret-0123456789", request.body, request.headers[SIGNATURE_HEADER])
    assert not verify_signature(SECRET.encode(), request.body + b" ", request.headers[SIGNATURE_HEADER])
    payload = request.payload
    assert request.headers["Content-Type"] == "application/json"
    assert (
        request.headers["Idempotency-Key"]
        == payload["id"]
        == idempotency_key(payload["call_id"], "webhook:ops")
    )
    assert request.headers["X-Mcpea-Attempt"] == "1"
    assert payload["tool"] == "example_echo_text" and payload["outcome"] == "success"
    assert payload["arguments"]["text"].startswith("hi [REDACTED:github_token")
    assert "ghp_" not in request.body.decode()


async def _delivered(path: Path, n: int = 1) -> bool:
    return (await counts(path))["delivered"] == n


async def test_a_failing_channel_is_retried_with_one_idempotency_key(tmp_path: Path) -> None:
    outbox_path = tmp_path / "notify.sqlite3"
    with Receiver([500, 503]) as receiver:
        async with notify_hub(("notify", plugin(webhook_only(receiver.url), outbox_path))) as hub:
            result = await hub.call_tool("example_echo_text", {"text": "hi"})
            await eventually(lambda: _delivered(outbox_path))
    assert not result.is_error
    assert len(receiver.requests) == 3
    assert len({r.headers["Idempotency-Key"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1  # the same signed body every time
    assert [r.headers["X-Mcpea-Attempt"] for r in receiver.requests] == ["1", "2", "3"]


async def test_a_stuck_channel_does_not_delay_tool_calls(tmp_path: Path) -> None:
    outbox_path = tmp_path / "notify.sqlite3"
    with Receiver() as receiver:
        receiver.hold.clear()
        patient = {"webhook:ops": {"url": receiver.url, "secret": SECRET, "timeout": 20}}
        config = webhook_only(receiver.url, channels=patient)
        async with notify_hub(("notify", plugin(config, outbox_path))) as hub:
            await hub.call_tool("example_echo_text", {"text": "first"})
            await eventually(lambda: len(receiver.requests) == 1)  # the receiver holds it, unanswered
            with anyio.fail_after(5):  # well under the channel's 20 s timeout
                for n in range(5):
                    result = await hub.call_tool("example_echo_text", {"text": f"call {n}"})
                    assert not result.is_error
            assert receiver.answered == 0
            receiver.hold.set()
            await eventually(lambda: _delivered(outbox_path, 6))


async def test_dead_lettered_after_max_attempts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outbox_path = tmp_path / "notify.sqlite3"
    with Receiver(default=500) as receiver:
        async with notify_hub(("notify", plugin(webhook_only(receiver.url), outbox_path))) as hub:
            await hub.call_tool("example_echo_text", {"text": "doomed"})
            await eventually(lambda: _dead(outbox_path))
    assert len(receiver.requests) == 3
    outbox = SQLiteOutbox(outbox_path)
    await outbox.open()
    (dead,) = await outbox.list_entries("dead")
    await outbox.close()
    assert dead.attempts == 3 and dead.last_error == "webhook:ops: HTTP 500 Internal Server Error"
    assert "dead-lettered after 3 attempt(s)" in caplog.text


async def _dead(path: Path) -> bool:
    return (await counts(path))["dead"] == 1


async def test_a_refusing_receiver_dead_letters_at_once(tmp_path: Path) -> None:
    outbox_path = tmp_path / "notify.sqlite3"
    with Receiver([422]) as receiver:
        async with notify_hub(("notify", plugin(webhook_only(receiver.url), outbox_path))) as hub:
            await hub.call_tool("example_echo_text", {"text": "unwanted"})
            await eventually(lambda: _dead(outbox_path))
    assert len(receiver.requests) == 1


async def test_pending_notifications_survive_a_restart(tmp_path: Path) -> None:
    outbox_path = tmp_path / "notify.sqlite3"
    patient = {"max_attempts": 10, "base_backoff": 0.05, "max_backoff": 0.1}
    with Receiver(default=503) as down:
        async with notify_hub(("notify", plugin(webhook_only(down.url, retry=patient), outbox_path))) as hub:
            await hub.call_tool("example_echo_text", {"text": "one"})
            await hub.call_tool("example_echo_text", {"text": "two"})
            await eventually(lambda: len(down.requests) >= 2)
    assert (await counts(outbox_path))["pending"] == 2
    first_keys = {r.headers["Idempotency-Key"] for r in down.requests}

    with Receiver() as up:  # a new hub process would do the same: a new plugin and outbox over the file
        async with notify_hub(("notify", plugin(webhook_only(up.url, retry=patient), outbox_path))):
            await eventually(lambda: _delivered(outbox_path, 2))
    assert {r.headers["Idempotency-Key"] for r in up.requests} == first_keys
    assert {r.payload["arguments"]["text"] for r in up.requests} == {"one", "two"}


async def test_the_log_channel_writes_to_the_notify_logger(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mcpea.notify")
    outbox_path = tmp_path / "notify.sqlite3"
    config = settings(routes=[{"channels": ["log:audit"]}])
    async with notify_hub(("notify", plugin(config, outbox_path))) as hub:
        await hub.call_tool("example_echo_text", {"text": "logged"})
        await eventually(lambda: any(r.message.startswith("log:audit ") for r in caplog.records))
    (record,) = [r for r in caplog.records if r.message.startswith("log:audit ")]
    assert record.name == "mcpea.notify" and record.levelno == logging.INFO
    assert json.loads(record.message.removeprefix("log:audit "))["arguments"] == {"text": "logged"}
