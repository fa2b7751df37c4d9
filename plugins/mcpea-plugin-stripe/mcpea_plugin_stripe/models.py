"""Output models: the part of each Stripe object a model needs, and shared input pieces.

Each output model reads an SDK object with :meth:`StripeModel.of`, keeping
only its declared fields (expanded sub-objects collapse to their ids), so a
new field in Stripe's API never breaks a tool.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from mcpea_core.tools import DEFER_MODEL_BUILD

from .receipts import Receipt

__all__ = [
    "Balance",
    "BalanceAmount",
    "Customer",
    "Input",
    "Invoice",
    "ListInput",
    "Metadata",
    "Page",
    "PaymentError",
    "PaymentIntent",
    "Price",
    "Product",
    "Refund",
    "StripeModel",
    "Subscription",
    "payload",
]


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


Ref = Annotated[str | None, BeforeValidator(_id_of)]
"""An id, also when Stripe returned the object expanded."""

Meta = Annotated[dict[str, str], BeforeValidator(lambda value: value or {})]
"""Metadata as Stripe returns it (``None`` from some test doubles reads as empty)."""

Metadata = Annotated[
    dict[
        Annotated[str, Field(min_length=1, max_length=40)],
        Annotated[str, Field(max_length=500)],
    ]
    | None,
    Field(
        max_length=50,
        description="Your own key-value pairs stored on the object (at most 50 keys; keys up to 40 "
        "characters, values up to 500).",
    ),
]
"""Optional metadata in an input model: ``metadata: Metadata = None``."""


class Input(BaseModel):
    """Base of the tools' input models: unknown arguments are refused."""

    # Built on first use, not at import: keeps the hub's start-up fast.
    model_config = ConfigDict(extra="forbid", defer_build=DEFER_MODEL_BUILD)


class StripeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=DEFER_MODEL_BUILD)

    @classmethod
    def of(cls, obj: Any) -> Self:
        """Read an SDK object (or a plain dict)."""
        data = obj.to_dict() if hasattr(obj, "to_dict") else obj
        return cls.model_validate(data)


class ListInput(Input):
    """Paging arguments shared by the list tools."""

    limit: int = Field(default=10, ge=1, le=100, description="How many items to return (1-100).")
    starting_after: str | None = Field(
        default=None,
        description="Cursor: the id of the last item of the previous page (next_starting_after).",
    )


T = TypeVar("T", bound=StripeModel)


class Page(BaseModel, Generic[T]):
    """One page of a Stripe list, newest first."""

    # Deferred too: a parametrization (Page[Customer]) built at import would build its items' model inline.
    model_config = ConfigDict(defer_build=DEFER_MODEL_BUILD)

    data: list[T]
    has_more: bool = Field(
        description="More items follow: call again with starting_after=next_starting_after."
    )
    next_starting_after: str | None = Field(description="Cursor for the next page, when has_more.")

    @classmethod
    def of(cls, listing: Any, item: type[StripeModel]) -> Self:
        items = [item.of(obj) for obj in listing.data]
        has_more = bool(listing.has_more)
        last = getattr(items[-1], "id", None) if items and has_more else None
        return cls.model_validate({"data": items, "has_more": has_more, "next_starting_after": last})


class Customer(StripeModel):
    id: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    balance: int | None = Field(
        default=None, description="Credit (negative) or debt, smallest currency unit."
    )
    currency: str | None = None
    created: int | None = Field(default=None, description="Unix time.")
    metadata: Meta = Field(default_factory=dict)
    livemode: bool | None = None


class PaymentError(StripeModel):
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None


class PaymentIntent(StripeModel):
    id: str
    status: str | None = Field(
        default=None,
        description="requires_payment_method, requires_confirmation, requires_action, processing, "
        "requires_capture, canceled or succeeded.",
    )
    amount: int | None = Field(default=None, description="Smallest currency unit.")
    amount_received: int | None = None
    currency: str | None = None
    customer: Ref = None
    payment_method: Ref = None
    latest_charge: Ref = None
    description: str | None = None
    receipt_email: str | None = None
    cancellation_reason: str | None = None
    last_payment_error: PaymentError | None = None
    created: int | None = None
    metadata: Meta = Field(default_factory=dict)
    livemode: bool | None = None
    receipt: Receipt | None = Field(default=None, description="Receipt issued by this call, if asked for.")


class Refund(StripeModel):
    id: str
    status: str | None = Field(
        default=None, description="pending, requires_action, succeeded, failed or canceled."
    )
    amount: int | None = Field(default=None, description="Smallest currency unit.")
    currency: str | None = None
    payment_intent: Ref = None
    charge: Ref = None
    reason: str | None = None
    created: int | None = None
    metadata: Meta = Field(default_factory=dict)
    receipt: Receipt | None = Field(default=None, description="Receipt issued by this call, if asked for.")


class Invoice(StripeModel):
    id: str | None = None
    number: str | None = None
    status: str | None = Field(default=None, description="draft, open, paid, uncollectible or void.")
    customer: Ref = None
    currency: str | None = None
    amount_due: int | None = None
    amount_paid: int | None = None
    amount_remaining: int | None = None
    total: int | None = None
    collection_method: str | None = None
    due_date: int | None = None
    hosted_invoice_url: str | None = None
    created: int | None = None
    metadata: Meta = Field(default_factory=dict)


class Product(StripeModel):
    id: str
    name: str | None = None
    active: bool | None = None
    description: str | None = None
    default_price: Ref = None
    created: int | None = None
    metadata: Meta = Field(default_factory=dict)


class Recurring(StripeModel):
    interval: str | None = None
    interval_count: int | None = None


class Price(StripeModel):
    id: str
    product: Ref = None
    active: bool | None = None
    currency: str | None = None
    unit_amount: int | None = Field(default=None, description="Smallest currency unit.")
    type: str | None = Field(default=None, description="one_time or recurring.")
    recurring: Recurring | None = None
    nickname: str | None = None
    lookup_key: str | None = None
    created: int | None = None


class SubscriptionItem(StripeModel):
    id: str | None = None
    price: Ref = None
    quantity: int | None = None


class SubscriptionItems(StripeModel):
    data: list[SubscriptionItem] = Field(default_factory=list)


class Subscription(StripeModel):
    id: str
    status: str | None = Field(
        default=None,
        description="incomplete, incomplete_expired, trialing, active, past_due, canceled, unpaid or paused.",
    )
    customer: Ref = None
    cancel_at_period_end: bool | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    currency: str | None = None
    latest_invoice: Ref = None
    items: SubscriptionItems | None = None
    created: int | None = None
    metadata: Meta = Field(default_factory=dict)


class BalanceAmount(StripeModel):
    amount: int = Field(description="Smallest currency unit.")
    currency: str
    display: str | None = Field(default=None, description="The amount for people, e.g. 'USD 10.50'.")


class Balance(StripeModel):
    available: list[BalanceAmount] = Field(description="Funds you can pay out now, per currency.")
    pending: list[BalanceAmount] = Field(description="Funds not yet available, per currency.")
    livemode: bool | None = None


def payload(params: BaseModel, *, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """The Stripe request parameters of an input model: its fields, without unset ones or ``exclude``."""
    return params.model_dump(mode="json", exclude_none=True, exclude=set(exclude))
