"""Balance tool."""

from __future__ import annotations

from typing import Any

from mcpea_core import ToolContext

from .client import sdk, send
from .currencies import format_amount
from .models import Balance

__all__ = ["stripe_get_balance"]


def _amounts(value: Any) -> list[dict[str, Any]]:
    # Stripe sends a list per currency; localstripe sends one object.
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [
        {**item, "display": format_amount(item["amount"], item["currency"])}
        for item in items
        if isinstance(item.get("amount"), int) and isinstance(item.get("currency"), str)
    ]


async def stripe_get_balance(ctx: ToolContext) -> Balance:
    """Show the Stripe account's balance per currency: available now and pending."""
    client = sdk(ctx)
    data = (await send(ctx, client.v1.balance.retrieve_async)).to_dict()
    return Balance.model_validate(
        {
            "available": _amounts(data.get("available")),
            "pending": _amounts(data.get("pending")),
            "livemode": data.get("livemode"),
        }
    )
