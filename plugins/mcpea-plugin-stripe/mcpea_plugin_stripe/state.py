"""What the connector keeps per hub: the Stripe client and the receipts it issued.

It hangs off the hub's validated :class:`~mcpea_plugin_stripe.settings.Settings`
instance (``settings.state``), so two hubs in one process share nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .client import Connection
from .receipt_store import ReceiptStore

if TYPE_CHECKING:
    from .settings import Settings

__all__ = ["State"]


class State:
    def __init__(self, settings: Settings) -> None:
        self.connection = Connection(settings)
        self.receipts = ReceiptStore()

    async def aclose(self) -> None:
        await self.connection.aclose()
