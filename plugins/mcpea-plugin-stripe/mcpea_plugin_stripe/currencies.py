"""ISO 4217 currency codes and how Stripe counts their minor units.

``ISO_4217`` holds the active alphabetic codes of ISO 4217 (list one, as
published by its maintenance agency in 2025), without the codes that are not
money a customer pays in: precious metals (XAU, XAG, XPD, XPT), bond-market
units (XBA-XBD), the SDR and SUCRE (XDR, XSU), the ADB unit (XUA) and the
testing and "no currency" codes (XTS, XXX). ANG is kept while it is being
replaced by XCG.

Stripe takes every amount as an integer in the currency's minor unit, with
its own exceptions (https://docs.stripe.com/currencies):

* zero-decimal currencies are counted in whole units (``1000`` JPY is 1000 yen);
* three-decimal currencies are counted in thousandths, and Stripe requires
  the last digit to be 0 (``5120`` KWD is 5.120 dinar);
* ISK is zero-decimal but written as two-decimal for backwards compatibility,
  so the last two digits must be 00 (``50000`` is 500 kronur).
"""

from __future__ import annotations

__all__ = [
    "ISO_4217",
    "THREE_DECIMAL",
    "TWO_DECIMAL_WHOLE_UNITS",
    "ZERO_DECIMAL",
    "exponent",
    "format_amount",
]

ISO_4217: frozenset[str] = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob bov
    brl bsd btn bwp byn bzd cad cdf che chf chw clf clp cny cop cou crc cup cve czk
    djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd gnf gtq gyd hkd hnl
    htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs khr kmf kpw krw kwd kyd kzt
    lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn mxv myr
    mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf
    sar sbd scr sdg sek sgd shp sle sll sos srd ssp stn svc syp szl thb tjs tmt tnd
    top try ttd twd tzs uah ugx usd usn uyi uyu uyw uzs ved ves vnd vuv wst xaf xcd
    xcg xof xpf yer zar zmw zwg zwl
    """.split()
)

ZERO_DECIMAL: frozenset[str] = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
THREE_DECIMAL: frozenset[str] = frozenset("bhd jod kwd omr tnd".split())
TWO_DECIMAL_WHOLE_UNITS: frozenset[str] = frozenset({"isk"})


def exponent(currency: str) -> int:
    """How many decimal places Stripe's integer amount has in ``currency`` (0, 2 or 3)."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount: int, currency: str) -> str:
    """``1050, "usd"`` -> ``"USD 10.50"``; ``500, "jpy"`` -> ``"JPY 500"``."""
    places = exponent(currency)
    code = currency.upper()
    if places == 0:
        return f"{code} {amount:,}"
    whole, fraction = divmod(abs(amount), 10**places)
    sign = "-" if amount < 0 else ""
    return f"{code} {sign}{whole:,}.{fraction:0{places}d}"
