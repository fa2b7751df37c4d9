"""Subscription tools: list, cancel."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mcpea_core import ToolContext

from .client import sdk, send
from .models import Input, ListInput, Page, Subscription, payload

__all__ = ["stripe_cancel_subscription", "stripe_list_subscriptions"]


class ListSubscriptions(ListInput):
    customer: str | None = Field(default=None, pattern=r"^cus_\w+$", description="Only this customer's.")
    price: str | None = Field(default=None, pattern=r"^price_\w+$", description="Only those with this price.")
    status: (
        Literal[
            "active",
            "all",
            "canceled",
            "ended",
            "incomplete",
            "incomplete_expired",
            "past_due",
            "paused",
            "trialing",
            "unpaid",
        ]
        | None
    ) = Field(default=None, description="Default: every status except canceled.")


class SubscriptionPage(Page[Subscription]):
    pass


class CancelSubscription(Input):
    subscription_id: str = Field(pattern=r"^sub_\w+$", description="Subscription id, sub_...")
    at_period_end: bool = Field(
        default=False,
        description="true: keep it running until the end of the paid period, then end it (can be undone "
        "in the Dashboard until then); false: end it now.",
    )
    invoice_now: bool | None = Field(
        default=None, description="When ending now: bill pending usage and prorations on a final invoice."
    )
    prorate: bool | None = Field(default=None, description="When ending now: credit the unused time.")


async def stripe_list_subscriptions(params: ListSubscriptions, ctx: ToolContext) -> SubscriptionPage:
    """List subscriptions, newest first, by customer, price or status. Page with starting_after."""
    client = sdk(ctx)
    listing = await send(ctx, client.v1.subscriptions.list_async, params=payload(params))
    return SubscriptionPage.of(listing, Subscription)


async def stripe_cancel_subscription(params: CancelSubscription, ctx: ToolContext) -> Subscription:
    """Cancel a subscription: now (default), or at the end of the current period with at_period_end.

    Cancelling now cannot be undone: the customer is not billed again.
    """
    client = sdk(ctx)
    if params.at_period_end:
        update = client.v1.subscriptions.update_async
        body = {"cancel_at_period_end": True}
        return Subscription.of(await send(ctx, update, params.subscription_id, params=body, write=True))
    body = payload(params, exclude={"subscription_id", "at_period_end"})
    return Subscription.of(
        await send(ctx, client.v1.subscriptions.cancel_async, params.subscription_id, params=body)
    )
