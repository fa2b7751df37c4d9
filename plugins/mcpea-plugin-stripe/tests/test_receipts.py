"""Payment and refund tools return receipts and keep them at stripe://receipts/{id}."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError
from mcpea_plugin_stripe.receipts import Receipt, ReceiptStore

from mcpea_core import Hub

pytestmark = pytest.mark.anyio


async def test_confirm_returns_a_receipt_and_keeps_it(make_hub: Callable[..., Hub], recorder: Any) -> None:
    hub = make_hub(recorder)
    async with hub.client() as client:
        result = await client.call_tool("stripe_confirm_payment_intent", {"payment_intent_id": "pi_r1"})
        templates = await client.list_resource_templates()
        read = await client.read_resource("stripe://receipts/pi_r1")
    assert result.is_error is False
    note, link, data = result.content
    assert isinstance(note, types.TextContent) and note.text.startswith("Stripe payment receipt")
    assert "Status:" in note.text and "succeeded" in note.text and "USD 20.00" in note.text
    assert "Idempotency key:" in note.text and "mcpea-" in note.text
    assert isinstance(link, types.ResourceLink) and str(link.uri) == "stripe://receipts/pi_r1"
    assert isinstance(data, types.TextContent) and json.loads(data.text) == result.structured_content
    receipt = (result.structured_content or {})["receipt"]
    assert (
        receipt["id"] == "pi_r1" and receipt["kind"] == "payment" and receipt["amount_display"] == "USD 20.00"
    )
    assert receipt["request_ids"] == ["req_rec1"] and receipt["idempotency_key"].startswith("mcpea-")
    assert [t.uri_template for t in templates.resource_templates] == ["stripe://receipts/{id}"]
    as_json, as_text = read.contents
    assert as_json.mime_type == "application/json" and json.loads(as_json.text) == receipt  # type: ignore[union-attr]
    assert as_text.mime_type == "text/plain" and as_text.text == note.text  # type: ignore[union-attr]


async def test_refund_receipt(make_hub: Callable[..., Hub], recorder: Any) -> None:
    hub = make_hub(recorder)
    async with hub.client() as client:
        result = await client.call_tool("stripe_create_refund", {"payment_intent": "pi_r2", "amount": 750})
        receipt = (result.structured_content or {})["receipt"]
        read = await client.read_resource(receipt["uri"])
    assert receipt["kind"] == "refund" and receipt["payment_intent"] == "pi_r2"
    assert receipt["amount"] == 750 and receipt["amount_display"] == "USD 7.50"
    assert "Stripe refund receipt" in receipt["text"] and "Refunded payment: pi_r2" in receipt["text"]
    assert json.loads(read.contents[0].text)["id"] == receipt["id"]  # type: ignore[union-attr]


async def test_no_receipt_when_not_asked(make_hub: Callable[..., Hub], recorder: Any) -> None:
    hub = make_hub(recorder)
    async with hub.client() as client:
        result = await client.call_tool("stripe_get_payment_intent", {"payment_intent_id": "pi_r3"})
        with pytest.raises(MCPError) as missing:
            await client.read_resource("stripe://receipts/pi_r3")
    assert len(result.content) == 1 and (result.structured_content or {})["receipt"] is None
    assert missing.value.code == -32002


async def test_receipts_belong_to_their_hub(make_hub: Callable[..., Hub], recorder: Any, call: Any) -> None:
    one, other = make_hub(recorder), make_hub(recorder)
    await call(one, "stripe_confirm_payment_intent", {"payment_intent_id": "pi_mine"})
    assert one.settings["stripe"].state.receipts.get("pi_mine") is not None  # type: ignore[union-attr]
    assert other.settings["stripe"].state.receipts.get("pi_mine") is None  # type: ignore[union-attr]


def _receipt(n: int) -> Receipt:
    return Receipt(
        id=f"pi_{n}",
        uri=f"stripe://receipts/pi_{n}",
        kind="payment",
        status="succeeded",
        amount=1,
        currency="usd",
        amount_display="USD 0.01",
        issued_at="2025-01-01T00:00:00Z",
        call_id="c",
        text="t",
    )


def test_the_store_keeps_the_most_recent() -> None:
    store = ReceiptStore(limit=3)
    for n in range(5):
        store.put(_receipt(n))
    store.put(_receipt(2))
    assert store.ids() == ["pi_2", "pi_4", "pi_3"]
    assert store.get("pi_0") is None and len(store) == 3


async def test_receipt_ids_complete(make_hub: Callable[..., Hub], recorder: Any, call: Any) -> None:
    hub = make_hub(recorder)
    await call(hub, "stripe_confirm_payment_intent", {"payment_intent_id": "pi_abc"})
    await call(hub, "stripe_confirm_payment_intent", {"payment_intent_id": "pi_xyz"})
    (template,) = hub.templates.values()
    assert template.complete is not None and list(template.complete("id", "pi_a")) == ["pi_abc"]
