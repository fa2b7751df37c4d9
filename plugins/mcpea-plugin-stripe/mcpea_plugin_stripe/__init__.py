"""MC-PEA connector for Stripe, wrapping the official ``stripe`` SDK.

Tools (``stripe_<verb>_<noun>``) cover customers, payment intents, refunds,
invoices, products and prices, subscriptions and the balance; the README's
table lists them. What it adds to the SDK:

* every POST carries an ``Idempotency-Key`` derived from the hub's call id,
  reported with Stripe's request id to the audit record;
* amounts and currencies are checked before any request (integers in the
  currency's smallest unit, ISO 4217 codes, Stripe's zero- and
  three-decimal rules);
* payment and refund tools issue receipts, kept at ``stripe://receipts/{id}``;
* Stripe's errors become hub errors that say what to do next, never
  carrying the API key;
* live-mode keys are refused unless ``allow_live = true``.

Configure it under ``[plugins.stripe]`` (see :mod:`.settings`). Nothing
here imports ``stripe``: the SDK loads on the first tool call. The tools
are registered by reference (:mod:`.tools`), so their modules load when
the hub first needs them, not when it starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from mcpea_core import hookimpl

from .receipt_store import template
from .settings import Settings
from .tools import SPECS

if TYPE_CHECKING:
    from mcpea_core import Hub
    from mcpea_core.hookspecs import RegisterResource, RegisterTool

__all__ = ["SPECS", "Settings", "register_resources", "register_tools", "settings_model", "shutdown"]


@hookimpl
def settings_model() -> type[BaseModel]:
    return Settings


@hookimpl
def register_tools(register: RegisterTool) -> None:
    for spec in SPECS:
        register(spec.fn, **spec.options())


@hookimpl
def register_resources(register: RegisterResource, settings: BaseModel | None) -> None:
    if isinstance(settings, Settings):
        register(template(settings.state.receipts))


@hookimpl
async def shutdown(hub: Hub) -> None:
    for settings in hub.settings.values():
        if isinstance(settings, Settings):
            await settings.state.aclose()
