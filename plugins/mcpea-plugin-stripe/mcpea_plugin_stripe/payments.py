"""Payment intent tools: create, confirm, cancel, get, list. Each can issue a receipt."""

from __future__ import annotations

from typing import Any, Literal

import mcp_types as types
from pydantic import Field, ValidationInfo, field_validator

from mcpea_core import ToolContext

from .client import sdk, send
from .models import Input, ListInput, Metadata, Page, PaymentIntent, payload
from .money import Amount, Currency, check_amount
from .receipts import answer

__all__ = [
    "stripe_cancel_payment_intent",
    "stripe_confirm_payment_intent",
    "stripe_create_payment_intent",
    "stripe_get_payment_intent",
    "stripe_list_payment_intents",
]

_INTENT = Field(pattern=r"^pi_\w+$", description="Payment intent id, pi_...")
_RECEIPT = "Also return a receipt (text and JSON) and keep it at stripe://receipts/{id}."


class CreatePaymentIntent(Input):
    currency: Currency
    amount: Amount
    customer: str | None = Field(
        default=None, pattern=r"^cus_\w+$", description="Customer id, cus_..., if any."
    )
    payment_method: str | None = Field(
        default=None,
        pattern=r"^(pm|card|src)_\w+$",
        description="Payment method to charge, pm_... (in test mode also pm_card_visa and the like).",
    )
    description: str | None = Field(
        default=None, max_length=1000, description="Shown to you, not the customer."
    )
    receipt_email: str | None = Field(
        default=None,
        max_length=512,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Where Stripe emails its receipt.",
    )
    capture_method: Literal["automatic", "automatic_async", "manual"] | None = Field(
        default=None, description="manual: only authorise now and capture later; default automatic."
    )
    metadata: Metadata = None
    receipt: bool = Field(default=True, description=_RECEIPT)

    @field_validator("amount")
    @classmethod
    def _amount_fits_currency(cls, amount: int, info: ValidationInfo) -> int:
        return check_amount(amount, info.data.get("currency"))


class ConfirmPaymentIntent(Input):
    payment_intent_id: str = _INTENT
    payment_method: str | None = Field(
        default=None,
        pattern=r"^(pm|card|src)_\w+$",
        description="Payment method to charge, if the intent has none yet or it should change.",
    )
    return_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where to send the customer back after a redirect (3-D Secure).",
    )
    receipt: bool = Field(default=True, description=_RECEIPT)


class CancelPaymentIntent(Input):
    payment_intent_id: str = _INTENT
    cancellation_reason: Literal["duplicate", "fraudulent", "requested_by_customer", "abandoned"] | None = (
        Field(default=None, description="Why, for your records.")
    )
    receipt: bool = Field(default=True, description=_RECEIPT)


class GetPaymentIntent(Input):
    payment_intent_id: str = _INTENT
    receipt: bool = Field(default=False, description=_RECEIPT)


class ListPaymentIntents(ListInput):
    customer: str | None = Field(
        default=None, pattern=r"^cus_\w+$", description="Only this customer's payments."
    )


class PaymentIntentPage(Page[PaymentIntent]):
    pass


def payment_result(obj: Any, ctx: ToolContext, receipt: bool) -> types.CallToolResult:
    return answer("payment", obj, PaymentIntent.of(obj), ctx, receipt)


async def stripe_create_payment_intent(params: CreatePaymentIntent, ctx: ToolContext) -> types.CallToolResult:
    """Start a payment: create a Stripe payment intent for an amount in one currency. Charges nothing yet.

    `amount` is an integer in the currency's smallest unit (1050 USD =
    $10.50; 1050 JPY = 1050 yen). Next step: stripe_confirm_payment_intent
    (with a payment_method, here or there) charges it. A retried call makes
    no second intent.
    """
    client = sdk(ctx)
    body = payload(params, exclude={"receipt"})
    obj = await send(ctx, client.v1.payment_intents.create_async, params=body, write=True)
    return payment_result(obj, ctx, params.receipt)


async def stripe_confirm_payment_intent(
    params: ConfirmPaymentIntent, ctx: ToolContext
) -> types.CallToolResult:
    """Confirm a payment intent: this charges the customer's payment method (real money with a live key).

    Status afterwards: succeeded, processing, requires_capture (manual
    capture), or requires_action (the customer must authenticate). A
    declined card comes back as an error with the decline code. A retried
    call never charges twice.
    """
    client = sdk(ctx)
    body = payload(params, exclude={"payment_intent_id", "receipt"})
    method = client.v1.payment_intents.confirm_async
    obj = await send(ctx, method, params.payment_intent_id, params=body, write=True)
    return payment_result(obj, ctx, params.receipt)


async def stripe_cancel_payment_intent(params: CancelPaymentIntent, ctx: ToolContext) -> types.CallToolResult:
    """Cancel a payment intent that has not succeeded (releases an authorisation). Cannot be undone.

    For a payment that already succeeded, use stripe_create_refund instead.
    """
    client = sdk(ctx)
    body = payload(params, exclude={"payment_intent_id", "receipt"})
    obj = await send(
        ctx, client.v1.payment_intents.cancel_async, params.payment_intent_id, params=body, write=True
    )
    return payment_result(obj, ctx, params.receipt)


async def stripe_get_payment_intent(params: GetPaymentIntent, ctx: ToolContext) -> types.CallToolResult:
    """Fetch one payment intent by id (pi_...): status, amount, last payment error. Optionally a receipt."""
    client = sdk(ctx)
    obj = await send(ctx, client.v1.payment_intents.retrieve_async, params.payment_intent_id)
    return payment_result(obj, ctx, params.receipt)


async def stripe_list_payment_intents(params: ListPaymentIntents, ctx: ToolContext) -> PaymentIntentPage:
    """List payment intents, newest first, optionally of one customer. Page with starting_after."""
    client = sdk(ctx)
    listing = await send(ctx, client.v1.payment_intents.list_async, params=payload(params))
    return PaymentIntentPage.of(listing, PaymentIntent)
