"""Every tool of the connector, in the order they are registered and documented."""

from __future__ import annotations

from . import balance, catalog, customers, invoices, payments, refunds, subscriptions
from .spec import Spec

__all__ = ["SPECS"]

SPECS: tuple[Spec, ...] = (
    *customers.TOOLS,
    *payments.TOOLS,
    *refunds.TOOLS,
    *invoices.TOOLS,
    *catalog.TOOLS,
    *subscriptions.TOOLS,
    *balance.TOOLS,
)
