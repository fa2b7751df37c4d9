"""Money in tool arguments: checked before any request reaches Stripe.

Input models use :data:`Currency` and :data:`Amount` and call
:func:`check_amount` from a field validator on the amount (declared after the
currency), so a bad value comes back as an invalid argument naming the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from .currencies import ISO_4217, THREE_DECIMAL, TWO_DECIMAL_WHOLE_UNITS

__all__ = ["MAX_AMOUNT", "Amount", "Currency", "check_amount", "check_currency"]

# Stripe's largest amount is eight digits for most currencies and twelve for a
# few (IDR, for one); twelve is the bound that never refuses a valid charge.
MAX_AMOUNT = 999_999_999_999


def check_currency(value: str) -> str:
    code = value.strip().lower()
    if code not in ISO_4217:
        raise ValueError(
            f"{value!r} is not an ISO 4217 currency code: give three letters such as 'usd', 'eur' or 'jpy'"
        )
    return code


def check_amount(amount: int, currency: str | None) -> int:
    """The currency-specific rules; the type and sign are already checked by :data:`Amount`."""
    if currency is None:
        return amount
    if currency in THREE_DECIMAL and amount % 10:
        raise ValueError(
            f"{currency.upper()} amounts are in thousandths and Stripe requires the last digit to be 0 "
            f"(for example {amount // 10 * 10} instead of {amount})"
        )
    if currency in TWO_DECIMAL_WHOLE_UNITS and amount % 100:
        raise ValueError(
            f"{currency.upper()} has no minor unit but Stripe writes it with two decimals: the amount "
            f"must be a multiple of 100 (for example {amount // 100 * 100 or 100} instead of {amount})"
        )
    return amount


Currency = Annotated[
    str,
    AfterValidator(check_currency),
    Field(
        min_length=3,
        max_length=3,
        description="Three-letter ISO 4217 currency code such as 'usd', 'eur' or 'jpy' (any case).",
    ),
]

_AMOUNT_HELP = (
    "Positive integer in the currency's smallest unit: cents for USD/EUR (1050 = 10.50), whole yen for "
    "zero-decimal currencies such as JPY (1050 = 1050 yen), thousandths ending in 0 for BHD/JOD/KWD/OMR/TND. "
    "Never a decimal number."
)

Amount = Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT, description=_AMOUNT_HELP)]
"""An amount in minor units: an integer (``10.5`` and ``"10"`` are refused), above zero."""
