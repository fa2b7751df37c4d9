"""PyGithub's and requests' exceptions, translated into MC-PEA's error tree at the connector's edge.

- bad or missing credentials (401) -> ``AuthError``;
- a rate limit (403/429 that GitHub marks as one) -> ``RateLimited`` with
  ``retry_after`` and, in the message, the remaining quota and reset time;
- any other answer -> ``UpstreamError`` with the status, GitHub's message
  and its request id;
- no answer at all -> ``UpstreamError`` naming the API root.

GitHub's request id (``X-GitHub-Request-Id``) is also reported through
``ctx.report_upstream`` for the audit record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mcpea_core import AuthError, RateLimited, ToolContext, UpstreamError

from .client import REQUEST_ID_HEADER, headers_of, settings_of

if TYPE_CHECKING:
    from github import GithubException

__all__ = ["translate", "upstream"]

SECONDARY_LIMIT_DEFAULT_WAIT = 60.0  # GitHub: "wait for at least one minute" when it names no time
_HINTS = {
    404: "it does not exist, or the token cannot see it (GitHub answers 404 for private resources)",
    409: "it conflicts with the current state on GitHub",
    422: "GitHub rejected the request's content",
}


@contextmanager
def upstream(ctx: ToolContext) -> Iterator[None]:
    """Run PyGithub calls, translating their failures (``raise ... from exc``)."""
    import requests
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        error = translate(exc)
        if error.request_id:
            ctx.report_upstream(request_id=error.request_id)
        raise error from exc
    except requests.RequestException as exc:
        base = settings_of(ctx).base_url
        raise UpstreamError(
            f"Could not reach GitHub at {base} ({type(exc).__name__}); try again later."
        ) from exc


def translate(exc: GithubException) -> UpstreamError:
    """The MC-PEA error for one PyGithub exception."""
    from github import BadCredentialsException, RateLimitExceededException, TwoFactorException

    status = exc.status
    headers: Mapping[str, Any] = headers_of(exc.headers)
    request_id = _text(headers.get(REQUEST_ID_HEADER))
    message = (_github_message(exc.data) or exc.message or "").strip().rstrip(".")
    suffix = f" (request id {request_id})" if request_id else ""
    if isinstance(exc, BadCredentialsException | TwoFactorException) or status == 401:
        return AuthError(
            f"GitHub refused the hub's credentials ({status} {message or 'Unauthorized'}): "
            f"check the token in [plugins.github]{suffix}.",
            status=status,
            request_id=request_id,
        )
    if isinstance(exc, RateLimitExceededException) or _is_rate_limit(status, headers, message):
        wait = _rate_limit_wait(headers)
        return RateLimited(
            f"GitHub rate limit: {message or 'too many requests'}. {_quota(headers)}"
            f"Retry after {wait:.0f} s{suffix}.",
            status=status,
            request_id=request_id,
            retry_after=wait,
        )
    hint = _HINTS.get(status)
    details = _github_errors(exc.data)
    return UpstreamError(
        f"GitHub answered {status}: {message or 'no message'}"
        + (f" ({details})" if details else "")
        + (f"; {hint}" if hint else "")
        + f"{suffix}.",
        status=status,
        request_id=request_id,
    )


def _is_rate_limit(status: int, headers: Mapping[str, Any], message: str) -> bool:
    if status not in (403, 429):
        return False
    return (
        status == 429
        or "retry-after" in headers
        or _text(headers.get("x-ratelimit-remaining")) == "0"
        or "rate limit" in message.lower()
    )


def _rate_limit_wait(headers: Mapping[str, Any]) -> float:
    from .retry import rate_limit_wait

    wait = rate_limit_wait(headers)
    return SECONDARY_LIMIT_DEFAULT_WAIT if wait is None else wait


def _quota(headers: Mapping[str, Any]) -> str:
    remaining = _text(headers.get("x-ratelimit-remaining"))
    limit = _text(headers.get("x-ratelimit-limit"))
    reset = _text(headers.get("x-ratelimit-reset"))
    parts = []
    if remaining is not None:
        resource = _text(headers.get("x-ratelimit-resource"))
        of = f" of {limit}" if limit else ""
        parts.append(f"{remaining}{of} requests left" + (f" ({resource})" if resource else ""))
    if reset is not None and reset.isdigit():
        at = datetime.fromtimestamp(int(reset), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts.append(f"quota resets at {at}")
    return "; ".join(parts) + ". " if parts else ""


def _github_message(data: Any) -> str | None:
    if isinstance(data, Mapping):
        # GitHub sends {"message": ...}; Prism and some proxies send problem+json {"title": ...}.
        return _text(data.get("message")) or _text(data.get("title"))
    return None


def _github_errors(data: Any) -> str:
    errors = data.get("errors") if isinstance(data, Mapping) else None
    if not isinstance(errors, list):
        return ""
    described = []
    for item in errors[:5]:
        if isinstance(item, Mapping):
            field = item.get("field") or item.get("resource")
            text = item.get("message") or item.get("code")
            described.append(f"{field}: {text}" if field else str(text))
        else:
            described.append(str(item))
    return "; ".join(described)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
