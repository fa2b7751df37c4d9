"""Catalog tools: list products, create prices."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from mcpea_core import ToolContext

from .client import sdk, send
from .models import Input, ListInput, Metadata, Page, Price, Product, payload
from .money import Amount, Currency, check_amount

__all__ = ["stripe_create_price", "stripe_list_products"]


class ListProducts(ListInput):
    active: bool | None = Field(default=None, description="Only active (true) or archived (false) products.")


class ProductPage(Page[Product]):
    pass


class CreatePrice(Input):
    product: str = Field(pattern=r"^prod_\w+$", description="Product this price belongs to, prod_...")
    currency: Currency
    unit_amount: Amount
    recurring_interval: Literal["day", "week", "month", "year"] | None = Field(
        default=None, description="Bill every interval (a subscription price); omit for a one-time price."
    )
    recurring_interval_count: int | None = Field(
        default=None, ge=1, le=365, description="Bill every this many intervals (e.g. 3 with month)."
    )
    nickname: str | None = Field(default=None, max_length=250, description="Name for you, not the customer.")
    lookup_key: str | None = Field(
        default=None, max_length=200, description="Your own stable key for this price."
    )
    metadata: Metadata = None

    @field_validator("unit_amount")
    @classmethod
    def _amount_fits_currency(cls, amount: int, info: ValidationInfo) -> int:
        return check_amount(amount, info.data.get("currency"))

    @field_validator("recurring_interval_count")
    @classmethod
    def _count_needs_interval(cls, count: int | None, info: ValidationInfo) -> int | None:
        if count is not None and info.data.get("recurring_interval") is None:
            raise ValueError("set recurring_interval too")
        return count


async def stripe_list_products(params: ListProducts, ctx: ToolContext) -> ProductPage:
    """List the products of the catalog, newest first. Page with starting_after."""
    client = sdk(ctx)
    listing = await send(ctx, client.v1.products.list_async, params=payload(params))
    return ProductPage.of(listing, Product)


async def stripe_create_price(params: CreatePrice, ctx: ToolContext) -> Price:
    """Create a price for a product: a one-time amount, or a recurring one for subscriptions.

    `unit_amount` is an integer in the currency's smallest unit (1999 USD
    = $19.99). Prices cannot change amount later: create a new one instead.
    """
    client = sdk(ctx)
    body: dict[str, Any] = payload(params, exclude={"recurring_interval", "recurring_interval_count"})
    if params.recurring_interval is not None:
        body["recurring"] = {"interval": params.recurring_interval}
        if params.recurring_interval_count is not None:
            body["recurring"]["interval_count"] = params.recurring_interval_count
    return Price.of(await send(ctx, client.v1.prices.create_async, params=body, write=True))
