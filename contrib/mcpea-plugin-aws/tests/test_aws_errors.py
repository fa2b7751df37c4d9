"""botocore's exceptions into the hub's errors, for the cases moto does not produce (refusals, throttling)."""

from __future__ import annotations

from typing import Any

import pytest
from mcpea_plugin_aws.errors import scrub, translate

from mcpea_core import AuthError, RateLimited, ToolError, UpstreamError


def client_error(code: str, message: str, status: int, operation: str = "ListBuckets") -> Exception:
    from botocore.exceptions import ClientError

    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": "req-123", "HTTPStatusCode": status},
    }
    return ClientError(response, operation)


@pytest.mark.parametrize(
    ("code", "status", "kind", "words"),
    [
        ("AccessDenied", 403, AuthError, "AWS refused ListBuckets: AccessDenied"),
        ("AccessDeniedException", 400, AuthError, "the operator must fix them or the IAM policy"),
        ("SignatureDoesNotMatch", 403, AuthError, "lack this permission or are invalid"),
        ("ExpiredToken", 400, AuthError, "retrying will not help"),
        ("SlowDown", 503, RateLimited, "AWS s3 is throttling this hub (SlowDown): retry in 2 seconds"),
        ("ThrottlingException", 400, RateLimited, "with fewer calls at once"),
        ("InternalError", 500, UpstreamError, "ListBuckets failed: InternalError: boom"),
        ("InvalidArgument", 400, UpstreamError, "ListBuckets failed: InvalidArgument: boom"),
    ],
)
def test_client_errors(code: str, status: int, kind: type[UpstreamError], words: str) -> None:
    error = translate(client_error(code, "boom", status), "s3")
    assert type(error) is kind and words in str(error)
    assert error.status == status and error.request_id == "req-123"
    assert str(error).endswith(f"(HTTP {status}, request id req-123).")
    assert (error.retry_after is not None) == (kind is RateLimited or status >= 500)


def test_messages_never_carry_credentials() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    message = f"The AWS Access Key Id AKIAIOSFODNN7EXAMPLE with secret {secret} is not\nvalid"
    error = translate(client_error("InvalidAccessKeyId", message, 403), "s3", [secret])
    assert "AKIAIOSFODNN7EXAMPLE" not in str(error) and secret not in str(error) and "\n" not in str(error)
    assert "[redacted]" in str(error)
    assert scrub("x" * 1000).endswith("…") and len(scrub("x" * 1000)) == 300


def test_other_botocore_errors() -> None:
    from botocore.exceptions import NoCredentialsError, ParamValidationError, ReadTimeoutError

    assert isinstance(translate(NoCredentialsError(), "sqs"), AuthError)
    timeout = translate(ReadTimeoutError(endpoint_url="https://sqs.eu-west-1.amazonaws.com"), "sqs")
    assert (
        type(timeout) is UpstreamError and "Could not reach AWS sqs" in str(timeout) and timeout.retry_after
    )
    invalid = translate(ParamValidationError(report="Invalid length for parameter Key"), "s3")
    assert type(invalid) is ToolError and "Invalid length for parameter Key" in str(invalid)
