"""Invoice tools: create a draft, finalize it, list."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from mcpea_core import ToolContext

from .client import sdk, send
from .models import Input, Invoice, ListInput, Metadata, Page, payload
from .money import Currency

__all__ = ["stripe_create_invoice", "stripe_finalize_invoice", "stripe_list_invoices"]

_INVOICE = Field(pattern=r"^in_\w+$", description="Invoice id, in_...")


class CreateInvoice(Input):
    customer: str = Field(pattern=r"^cus_\w+$", description="Customer to bill, cus_...")
    collection_method: Literal["charge_automatically", "send_invoice"] | None = Field(
        default=None,
        description="charge_automatically (default): charge the customer's default payment method; "
        "send_invoice: email the invoice for the customer to pay (needs days_until_due).",
    )
    days_until_due: int | None = Field(
        default=None, ge=1, le=365, description="For send_invoice: days to pay."
    )
    currency: Currency | None = Field(default=None, description="Invoice currency; default the customer's.")
    description: str | None = Field(default=None, max_length=1500, description="Memo shown on the invoice.")
    pending_invoice_items_behavior: Literal["include", "exclude"] | None = Field(
        default=None, description="Whether the customer's pending invoice items go on this invoice."
    )
    auto_advance: bool | None = Field(
        default=None,
        description="Let Stripe finalize and collect the invoice by itself (default false via API).",
    )
    metadata: Metadata = None

    @model_validator(mode="after")
    def _due_date_for_send_invoice(self) -> Self:
        if self.collection_method == "send_invoice" and self.days_until_due is None:
            raise ValueError("days_until_due is required when collection_method is send_invoice")
        return self


class FinalizeInvoice(Input):
    invoice_id: str = _INVOICE
    auto_advance: bool | None = Field(
        default=None, description="Let Stripe collect the invoice automatically once finalized."
    )


class ListInvoices(ListInput):
    customer: str | None = Field(
        default=None, pattern=r"^cus_\w+$", description="Only this customer's invoices."
    )
    subscription: str | None = Field(
        default=None, pattern=r"^sub_\w+$", description="Only this subscription's."
    )
    status: Literal["draft", "open", "paid", "uncollectible", "void"] | None = Field(
        default=None, description="Only invoices in this state."
    )


class InvoicePage(Page[Invoice]):
    pass


async def stripe_create_invoice(params: CreateInvoice, ctx: ToolContext) -> Invoice:
    """Create a draft invoice for a customer. Nothing is charged or sent until it is finalized.

    Next step: stripe_finalize_invoice. A retried call makes no second draft.
    """
    client = sdk(ctx)
    return Invoice.of(await send(ctx, client.v1.invoices.create_async, params=payload(params), write=True))


async def stripe_finalize_invoice(params: FinalizeInvoice, ctx: ToolContext) -> Invoice:
    """Finalize a draft invoice: it gets a number, can no longer be edited and becomes payable (open)."""
    client = sdk(ctx)
    body = payload(params, exclude={"invoice_id"})
    method = client.v1.invoices.finalize_invoice_async
    return Invoice.of(await send(ctx, method, params.invoice_id, params=body, write=True))


async def stripe_list_invoices(params: ListInvoices, ctx: ToolContext) -> InvoicePage:
    """List invoices, newest first, by customer, subscription or status. Page with starting_after."""
    client = sdk(ctx)
    listing = await send(ctx, client.v1.invoices.list_async, params=payload(params))
    return InvoicePage.of(listing, Invoice)
