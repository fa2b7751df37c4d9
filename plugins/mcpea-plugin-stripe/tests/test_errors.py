"""Stripe's errors become hub errors a model can act on, never carrying the API key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcpea_plugin_stripe.errors import scrub

from mcpea_core import AuthError, Hub, RateLimited, UpstreamError

pytestmark = pytest.mark.anyio

CONFIRM = ("stripe_confirm_payment_intent", {"payment_intent_id": "pi_1"})


def text(outcome: Any) -> str:
    return str(outcome.result.content[0].text)


async def test_a_declined_card_names_its_decline_code(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    recorder.reply(
        402,
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "payment_intent": {
                    "id": "pi_1",
                    "object": "payment_intent",
                    "status": "requires_payment_method",
                },
            }
        },
    )
    made, outcome = await call(make_hub(recorder), *CONFIRM)
    assert outcome.outcome == "tool_error"
    assert isinstance(outcome.error, UpstreamError) and not isinstance(outcome.error, AuthError)
    assert outcome.error.status == 402 and outcome.error.request_id == "req_rec1"
    message = text(outcome)
    assert "decline code 'insufficient_funds'" in message
    assert "pi_1 now needs another payment method" in message
    assert "different card" in message
    assert made.upstream["request_ids"] == ["req_rec1"]


async def test_rate_limits_say_when_to_retry(make_hub: Callable[..., Hub], recorder: Any, call: Any) -> None:
    recorder.reply(
        429,
        {"error": {"type": "invalid_request_error", "message": "Too many requests"}},
        **{"retry-after": "7"},
    )
    _, outcome = await call(make_hub(recorder, max_network_retries=0), *CONFIRM)
    assert isinstance(outcome.error, RateLimited)
    assert outcome.error.retry_after == 7.0
    assert "retry in 7 seconds" in text(outcome)


async def test_rate_limits_without_retry_after_still_say_when(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    recorder.reply(429, {"error": {"type": "invalid_request_error", "message": "Too many requests"}})
    _, outcome = await call(make_hub(recorder, max_network_retries=0), *CONFIRM)
    assert isinstance(outcome.error, RateLimited) and outcome.error.retry_after == 2.0


async def test_a_refused_key_is_an_auth_error_without_the_key(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    # Stripe echoes a masked key; the hub must not pass even that on.
    recorder.reply(
        401,
        {
            "error": {
                "type": "invalid_request_error",
                "message": "Invalid API Key provided: sk_test_****************p7dc",
            }
        },
    )
    _, outcome = await call(make_hub(recorder), "stripe_get_balance", {})
    assert isinstance(outcome.error, AuthError)
    message = text(outcome)
    assert "sk_test" not in message and "p7dc" not in message
    assert "[plugins.stripe] api_key" in message


async def test_a_restricted_key_without_permission_is_an_auth_error(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    recorder.reply(
        403,
        {
            "error": {
                "type": "invalid_request_error",
                "message": "The provided key 'rk_test_***abc' does not have access",
            }
        },
    )
    _, outcome = await call(make_hub(recorder), "stripe_get_balance", {})
    assert isinstance(outcome.error, AuthError)
    assert "rk_test" not in text(outcome)


async def test_other_errors_carry_status_and_request_id(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    recorder.reply(500, {"error": {"type": "api_error", "message": "Something went wrong"}})
    _, outcome = await call(make_hub(recorder, max_network_retries=0), "stripe_get_balance", {})
    assert type(outcome.error) is UpstreamError
    assert outcome.error.status == 500
    assert "HTTP 500" in text(outcome) and "request id req_rec1" in text(outcome)


async def test_invalid_requests_name_the_parameter(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    recorder.reply(
        404,
        {"error": {"type": "invalid_request_error", "message": "No such customer: 'cus_404'", "param": "id"}},
    )
    _, outcome = await call(make_hub(recorder), "stripe_get_customer", {"customer_id": "cus_404"})
    assert type(outcome.error) is UpstreamError and outcome.error.status == 404
    assert "No such customer: 'cus_404'" in text(outcome) and "Parameter: id" in text(outcome)


async def test_a_reused_key_with_other_arguments_is_explained(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    recorder.reply(
        400,
        {
            "error": {
                "type": "idempotency_error",
                "message": "Keys for idempotent requests can only be used with the same parameters",
            }
        },
    )
    _, outcome = await call(make_hub(recorder), "stripe_create_customer", {"name": "Ann"})
    assert "repeat its arguments exactly" in text(outcome)


async def test_the_configured_key_never_reaches_the_model(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    hub = make_hub(recorder, api_key="not_key_shaped_secret")
    recorder.reply(
        400, {"error": {"type": "invalid_request_error", "message": "bad not_key_shaped_secret here"}}
    )
    _, outcome = await call(hub, "stripe_get_balance", {})
    assert "not_key_shaped_secret" not in text(outcome) and "[redacted]" in text(outcome)


def test_scrub_removes_key_shaped_text() -> None:
    assert scrub("a sk_live_abcDEF123 b rk_test_x_y c") == "a [redacted] b [redacted] c"
    assert scrub("mine: s3cret", "s3cret") == "mine: [redacted]"
