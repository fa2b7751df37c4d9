"""The webhook channel's answers to each kind of HTTP outcome (httpx's mock transport: no sockets)."""

from __future__ import annotations

import httpx
import pytest

from mcpea_core.notify.channels import Delivery, DeliveryError
from mcpea_core.notify.webhook import WebhookChannel, WebhookSettings, verify_signature
from notify.support import SECRET

pytestmark = pytest.mark.anyio

DELIVERY = Delivery("entry-1", "webhook:ops", "mcpea-call-1-abc", b'{"tool":"x"}', 2)


def channel(handler: httpx.MockTransport) -> WebhookChannel:
    settings = WebhookSettings.model_validate(
        {"url": "https://user:pw@hooks.example/in?token=t0p", "secret": SECRET, "timeout": 1.5}
    )
    return WebhookChannel("webhook:ops", settings, transport=handler)


async def send(status: int, headers: dict[str, str] | None = None) -> DeliveryError | None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, headers=headers)

    hook = channel(httpx.MockTransport(answer))
    try:
        await hook.send(DELIVERY)
    except DeliveryError as exc:
        return exc
    finally:
        await hook.aclose()
    (request,) = seen
    assert verify_signature(SECRET.encode(), request.content, request.headers["X-Mcpea-Signature"])
    assert (
        request.headers["Idempotency-Key"] == "mcpea-call-1-abc" and request.headers["X-Mcpea-Attempt"] == "2"
    )
    return None


@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_2xx_delivers(status: int) -> None:
    assert await send(status) is None


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
async def test_retryable_answers(status: int) -> None:
    error = await send(status, {"Retry-After": "7"})
    assert error is not None and not error.permanent and error.retry_after == 7.0
    assert str(error).startswith(f"webhook:ops: HTTP {status}")


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 410, 422])
async def test_refusals_are_permanent(status: int) -> None:
    error = await send(status, {"Retry-After": "7"})
    assert error is not None and error.permanent and error.retry_after is None


@pytest.mark.parametrize("value", ["Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
async def test_a_retry_after_that_is_not_seconds_is_ignored(value: str) -> None:
    error = await send(503, {"Retry-After": value})
    assert error is not None and error.retry_after is None


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (httpx.ConnectError("refused"), "webhook:ops: ConnectError"),
        (httpx.ReadTimeout("slow"), "webhook:ops: no answer within 1.5s"),
    ],
)
async def test_transport_failures_are_retryable_and_name_no_url(exc: Exception, message: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    hook = channel(httpx.MockTransport(fail))
    with pytest.raises(DeliveryError) as caught:
        await hook.send(DELIVERY)
    await hook.aclose()
    assert str(caught.value) == message and not caught.value.permanent
    assert "hooks.example" not in str(caught.value) and "t0p" not in str(caught.value)
