"""Where a hub keeps the receipts it issued, and the ``stripe://receipts/{id}`` resource that reads them.

Apart from :mod:`.receipts` (what a receipt is and how tools issue one) so
that loading the plugin, which registers the resource, defines no receipt
model: that module loads with the first payment or refund tool.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from mcpea_core import Contents, ResourceTemplate

if TYPE_CHECKING:
    from .receipts import Receipt

__all__ = ["MAX_RECEIPTS", "URI_TEMPLATE", "ReceiptStore", "template"]

MAX_RECEIPTS = 1000
URI_TEMPLATE = "stripe://receipts/{id}"


class ReceiptStore:
    """The most recent receipts by Stripe object id; safe to use from worker threads."""

    def __init__(self, limit: int = MAX_RECEIPTS) -> None:
        self._items: OrderedDict[str, Receipt] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def put(self, receipt: Receipt) -> None:
        with self._lock:
            self._items[receipt.id] = receipt
            self._items.move_to_end(receipt.id)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def get(self, receipt_id: str) -> Receipt | None:
        with self._lock:
            return self._items.get(receipt_id)

    def ids(self) -> list[str]:
        with self._lock:
            return list(reversed(self._items))

    def __len__(self) -> int:
        return len(self._items)


def template(store: ReceiptStore) -> ResourceTemplate:
    """The ``stripe://receipts/{id}`` resource template, reading from ``store``."""

    def read(id: str) -> list[Contents] | None:
        receipt = store.get(id)
        if receipt is None:
            return None
        uri = receipt.uri
        return [
            Contents(uri=uri, text=receipt.model_dump_json(), mime_type="application/json"),
            Contents(uri=uri, text=receipt.text, mime_type="text/plain"),
        ]

    return ResourceTemplate(
        uri_template=URI_TEMPLATE,
        name="stripe_receipt",
        description="Receipt of a payment (pi_...) or refund (re_...) made through this hub: JSON and text.",
        mime_type="application/json",
        read=read,
        complete=lambda _argument, partial: [i for i in store.ids() if i.startswith(partial)][:100],
    )
