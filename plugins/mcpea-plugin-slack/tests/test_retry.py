"""Retries happen in slack_sdk's own handlers, configured by the connector; the tests count requests.

No test sleeps: the waits are the SDK's, after the Retry-After a local
server sends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from mcpea_core import Hub

pytestmark = pytest.mark.anyio

POST = {"channel": "C0123ABCD", "text": "hello"}
LIMITED = {"ok": False, "error": "ratelimited"}


async def test_a_429_is_retried_after_retry_after(make_hub: Callable[..., Hub], fake_slack: Any) -> None:
    fake_slack.answer("chat.postMessage", LIMITED, status=429, headers={"Retry-After": "1"})
    hub = make_hub(base_url=fake_slack.base_url + "api/")
    started = time.monotonic()
    async with hub, hub.client() as client:
        result = await client.call_tool("slack_post_message", POST)
    waited = time.monotonic() - started
    assert not result.is_error, result.content
    assert len(fake_slack.calls("chat.postMessage")) == 2
    assert 1.0 <= waited < 10


async def test_retries_stop_at_rate_limit_retries(make_hub: Callable[..., Hub], fake_slack: Any) -> None:
    fake_slack.answer("chat.postMessage", LIMITED, status=429, headers={"Retry-After": "0"}, times=5)
    hub = make_hub(base_url=fake_slack.base_url + "api/", rate_limit_retries=2)
    async with hub, hub.client() as client:
        result = await client.call_tool("slack_post_message", POST)
    assert result.is_error and "rate-limiting" in result.content[0].text  # type: ignore[union-attr]
    assert len(fake_slack.calls("chat.postMessage")) == 3


async def test_a_long_retry_after_is_not_waited_out(make_hub: Callable[..., Hub], fake_slack: Any) -> None:
    fake_slack.answer("chat.postMessage", LIMITED, status=429, headers={"Retry-After": "120"})
    hub = make_hub(base_url=fake_slack.base_url + "api/", max_retry_wait=30)
    started = time.monotonic()
    async with hub, hub.client() as client:
        result = await client.call_tool("slack_post_message", POST)
    assert time.monotonic() - started < 5
    assert result.is_error and "Retry in 120 seconds" in result.content[0].text  # type: ignore[union-attr]
    assert len(fake_slack.calls("chat.postMessage")) == 1


@asynccontextmanager
async def dropping_server(drops: int) -> AsyncIterator[tuple[str, list[str]]]:
    """A server that reads each request and hangs up on the first ``drops``, then answers ``ok``."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b" ")[1].decode())
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        await reader.readexactly(length)
        if len(seen) > drops:
            body = b'{"ok": true, "channels": [], "channel": "C0123ABCD", "ts": "1.2"}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/api/", seen


async def test_a_dropped_read_is_retried_once(make_hub: Callable[..., Hub]) -> None:
    async with dropping_server(drops=1) as (base_url, seen):
        hub = make_hub(base_url=base_url)
        async with hub, hub.client() as client:
            result = await client.call_tool("slack_list_channels", {})
    assert not result.is_error, result.content
    assert len(seen) == 2


async def test_a_dropped_post_is_not_repeated(make_hub: Callable[..., Hub]) -> None:
    async with dropping_server(drops=1) as (base_url, seen):
        hub = make_hub(base_url=base_url)
        async with hub, hub.client() as client:
            result = await client.call_tool("slack_post_message", POST)
    assert result.is_error
    assert "may or may not have happened" in result.content[0].text  # type: ignore[union-attr]
    assert seen == ["/api/chat.postMessage"]
