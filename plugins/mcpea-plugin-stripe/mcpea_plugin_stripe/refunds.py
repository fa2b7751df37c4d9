"""Refund tools: create (with a receipt), list."""

from __future__ import annotations

from typing import Literal, Self

import mcp_types as types
from pydantic import Field, model_validator

from mcpea_core import ToolContext

from .client import sdk, send
from .models import Input, ListInput, Metadata, Page, Refund, payload
from .money import Amount
from .receipts import answer

__all__ = ["stripe_create_refund", "stripe_list_refunds"]


class CreateRefund(Input):
    payment_intent: str | None = Field(
        default=None, pattern=r"^pi_\w+$", description="The payment to refund, pi_... (or give charge)."
    )
    charge: str | None = Field(default=None, pattern=r"^ch_\w+$", description="The charge to refund, ch_...")
    amount: Amount | None = Field(
        default=None,
        description="Part of the payment to refund, in the payment currency's smallest unit (integer); "
        "default the whole remaining amount.",
    )
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = Field(
        default=None, description="Why; fraudulent also tells Stripe's fraud checks about the card."
    )
    metadata: Metadata = None
    receipt: bool = Field(
        default=True, description="Also return a receipt and keep it at stripe://receipts/{id}."
    )

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.payment_intent is None) == (self.charge is None):
            raise ValueError("give exactly one of payment_intent (pi_...) or charge (ch_...)")
        return self


class ListRefunds(ListInput):
    payment_intent: str | None = Field(
        default=None, pattern=r"^pi_\w+$", description="Only refunds of this payment."
    )
    charge: str | None = Field(default=None, pattern=r"^ch_\w+$", description="Only refunds of this charge.")


class RefundPage(Page[Refund]):
    pass


async def stripe_create_refund(params: CreateRefund, ctx: ToolContext) -> types.CallToolResult:
    """Refund a successful payment, in full or in part (`amount`, smallest currency unit). Cannot be undone.

    Money goes back to the customer's payment method. Returns the refund
    (re_...) and, by default, a receipt. A retried call never refunds twice;
    a new call refunds again, up to what is left of the payment.
    """
    client = sdk(ctx)
    body = payload(params, exclude={"receipt"})
    obj = await send(ctx, client.v1.refunds.create_async, params=body, write=True)
    return answer("refund", obj, Refund.of(obj), ctx, params.receipt)


async def stripe_list_refunds(params: ListRefunds, ctx: ToolContext) -> RefundPage:
    """List refunds, newest first, optionally of one payment intent or charge. Page with starting_after."""
    client = sdk(ctx)
    listing = await send(ctx, client.v1.refunds.list_async, params=payload(params))
    return RefundPage.of(listing, Refund)
