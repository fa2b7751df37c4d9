"""SendGrid's failures, translated into the hub's error tree with messages a model can act on.

==========================  ==========================================================
SendGrid answer             becomes
==========================  ==========================================================
401                         ``AuthError``: the operator must fix the API key
403                         ``AuthError``: a missing scope, or an unverified sender
429                         ``RateLimited`` with ``retry_after`` (from X-RateLimit-Reset)
400, 413 and other 4xx      ``UpstreamError`` quoting SendGrid's messages and fields
5xx                         ``UpstreamError`` with ``retry_after``
no answer                   ``UpstreamError``: SendGrid could not be reached
==========================  ==========================================================

No message carries the API key: every text is scrubbed of the configured key
and of anything shaped like a SendGrid key (``SG.xxx.yyy``).
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Mapping
from typing import Any

from mcpea_core import AuthError, RateLimited, UpstreamError

__all__ = ["DEFAULT_RETRY_AFTER", "from_http_error", "scrub", "unreachable"]

DEFAULT_RETRY_AFTER = 5.0
MAX_MESSAGE = 300
_KEY_SHAPED = re.compile(r"SG\.[\w-]{6,}\.[\w-]{6,}")


def scrub(text: str, api_key: str | None = None) -> str:
    """``text`` without the configured key, anything SendGrid-key-shaped, or line breaks."""
    if api_key:
        text = text.replace(api_key, "[redacted]")
    text = _KEY_SHAPED.sub("[redacted]", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _messages(body: bytes | str | None) -> str:
    """SendGrid's ``{"errors": [{"message", "field"}]}`` as one line, or the start of a non-JSON body."""
    if not body:
        return "no details"
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data: Any = json.loads(raw)
    except ValueError:
        return raw[:200]
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list) or not errors:
        return raw[:200]
    parts = []
    for error in errors[:5]:
        if not isinstance(error, dict):
            continue
        message = str(error.get("message") or "error").rstrip(".")
        field = error.get("field")
        parts.append(f"{message} (field {field})" if field else message)
    return "; ".join(parts) or "no details"


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name) if isinstance(headers, Mapping) or hasattr(headers, "get") else None
    return str(value) if value is not None else None


def _retry_after(headers: Any) -> float:
    """Seconds until SendGrid's rate-limit window resets (X-RateLimit-Reset is a Unix time)."""
    reset, retry = _header(headers, "X-RateLimit-Reset"), _header(headers, "Retry-After")
    try:
        if retry is not None:
            return max(float(retry), 0.0)
        if reset is not None:
            return min(max(float(reset) - time.time(), 1.0), 3600.0)
    except ValueError:
        pass
    return DEFAULT_RETRY_AFTER


def from_http_error(
    status: int, body: bytes | str | None, headers: Any, api_key: str | None
) -> UpstreamError:
    """The hub error for one non-2xx SendGrid answer (raise it ``from`` the SDK's exception)."""
    detail = scrub(_messages(body), api_key)
    where = f" (HTTP {status})"
    kwargs: dict[str, Any] = {"status": status}
    if status == 401:
        return AuthError(
            f"SendGrid refused the hub's API key: {detail}. The operator must fix [plugins.sendgrid] "
            f"api_key; retrying will not help{where}.",
            **kwargs,
        )
    if status == 403:
        return AuthError(
            f"SendGrid does not allow this: {detail}. The operator must give the API key the needed scope "
            f"(Mail Send, Stats Read) or verify from_email as a sender; retrying will not help{where}.",
            **kwargs,
        )
    if status == 429:
        wait = _retry_after(headers)
        return RateLimited(
            f"SendGrid is rate-limiting this hub: retry in {wait:.0f} seconds{where}.",
            retry_after=wait,
            **kwargs,
        )
    if status >= 500:
        return UpstreamError(
            f"SendGrid failed: {detail}. Retry later; for an e-mail, the message was not accepted{where}.",
            retry_after=DEFAULT_RETRY_AFTER,
            **kwargs,
        )
    if status == 413:
        return UpstreamError(f"The request is too large for SendGrid: shorten the body{where}.", **kwargs)
    return UpstreamError(f"SendGrid rejected the request: {detail}. Fix the arguments{where}.", **kwargs)


def unreachable(exc: BaseException, api_key: str | None) -> UpstreamError:
    """The hub error when SendGrid gave no answer (DNS, refused connection, timeout, reset)."""
    cause = getattr(exc, "reason", None) or exc
    reason = scrub(str(cause) or type(cause).__name__, api_key)
    if isinstance(cause, socket.gaierror | ConnectionRefusedError):  # nothing was sent
        outcome = "Nothing was sent; retry later."
    else:
        outcome = (
            "An e-mail may or may not have been accepted: check SendGrid's activity feed before "
            "sending it again."
        )
    return UpstreamError(f"Could not reach SendGrid ({reason}). {outcome}", retry_after=DEFAULT_RETRY_AFTER)
