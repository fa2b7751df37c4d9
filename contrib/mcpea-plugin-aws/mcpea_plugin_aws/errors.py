"""botocore's exceptions, translated into the hub's error tree with messages a model can act on.

=====================================  ================================================
botocore                               becomes
=====================================  ================================================
``ClientError``, refused credentials   ``AuthError``: the operator must fix them or IAM
``ClientError``, throttling            ``RateLimited`` with ``retry_after``
``ClientError``, no such bucket/key/.. ``UpstreamError`` saying which list tool helps
other ``ClientError``                  ``UpstreamError`` with AWS's code and message
``NoCredentialsError`` and kin         ``AuthError``: no credentials were found
connection and timeout errors          ``UpstreamError``: AWS could not be reached
=====================================  ================================================

Every message carries the HTTP status and AWS's request id when there is
one, and is scrubbed of the configured secrets and anything shaped like an
access key id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mcpea_core import AuthError, RateLimited, ToolError, UpstreamError

__all__ = ["DEFAULT_RETRY_AFTER", "request_id_of", "scrub", "translate"]

DEFAULT_RETRY_AFTER = 2.0
MAX_MESSAGE = 300
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")

AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AllAccessDisabled",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSecurity",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "KMSAccessDeniedException",
    }
)
THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
    }
)
NOT_FOUND_HINTS = {
    "NoSuchBucket": "no such bucket: aws_list_buckets lists them",
    "NoSuchKey": "no such object: aws_list_objects lists the bucket's keys",
    "NotFound": "not found",
    "AWS.SimpleQueueService.NonExistentQueue": "no such queue: aws_list_queues lists them",
    "QueueDoesNotExist": "no such queue: aws_list_queues lists them",
    "ResourceNotFoundException": "not found: aws_list_secrets lists the secrets",
    "ReceiptHandleIsInvalid": "the receipt handle is not valid: receive the message again",
}


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` on one line, without the given secrets or access-key-id-shaped words, cut to a length."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = " ".join(_KEY_ID.sub("[redacted]", text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def request_id_of(response: Any) -> str | None:
    """AWS's request id in a response or error dict (``ResponseMetadata.RequestId``)."""
    meta = response.get("ResponseMetadata") if isinstance(response, dict) else None
    value = meta.get("RequestId") if isinstance(meta, dict) else None
    return str(value) if value else None


def translate(exc: Exception, service: str, secrets: Sequence[str] = ()) -> ToolError:
    """The hub error for one botocore exception (``raise translate(...) from None``)."""
    from botocore import exceptions as bc

    if isinstance(exc, bc.ClientError):
        return _client_error(exc, service, secrets)
    if isinstance(
        exc,
        bc.NoCredentialsError
        | bc.PartialCredentialsError
        | bc.ProfileNotFound
        | bc.NoRegionError
        | bc.CredentialRetrievalError,
    ):
        return AuthError(
            f"The hub has no usable AWS credentials ({scrub(str(exc), secrets)}). The operator must set "
            "[plugins.aws] access_key_id and secret_access_key, a profile, or boto3's default chain; "
            "retrying will not help."
        )
    if isinstance(
        exc,
        bc.ConnectTimeoutError
        | bc.ReadTimeoutError
        | bc.EndpointConnectionError
        | bc.ConnectionClosedError
        | bc.ConnectionError,
    ):
        return UpstreamError(
            f"Could not reach AWS {service} after retries ({type(exc).__name__}). A write may or may not "
            "have happened: check before repeating it.",
            retry_after=DEFAULT_RETRY_AFTER,
        )
    if isinstance(exc, bc.ParamValidationError):
        return ToolError(f"AWS {service} refused the parameters: {scrub(str(exc), secrets)}")
    return UpstreamError(f"AWS {service} failed: {type(exc).__name__}: {scrub(str(exc), secrets)}")


def _client_error(exc: Any, service: str, secrets: Sequence[str]) -> UpstreamError:
    response = exc.response if isinstance(exc.response, dict) else {}
    error = response.get("Error") or {}
    code = str(error.get("Code") or "Unknown")
    message = scrub(str(error.get("Message") or "no message").rstrip("."), secrets)
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    request_id = request_id_of(response)
    where = ", ".join(
        p for p in (f"HTTP {status}" if status else "", f"request id {request_id}" if request_id else "") if p
    )
    suffix = f" ({where})" if where else ""
    operation = getattr(exc, "operation_name", "the request")
    kwargs: dict[str, Any] = {"status": status if isinstance(status, int) else None, "request_id": request_id}
    if code in AUTH_CODES:
        return AuthError(
            f"AWS refused {operation}: {code}: {message}. The hub's credentials lack this permission or are "
            f"invalid; the operator must fix them or the IAM policy, retrying will not help{suffix}.",
            **kwargs,
        )
    if code in THROTTLE_CODES or status == 429:
        return RateLimited(
            f"AWS {service} is throttling this hub ({code}): retry in {DEFAULT_RETRY_AFTER:g} seconds, with "
            f"fewer calls at once{suffix}.",
            retry_after=DEFAULT_RETRY_AFTER,
            **kwargs,
        )
    hint = NOT_FOUND_HINTS.get(code)
    if hint:
        return UpstreamError(f"{operation} failed, {hint} ({code}: {message}){suffix}.", **kwargs)
    retry = DEFAULT_RETRY_AFTER if isinstance(status, int) and status >= 500 else None
    return UpstreamError(f"{operation} failed: {code}: {message}{suffix}.", retry_after=retry, **kwargs)
