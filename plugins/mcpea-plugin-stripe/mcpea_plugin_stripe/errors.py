"""Stripe's exceptions, translated into the hub's error tree with messages a model can act on.

=============================  =======================================================
Stripe                         becomes
=============================  =======================================================
``CardError``                  ``UpstreamError`` naming the decline code and what to do
``RateLimitError``             ``RateLimited`` with ``retry_after``
``AuthenticationError``        ``AuthError`` (the hub's key was refused)
``PermissionError``            ``AuthError`` (a restricted key lacks a permission)
``IdempotencyError``           ``UpstreamError``: the call id was reused with other arguments
``InvalidRequestError``        ``UpstreamError`` naming the parameter Stripe objected to
``APIConnectionError``         ``UpstreamError``: Stripe could not be reached
anything else                  ``UpstreamError`` with the HTTP status and request id
=============================  =======================================================

No message ever carries the API key: Stripe echoes a masked key in some
errors, and every message is scrubbed of anything key-shaped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mcpea_core import AuthError, RateLimited, UpstreamError

if TYPE_CHECKING:
    from stripe import StripeError

__all__ = ["DEFAULT_RETRY_AFTER", "scrub", "translate"]

DEFAULT_RETRY_AFTER = 2.0
_KEY_SHAPED = re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*_]+")


def scrub(text: str, api_key: str | None = None) -> str:
    """Remove anything that looks like a Stripe key (and the configured key itself) from ``text``."""
    if api_key:
        text = text.replace(api_key, "[redacted]")
    return _KEY_SHAPED.sub("[redacted]", text)


def _retry_after(headers: Any) -> float:
    raw = headers.get("retry-after") or headers.get("Retry-After") if headers else None
    try:
        return max(float(raw), 0.0) if raw is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def translate(exc: StripeError, api_key: str | None = None) -> UpstreamError:
    """The hub error for one Stripe exception (raise it ``from exc``)."""
    import stripe

    status, request_id = exc.http_status, exc.request_id
    err = exc.error
    message = scrub((exc.user_message or "no message").rstrip("."), api_key)
    where = ", ".join(
        p for p in (f"HTTP {status}" if status else "", f"request id {request_id}" if request_id else "") if p
    )
    suffix = f" ({where})" if where else ""
    kwargs: dict[str, Any] = {"status": status, "request_id": request_id}

    if isinstance(exc, stripe.CardError):
        decline = (err.decline_code if err else None) or exc.code or "unknown"
        intent = getattr(getattr(err, "payment_intent", None), "id", None) if err else None
        step = f" Payment intent {intent} now needs another payment method." if intent else ""
        return UpstreamError(
            f"The card was declined: decline code {decline!r} ({message}).{step} Ask the customer for a "
            f"different card or payment method; retrying the same card will not help{suffix}.",
            **kwargs,
        )
    if isinstance(exc, stripe.RateLimitError):
        wait = _retry_after(exc.headers)
        return RateLimited(
            f"Stripe is rate-limiting this hub: retry in {wait:g} seconds, with fewer calls at once{suffix}.",
            retry_after=wait,
            **kwargs,
        )
    if isinstance(exc, stripe.AuthenticationError):
        return AuthError(
            f"Stripe refused the hub's API key ({message}). The operator must fix [plugins.stripe] api_key; "
            f"retrying will not help{suffix}.",
            **kwargs,
        )
    if isinstance(exc, stripe.PermissionError):
        return AuthError(
            f"The hub's Stripe key may not do this ({message}). The operator must grant the permission "
            f"to the restricted key{suffix}.",
            **kwargs,
        )
    if isinstance(exc, stripe.IdempotencyError):
        return UpstreamError(
            f"Stripe refused to replay this call with different arguments ({message}). A retried call must "
            f"repeat its arguments exactly; for a new operation make a new call{suffix}.",
            **kwargs,
        )
    if isinstance(exc, stripe.InvalidRequestError):
        param = getattr(exc, "param", None)
        about = f" Parameter: {param}." if param else ""
        return UpstreamError(
            f"Stripe rejected the request: {message}.{about} Fix the arguments{suffix}.", **kwargs
        )
    if isinstance(exc, stripe.APIConnectionError):
        return UpstreamError(
            f"Could not reach Stripe after the SDK's retries ({type(exc).__name__}). A write may or may not "
            f"have happened: check with a list or get tool before repeating it{suffix}.",
            retry_after=DEFAULT_RETRY_AFTER,
            **kwargs,
        )
    return UpstreamError(f"Stripe failed: {message}{suffix}.", **kwargs)
