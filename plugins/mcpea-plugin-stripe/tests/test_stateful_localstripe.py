"""Stateful flows against localstripe, through a real hub and the in-memory MCP client.

The hub loads this plugin from its entry point (``MCPEA_LOAD_PLUGINS=stripe``)
with ``[plugins.stripe]`` pointing at localstripe on 127.0.0.1. localstripe
ignores ``Idempotency-Key`` (the recorder tests check the keys) and has no
``/v1/prices``; its magic ``pm_card_*`` ids work as on Stripe, except that
``pm_card_visa_chargeDeclined`` (4000000000000002) is declined only when
attached to a customer, so the declined-charge test uses
``pm_card_chargeCustomerFail`` (4000000000000341).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import mcp_types as types
import pytest
from mcp.client import Client

from mcpea_core import ConfigError, Hub, HubConfig, UpstreamError

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    # stripe 16's HTTPXClient posts its form as raw bytes through httpx's deprecated data=.
    pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning"),
]


def make_hub(base: str, **settings: Any) -> Hub:
    config = {"plugins": {"stripe": {"api_key": "sk_test_localstripe", "api_base": base, **settings}}}
    return Hub(HubConfig.model_validate(config))


async def tool(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert result.is_error is False, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def test_customer_create_get_list_update(localstripe: str) -> None:
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    async with make_hub(localstripe) as hub, hub.client() as client:
        created = await tool(
            client, "stripe_create_customer", {"email": email, "name": "Ann", "metadata": {"k": "v"}}
        )
        fetched = await tool(client, "stripe_get_customer", {"customer_id": created["id"]})
        listed = await tool(client, "stripe_list_customers", {"email": email, "limit": 5})
        updated = await tool(
            client, "stripe_update_customer", {"customer_id": created["id"], "name": "Ann B."}
        )
        again = await tool(client, "stripe_get_customer", {"customer_id": created["id"]})
    assert created["id"].startswith("cus_") and created["email"] == email
    assert fetched["id"] == created["id"] and fetched["metadata"] == {"k": "v"}
    assert [c["id"] for c in listed["data"]] == [created["id"]] and listed["has_more"] is False
    assert updated["name"] == again["name"] == "Ann B."


async def test_payment_create_confirm_get_and_receipt(localstripe: str) -> None:
    async with make_hub(localstripe) as hub, hub.client() as client:
        customer = await tool(client, "stripe_create_customer", {"name": "Payer"})
        intent = await tool(
            client,
            "stripe_create_payment_intent",
            {"amount": 2500, "currency": "EUR", "customer": customer["id"], "payment_method": "pm_card_visa"},
        )
        confirmed = await client.call_tool(
            "stripe_confirm_payment_intent", {"payment_intent_id": intent["id"]}
        )
        fetched = await tool(client, "stripe_get_payment_intent", {"payment_intent_id": intent["id"]})
        listed = await tool(client, "stripe_list_payment_intents", {"limit": 100})
        receipt = await client.read_resource(f"stripe://receipts/{intent['id']}")
    assert intent["status"] == "requires_confirmation" and intent["currency"] == "eur"
    assert intent["receipt"]["status"] == "requires_confirmation"
    assert confirmed.is_error is False
    data = confirmed.structured_content or {}
    assert data["status"] == "succeeded" and data["latest_charge"].startswith("ch_")
    note = confirmed.content[0]
    assert isinstance(note, types.TextContent) and "EUR 25.00" in note.text and "succeeded" in note.text
    assert (
        fetched["status"] == "succeeded"
        and fetched["amount"] == 2500
        and fetched["customer"] == customer["id"]
    )
    assert intent["id"] in [p["id"] for p in listed["data"]]
    kept = json.loads(receipt.contents[0].text)  # type: ignore[union-attr]
    assert kept["status"] == "succeeded" and kept["customer"] == customer["id"]


async def test_refund_a_payment(localstripe: str) -> None:
    async with make_hub(localstripe) as hub, hub.client() as client:
        intent = await tool(
            client,
            "stripe_create_payment_intent",
            {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa"},
        )
        await tool(
            client, "stripe_confirm_payment_intent", {"payment_intent_id": intent["id"], "receipt": False}
        )
        refund = await tool(client, "stripe_create_refund", {"payment_intent": intent["id"], "amount": 1250})
        rest = await tool(client, "stripe_create_refund", {"payment_intent": intent["id"], "receipt": False})
        listed = await tool(client, "stripe_list_refunds", {"payment_intent": intent["id"]})
        kept = await client.read_resource(refund["receipt"]["uri"])
    assert refund["id"].startswith("re_") and refund["status"] == "succeeded" and refund["amount"] == 1250
    assert refund["receipt"]["amount_display"] == "USD 12.50" and refund["receipt"]["kind"] == "refund"
    assert rest["receipt"] is None
    assert {r["id"] for r in listed["data"]} == {refund["id"], rest["id"]}
    assert "Stripe refund receipt" in kept.contents[1].text  # type: ignore[union-attr]


async def test_a_declined_card_says_why(localstripe: str) -> None:
    async with make_hub(localstripe) as hub:
        async with hub.client() as client:
            intent = await tool(
                client,
                "stripe_create_payment_intent",
                {"amount": 900, "currency": "usd", "payment_method": "pm_card_chargeCustomerFail"},
            )
            declined = await client.call_tool(
                "stripe_confirm_payment_intent", {"payment_intent_id": intent["id"]}
            )
            after = await tool(client, "stripe_get_payment_intent", {"payment_intent_id": intent["id"]})
        call = await hub.call_tool("stripe_confirm_payment_intent", {"payment_intent_id": intent["id"]})
    assert declined.is_error is True
    text = declined.content[0].text  # type: ignore[union-attr]
    assert "card was declined" in text and "'card_declined'" in text and "HTTP 402" in text
    assert "sk_test" not in text
    assert after["status"] == "requires_payment_method"
    assert after["last_payment_error"]["code"] == "card_declined"
    assert call.is_error is True  # confirming again is refused: the intent needs a new payment method


async def test_cancel_a_payment(localstripe: str) -> None:
    async with make_hub(localstripe) as hub, hub.client() as client:
        intent = await tool(
            client,
            "stripe_create_payment_intent",
            {"amount": 300, "currency": "jpy", "payment_method": "pm_card_visa"},
        )
        canceled = await tool(client, "stripe_cancel_payment_intent", {"payment_intent_id": intent["id"]})
    assert canceled["status"] == "canceled"
    assert canceled["receipt"]["amount_display"] == "JPY 300"


async def test_unknown_objects_are_upstream_errors(localstripe: str) -> None:
    async with make_hub(localstripe) as hub:
        from mcpea_core import Principal, ToolCall

        call = ToolCall(
            tool=hub.get_tool("stripe_get_customer"),
            arguments={"customer_id": "cus_missing"},
            principal=Principal("t"),
        )
        outcome = await hub.execute(call)
    assert isinstance(outcome.error, UpstreamError) and outcome.error.status == 404
    assert "Stripe rejected the request" in outcome.result.content[0].text  # type: ignore[union-attr]


async def test_balance_products_invoices_subscriptions(localstripe: str) -> None:
    import stripe

    http = stripe.HTTPXClient()
    sdk = stripe.StripeClient("sk_test_localstripe", base_addresses={"api": localstripe}, http_client=http)
    product = await sdk.v1.products.create_async(params={"name": f"Widget {uuid.uuid4().hex[:6]}"})
    async with make_hub(localstripe) as hub, hub.client() as client:
        balance = await tool(client, "stripe_get_balance", {})
        products = await tool(client, "stripe_list_products", {"limit": 100})
        customer = await tool(client, "stripe_create_customer", {"name": "Nobody billed"})
        invoices = await tool(client, "stripe_list_invoices", {"customer": customer["id"]})
        subscriptions = await tool(client, "stripe_list_subscriptions", {"customer": customer["id"]})
    await http.close_async()  # type: ignore[no-untyped-call]
    assert balance["available"] and balance["available"][0]["display"].startswith(
        balance["available"][0]["currency"].upper()
    )
    assert product.id in [p["id"] for p in products["data"]]
    assert invoices == {"data": [], "has_more": False, "next_starting_after": None}
    assert subscriptions["data"] == []


def test_a_live_key_never_starts(localstripe: str) -> None:
    with pytest.raises(ConfigError, match="allow_live"):
        make_hub(localstripe, api_key="sk_live_do_not_use_0000").load()
