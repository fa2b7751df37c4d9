"""``[plugins.slack]`` in mcpea.toml.

::

    [plugins.slack]
    bot_token = { env = "SLACK_BOT_TOKEN" }   # xoxb-...: the hub's own bot token
    default_channel = "C0123456789"           # where messages go when a call names no channel
    # audit_url_template = "https://audit.example.com/calls/{call_id}"
    # base_url = "http://127.0.0.1:4012/"     # a proxy or a test double
    # rate_limit_retries = 2                  # slack_sdk's own 429 handler
    # max_retry_wait = 30                     # longer Retry-After: the call fails with RateLimited

The token is a secret: write it as ``{ env = ... }`` or ``{ file = ... }``;
it is never put in an error message, a log line or a result.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

__all__ = ["Settings", "check_audit_url_template"]


def check_audit_url_template(value: str | None) -> str | None:
    """An audit link template must say where the call id goes."""
    if value is not None and "{call_id}" not in value:
        raise ValueError(
            "audit_url_template must contain {call_id}, such as https://audit.example.com/calls/{call_id}"
        )
    return value


class Settings(BaseModel):
    """Settings of the Slack connector (and the defaults of its ``slack`` notification channels)."""

    model_config = ConfigDict(extra="forbid")

    bot_token: SecretStr = Field(
        description='The hub\'s Slack bot token (xoxb-...); write it as { env = "SLACK_BOT_TOKEN" }.'
    )
    base_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Base URL of the Web API (default https://slack.com/api/), for a proxy or a test double.",
    )
    default_channel: str | None = Field(
        default=None,
        min_length=1,
        description="Channel id (C...) or #name used when a message tool is called without a channel.",
    )
    audit_url_template: str | None = Field(
        default=None,
        description="Link from a notification to its audit record, with {call_id} in it; "
        "without it notifications quote the call id.",
    )
    timeout: int = Field(default=30, ge=1, le=300, description="Seconds to wait for one HTTP request.")
    rate_limit_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Times slack_sdk's rate-limit handler retries a 429 after its Retry-After.",
    )
    max_retry_wait: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description="Longest Retry-After the SDK may wait inside a call; beyond it the call fails with "
        "RateLimited so the caller decides.",
    )
    connection_retries: int = Field(
        default=1,
        ge=0,
        le=3,
        description="Retries of slack_sdk's connection-error handler (resets, disconnects); "
        "never for posts, which Slack may already have made.",
    )

    _audit_url = field_validator("audit_url_template")(check_audit_url_template)
