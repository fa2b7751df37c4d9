"""Customer tools: create, get, list, update."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from mcpea_core import ToolContext

from .client import sdk, send
from .models import Customer, Input, ListInput, Metadata, Page, payload

__all__ = ["stripe_create_customer", "stripe_get_customer", "stripe_list_customers", "stripe_update_customer"]

_EMAIL = Field(default=None, max_length=512, pattern=r"^[^@\s]+@[^@\s]+$", description="Email address.")


class CustomerFields(Input):
    email: str | None = _EMAIL
    name: str | None = Field(default=None, max_length=256, description="Full name or business name.")
    phone: str | None = Field(default=None, max_length=20, description="Phone number.")
    description: str | None = Field(default=None, max_length=350, description="Note shown in the Dashboard.")
    metadata: Metadata = None


class CreateCustomer(CustomerFields):
    pass


class GetCustomer(Input):
    customer_id: str = Field(pattern=r"^cus_\w+$", description="Customer id, cus_...")


class UpdateCustomer(CustomerFields, GetCustomer):
    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not payload(self, exclude={"customer_id"}):
            raise ValueError("give at least one of email, name, phone, description, metadata to change")
        return self


class ListCustomers(ListInput):
    email: str | None = Field(
        default=None, max_length=512, description="Only customers with exactly this email."
    )


class CustomerPage(Page[Customer]):
    pass


async def stripe_create_customer(params: CreateCustomer, ctx: ToolContext) -> Customer:
    """Create a Stripe customer (a person or business you bill). All fields are optional.

    Returns the new customer with its id (cus_...), which payment intents,
    invoices and subscriptions take as `customer`. A retried call creates
    no duplicate; a new call creates another customer, so look one up first
    with stripe_list_customers(email=...) when unsure.
    """
    client = sdk(ctx)
    return Customer.of(await send(ctx, client.v1.customers.create_async, params=payload(params), write=True))


async def stripe_get_customer(params: GetCustomer, ctx: ToolContext) -> Customer:
    """Fetch one Stripe customer by id (cus_...)."""
    client = sdk(ctx)
    return Customer.of(await send(ctx, client.v1.customers.retrieve_async, params.customer_id))


async def stripe_list_customers(params: ListCustomers, ctx: ToolContext) -> CustomerPage:
    """List Stripe customers, newest first, optionally only those with one email address.

    Page with `limit` and `starting_after` (pass the previous page's
    next_starting_after while has_more is true).
    """
    client = sdk(ctx)
    listing = await send(ctx, client.v1.customers.list_async, params=payload(params))
    return CustomerPage.of(listing, Customer)


async def stripe_update_customer(params: UpdateCustomer, ctx: ToolContext) -> Customer:
    """Change a Stripe customer's email, name, phone, description or metadata.

    Only the fields given change; metadata keys given are set, others kept
    (set a key to an empty string to remove it). Returns the updated customer.
    """
    client = sdk(ctx)
    update = payload(params, exclude={"customer_id"})
    result = await send(ctx, client.v1.customers.update_async, params.customer_id, params=update, write=True)
    return Customer.of(result)
