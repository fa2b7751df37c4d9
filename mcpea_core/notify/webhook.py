"""The ``webhook`` channel: an HTTP POST of the notification's JSON, signed with a shared secret.

::

    [notify.channels."webhook:ops"]
    url = "https://ops.example.com/hooks/mcpea"
    secret = { env = "OPS_WEBHOOK_SECRET" }   # at least 16 characters
    timeout = 5                               # seconds per attempt (default 10)

Each request carries

* ``X-Mcpea-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body under the
  secret. Receivers check it with :func:`verify_signature` (or the same
  three lines in their own language) before trusting the body.
* ``Idempotency-Key``: the same on every retry of one notification (derived
  from the call id and the channel); receivers deduplicate by it, since
  delivery is at least once.
* ``X-Mcpea-Attempt``: 1 for the first attempt, 2 for the first retry, ...

A 2xx answer delivers the notification. 408, 425, 429 and 5xx answers,
timeouts and connection errors are retried (``Retry-After`` in seconds is
honoured as a minimum wait); any other answer (a 4xx: the receiver refuses
the notification itself) dead-letters it at once. Redirects are not
followed. Errors name the status and the channel, never the URL.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from .._version import __version__
from .channels import Delivery, DeliveryError

__all__ = ["SIGNATURE_HEADER", "WebhookChannel", "WebhookSettings", "sign", "verify_signature"]

SIGNATURE_HEADER = "X-Mcpea-Signature"
_RETRYABLE = frozenset({408, 425, 429})


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Mcpea-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256 under ``secret``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (the received ``X-Mcpea-Signature``) signs ``body``; compares in constant time."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


class WebhookSettings(BaseModel):
    """A ``webhook:<name>`` channel's table in ``[notify.channels]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: AnyHttpUrl = Field(description="Where to POST the notifications (http or https).")
    secret: SecretStr = Field(min_length=16, description="Shared secret that signs each body (HMAC-SHA256).")
    timeout: float = Field(default=10.0, gt=0, le=60, description="Seconds one attempt may take.")


class WebhookChannel:
    """POSTs each notification to one URL; the HTTP client is created on first use, on the worker's loop."""

    def __init__(
        self, name: str, settings: WebhookSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"WebhookChannel({self.name!r})"

    async def send(self, delivery: Delivery) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.settings.timeout, follow_redirects=False, transport=self._transport
            )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"mcpea/{__version__}",
            SIGNATURE_HEADER: sign(self.settings.secret.get_secret_value().encode(), delivery.body),
            "Idempotency-Key": delivery.idempotency_key,
            "X-Mcpea-Attempt": str(delivery.attempt),
        }
        try:
            response = await self._client.post(str(self.settings.url), content=delivery.body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(f"{self.name}: no answer within {self.settings.timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}") from exc
        if response.is_success:
            return
        status = response.status_code
        retryable = status in _RETRYABLE or status >= 500
        raise DeliveryError(
            f"{self.name}: HTTP {status} {response.reason_phrase}".rstrip(),
            permanent=not retryable,
            retry_after=_retry_after(response.headers.get("Retry-After")) if retryable else None,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is ignored)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
