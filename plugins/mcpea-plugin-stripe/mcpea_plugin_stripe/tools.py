"""Every tool of the connector, in the order they are registered and documented.

Listed by reference: loading the plugin imports none of the tool modules
(nor builds their models); the hub imports a module when it first needs one
of its tools.
"""

from __future__ import annotations

from .spec import ADD, CHANGE, IRREVERSIBLE, READ, Spec

__all__ = ["SPECS"]

SPECS: tuple[Spec, ...] = (
    Spec("customers", "stripe_create_customer", ADD),
    Spec("customers", "stripe_get_customer", READ),
    Spec("customers", "stripe_list_customers", READ),
    Spec("customers", "stripe_update_customer", CHANGE),
    Spec("payments", "stripe_create_payment_intent", ADD, output_model="models:PaymentIntent"),
    Spec("payments", "stripe_confirm_payment_intent", IRREVERSIBLE, output_model="models:PaymentIntent"),
    Spec("payments", "stripe_cancel_payment_intent", CHANGE, output_model="models:PaymentIntent"),
    Spec("payments", "stripe_get_payment_intent", READ, output_model="models:PaymentIntent"),
    Spec("payments", "stripe_list_payment_intents", READ),
    Spec("refunds", "stripe_create_refund", IRREVERSIBLE, output_model="models:Refund"),
    Spec("refunds", "stripe_list_refunds", READ),
    Spec("invoices", "stripe_create_invoice", ADD),
    Spec("invoices", "stripe_finalize_invoice", CHANGE),
    Spec("invoices", "stripe_list_invoices", READ),
    Spec("catalog", "stripe_list_products", READ),
    Spec("catalog", "stripe_create_price", ADD),
    Spec("subscriptions", "stripe_list_subscriptions", READ),
    Spec("subscriptions", "stripe_cancel_subscription", CHANGE),
    Spec("balance", "stripe_get_balance", READ),
)
