"""Receipts for payments and refunds: text for people, JSON for programs, an MCP resource for both.

A payment or refund tool returns its receipt inside its result (a text block,
a ``resource_link`` to ``stripe://receipts/{id}`` and the structured JSON) and
keeps it in the hub's :class:`ReceiptStore`, keyed by the Stripe object id, so
a client can read it again later. The store lives in memory, per hub, and
keeps the most recent :data:`MAX_RECEIPTS`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import mcp_types as types
from pydantic import BaseModel, ConfigDict, Field

from mcpea_core import ToolContext
from mcpea_core.tools import DEFER_MODEL_BUILD

from .client import settings_of
from .currencies import format_amount
from .receipt_store import MAX_RECEIPTS, URI_TEMPLATE, ReceiptStore, template

__all__ = [
    "MAX_RECEIPTS",
    "URI_TEMPLATE",
    "Receipt",
    "ReceiptStore",
    "answer",
    "make_receipt",
    "respond",
    "template",
]


class Receipt(BaseModel):
    """A receipt for one payment intent or refund, as it stood when the tool returned."""

    model_config = ConfigDict(defer_build=DEFER_MODEL_BUILD)

    id: str = Field(description="The Stripe object id: pi_... for a payment, re_... for a refund.")
    uri: str = Field(description="Where to read this receipt again: stripe://receipts/{id}.")
    kind: Literal["payment", "refund"]
    status: str | None = Field(
        description="Stripe's status of the object, e.g. succeeded, requires_confirmation."
    )
    amount: int | None = Field(description="Amount in the currency's smallest unit.")
    currency: str | None
    amount_display: str | None = Field(description="The amount for people, e.g. 'USD 10.50'.")
    customer: str | None = None
    payment_intent: str | None = Field(default=None, description="For a refund: the payment it returns.")
    livemode: bool | None = None
    issued_at: str = Field(description="When the hub issued this receipt (UTC, ISO 8601).")
    call_id: str = Field(description="The hub's id of the tool call, as in the audit record.")
    request_ids: list[str] = Field(default_factory=list, description="Stripe's request ids for the call.")
    idempotency_key: str | None = Field(default=None, description="The Idempotency-Key sent with the write.")
    text: str = Field(description="The receipt as plain text.")


def make_receipt(kind: Literal["payment", "refund"], obj: Any, ctx: ToolContext) -> Receipt:
    """A receipt for the SDK object ``obj`` (a PaymentIntent or a Refund) returned within call ``ctx``."""
    data: dict[str, Any] = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    amount, currency = data.get("amount"), data.get("currency")
    display = (
        format_amount(amount, currency) if isinstance(amount, int) and isinstance(currency, str) else None
    )
    upstream = ctx.call.upstream
    keys = upstream.get("idempotency_keys", [])
    customer = data.get("customer")
    intent = data.get("payment_intent")
    fields: dict[str, Any] = {
        "id": str(data["id"]),
        "uri": URI_TEMPLATE.format(id=data["id"]),
        "kind": kind,
        "status": data.get("status"),
        "amount": amount,
        "currency": currency,
        "amount_display": display,
        "customer": customer if isinstance(customer, str) or customer is None else customer.get("id"),
        "payment_intent": intent if isinstance(intent, str) or intent is None else intent.get("id"),
        "livemode": data.get("livemode"),
        "issued_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "call_id": ctx.call_id,
        "request_ids": list(upstream.get("request_ids", [])),
        "idempotency_key": keys[-1] if keys else None,
    }
    fields["text"] = _render(fields)
    return Receipt.model_validate(fields)


def _render(fields: dict[str, Any]) -> str:
    title = "Stripe payment receipt" if fields["kind"] == "payment" else "Stripe refund receipt"
    mode = {True: "live", False: "test"}.get(fields["livemode"], "unknown")
    rows = [
        ("Payment intent" if fields["kind"] == "payment" else "Refund", fields["id"]),
        ("Refunded payment", fields["payment_intent"]),
        ("Status", fields["status"]),
        ("Amount", fields["amount_display"]),
        ("Customer", fields["customer"]),
        ("Mode", mode),
        ("Issued", fields["issued_at"]),
        ("Stripe request", ", ".join(fields["request_ids"]) or None),
        ("Idempotency key", fields["idempotency_key"]),
        ("Hub call", fields["call_id"]),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [title, "=" * len(title)]
    lines += [f"{label + ':':<{width + 1}} {value}" for label, value in rows if value is not None]
    return "\n".join(lines)


def respond(result: BaseModel, receipt: Receipt | None) -> types.CallToolResult:
    """The tool result: the receipt's text and a link to it (when there is one), then the JSON."""
    data = result.model_dump(mode="json")
    content: list[types.ContentBlock] = []
    if receipt is not None:
        content.append(types.TextContent(type="text", text=receipt.text))
        content.append(
            types.ResourceLink(
                type="resource_link",
                uri=receipt.uri,
                name=f"receipt {receipt.id}",
                mime_type="application/json",
            )
        )
    content.append(types.TextContent(type="text", text=json.dumps(data)))
    return types.CallToolResult(content=content, structured_content=data)


def answer(
    kind: Literal["payment", "refund"], obj: Any, result: BaseModel, ctx: ToolContext, want: bool
) -> types.CallToolResult:
    """The result of a payment or refund tool; with ``want``, a receipt issued, kept and attached."""
    if not want:
        return respond(result, None)
    issued = make_receipt(kind, obj, ctx)
    settings_of(ctx).state.receipts.put(issued)
    return respond(result.model_copy(update={"receipt": issued}), issued)
