"""Money is validated before any request: integer minor units, ISO 4217 codes, Stripe's decimal rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcpea_plugin_stripe.currencies import ISO_4217, THREE_DECIMAL, ZERO_DECIMAL, exponent, format_amount
from mcpea_plugin_stripe.payments import CreatePaymentIntent
from pydantic import ValidationError

from mcpea_core import Hub, InvalidArguments

pytestmark = pytest.mark.anyio


def problems(**arguments: Any) -> list[tuple[str, str]]:
    try:
        CreatePaymentIntent.model_validate(arguments)
    except ValidationError as exc:
        return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
    return []


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(1, "usd"), (1050, "USD"), (500, "jpy"), (5120, "kwd"), (50000, "isk"), (999_999_999_999, "idr")],
)
def test_valid_amounts(amount: int, currency: str) -> None:
    assert problems(amount=amount, currency=currency) == []


@pytest.mark.parametrize(
    ("amount", "currency", "field", "words"),
    [
        (0, "usd", "amount", "greater than 0"),
        (-100, "usd", "amount", "greater than 0"),
        (10.5, "usd", "amount", "valid integer"),
        (10.0, "usd", "amount", "valid integer"),
        ("1000", "usd", "amount", "valid integer"),
        (True, "usd", "amount", "valid integer"),
        (10**13, "usd", "amount", "less than or equal"),
        (1005, "kwd", "amount", "last digit to be 0"),
        (150, "isk", "amount", "multiple of 100"),
        (100, "usx", "currency", "not an ISO 4217 currency code"),
        (100, "dollars", "currency", "not an ISO 4217"),
        (100, "xau", "currency", "not an ISO 4217"),
    ],
)
def test_invalid_money_names_the_field(amount: Any, currency: str, field: str, words: str) -> None:
    found = problems(amount=amount, currency=currency)
    assert len(found) == 1, found
    assert found[0][0] == field and words in found[0][1], found


def test_currency_is_normalised_to_lower_case() -> None:
    assert CreatePaymentIntent.model_validate({"amount": 1, "currency": "EUR"}).currency == "eur"


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1050, "usd", "USD 10.50"),
        (5, "eur", "EUR 0.05"),
        (1050, "jpy", "JPY 1,050"),
        (5120, "kwd", "KWD 5.120"),
        (-250, "gbp", "GBP -2.50"),
        (123456789, "usd", "USD 1,234,567.89"),
    ],
)
def test_format_amount(amount: int, currency: str, shown: str) -> None:
    assert format_amount(amount, currency) == shown


def test_currency_tables() -> None:
    assert ZERO_DECIMAL <= ISO_4217 and THREE_DECIMAL <= ISO_4217
    assert {"usd", "eur", "jpy", "gbp", "chf", "kwd", "xof"} <= ISO_4217
    assert not {"xau", "xts", "xxx"} & ISO_4217
    assert [exponent(c) for c in ("JPY", "usd", "bhd")] == [0, 2, 3]


@pytest.mark.parametrize(
    ("tool", "arguments", "field"),
    [
        ("stripe_create_payment_intent", {"amount": 10.5, "currency": "usd"}, "amount"),
        ("stripe_create_payment_intent", {"amount": 100, "currency": "euro"}, "currency"),
        ("stripe_create_refund", {"payment_intent": "pi_1", "amount": -5}, "amount"),
        ("stripe_create_price", {"product": "prod_1", "currency": "kwd", "unit_amount": 1001}, "unit_amount"),
        ("stripe_create_invoice", {"customer": "cus_1", "currency": "zzz"}, "currency"),
    ],
)
async def test_bad_money_never_reaches_stripe(
    make_hub: Callable[..., Hub], recorder: Any, call: Any, tool: str, arguments: dict[str, Any], field: str
) -> None:
    _, outcome = await call(make_hub(recorder), tool, arguments)
    assert outcome.outcome == "invalid_input"
    assert isinstance(outcome.error, InvalidArguments)
    assert [p.field for p in outcome.error.problems] == [field]
    assert f"- {field}: " in outcome.result.content[0].text
    assert recorder.requests == []
