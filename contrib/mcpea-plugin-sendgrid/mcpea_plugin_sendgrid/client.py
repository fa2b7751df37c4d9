"""The SendGrid SDK behind the tools and the channel: one request, errors translated.

``sendgrid`` is imported here on the first request, never when the hub loads
the plugin. The SDK is synchronous (urllib): tools calling :func:`request`
are plain functions, which the hub runs in a worker thread; the notification
channel runs it in a thread of its own loop.

A new ``SendGridAPIClient`` is made per request: it holds no connection pool,
and its header dictionary is mutated by each request, so sharing one between
threads would not be safe.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import from_http_error, unreachable
from .settings import Settings

__all__ = ["Reply", "request"]


@dataclass(frozen=True)
class Reply:
    """A 2xx answer: status, decoded JSON body (``None`` when empty) and headers."""

    status: int
    body: Any
    headers: Mapping[str, str]

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


def request(
    settings: Settings,
    method: str,
    path: Sequence[str],
    *,
    body: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
) -> Reply:
    """``method`` (``post``, ``get``) on ``/v3/<path>``; raises the hub's ``UpstreamError`` family."""
    import python_http_client.exceptions as http_errors
    import sendgrid

    key = settings.api_key.get_secret_value()
    client = sendgrid.SendGridAPIClient(api_key=key, host=settings.api_base)
    node = client.client
    for segment in path:
        node = node._(segment)
    try:
        response = getattr(node, method)(
            request_body=dict(body) if body is not None else None,
            query_params=dict(query) if query else None,
            timeout=settings.timeout,
        )
    except http_errors.HTTPError as exc:
        raise from_http_error(int(exc.status_code), exc.body, exc.headers, key) from None
    except OSError as exc:  # URLError, timeouts, refused connections
        raise unreachable(exc, key) from None
    raw = response.body
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw or ""
    headers = {str(k): str(v) for k, v in (response.headers.items() if response.headers else [])}
    return Reply(int(response.status_code), json.loads(text) if text.strip() else None, headers)
