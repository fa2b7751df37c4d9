"""Every POST carries an Idempotency-Key derived from the hub's call id, reported to the audit record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mcpea_core import Hub

pytestmark = pytest.mark.anyio

PAYMENT = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa"}


async def test_a_retried_call_sends_the_same_key(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    hub = make_hub(recorder)
    first, outcome = await call(hub, "stripe_create_payment_intent", PAYMENT, call_id="c0ffee")
    again, retried = await call(hub, "stripe_create_payment_intent", PAYMENT, call_id="c0ffee")
    other, _ = await call(hub, "stripe_create_payment_intent", PAYMENT, call_id="d00d")
    assert outcome.outcome == retried.outcome == "success"
    keys = [r.headers["Idempotency-Key"] for r in recorder.requests]
    assert keys == ["mcpea-c0ffee", "mcpea-c0ffee", "mcpea-d00d"]
    assert [r.method for r in recorder.requests] == ["post"] * 3
    assert first.upstream == {"idempotency_keys": ["mcpea-c0ffee"], "request_ids": ["req_rec1"]}
    assert again.upstream["idempotency_keys"] == ["mcpea-c0ffee"]
    assert other.upstream["request_ids"] == ["req_rec3"]


async def test_the_sdks_own_retries_keep_the_key(
    make_hub: Callable[..., Hub], recorder: Any, call: Any
) -> None:
    hub = make_hub(recorder, max_network_retries=2)
    recorder.reply(500, {"error": {"type": "api_error", "message": "boom"}})
    recorder.reply(409, {"error": {"type": "invalid_request_error", "message": "lock timeout"}})
    _, outcome = await call(hub, "stripe_create_refund", {"payment_intent": "pi_1"}, call_id="abc")
    assert outcome.outcome == "success"
    assert len(recorder.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in recorder.requests} == {"mcpea-abc"}


@pytest.mark.parametrize("retries", [0, 1, 3])
async def test_max_network_retries_is_the_sdks_option(
    make_hub: Callable[..., Hub], recorder: Any, call: Any, retries: int
) -> None:
    hub = make_hub(recorder, max_network_retries=retries)
    for _ in range(retries + 1):
        recorder.reply(503, {"error": {"type": "api_error", "message": "unavailable"}})
    _, outcome = await call(hub, "stripe_create_customer", {"email": "a@example.com"})
    assert outcome.outcome == "tool_error"
    assert len(recorder.requests) == retries + 1


@pytest.mark.parametrize(
    ("tool", "arguments", "method"),
    [
        ("stripe_create_customer", {"name": "Ann"}, "post"),
        ("stripe_update_customer", {"customer_id": "cus_1", "name": "Ann"}, "post"),
        ("stripe_confirm_payment_intent", {"payment_intent_id": "pi_1"}, "post"),
        ("stripe_cancel_payment_intent", {"payment_intent_id": "pi_1"}, "post"),
        ("stripe_create_refund", {"payment_intent": "pi_1", "amount": 500}, "post"),
        ("stripe_create_invoice", {"customer": "cus_1"}, "post"),
        ("stripe_finalize_invoice", {"invoice_id": "in_1"}, "post"),
        ("stripe_create_price", {"product": "prod_1", "currency": "eur", "unit_amount": 999}, "post"),
        ("stripe_cancel_subscription", {"subscription_id": "sub_1", "at_period_end": True}, "post"),
    ],
)
async def test_every_write_carries_the_calls_key(
    make_hub: Callable[..., Hub], recorder: Any, call: Any, tool: str, arguments: dict[str, Any], method: str
) -> None:
    hub = make_hub(recorder)
    made, outcome = await call(hub, tool, arguments, call_id="k1")
    assert outcome.outcome == "success", outcome.result
    (request,) = recorder.requests
    assert request.method == method
    assert request.headers["Idempotency-Key"] == "mcpea-k1"
    assert made.upstream["idempotency_keys"] == ["mcpea-k1"]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("stripe_get_customer", {"customer_id": "cus_1"}),
        ("stripe_list_customers", {"email": "a@example.com"}),
        ("stripe_get_payment_intent", {"payment_intent_id": "pi_1"}),
        ("stripe_list_payment_intents", {}),
        ("stripe_list_refunds", {}),
        ("stripe_list_invoices", {"status": "open"}),
        ("stripe_list_products", {}),
        ("stripe_list_subscriptions", {}),
        ("stripe_get_balance", {}),
        ("stripe_cancel_subscription", {"subscription_id": "sub_1"}),
    ],
)
async def test_reads_and_deletes_carry_no_key(
    make_hub: Callable[..., Hub], recorder: Any, call: Any, tool: str, arguments: dict[str, Any]
) -> None:
    hub = make_hub(recorder)
    made, outcome = await call(hub, tool, arguments)
    assert outcome.outcome == "success", outcome.result
    (request,) = recorder.requests
    assert request.method in ("get", "delete")
    assert "Idempotency-Key" not in request.headers
    assert made.upstream == {"request_ids": ["req_rec1"]}
