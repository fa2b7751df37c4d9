"""``[plugins.sendgrid]`` in mcpea.toml.

::

    [plugins.sendgrid]
    api_key = { env = "SENDGRID_API_KEY" }    # SG.xxx: a key with the "Mail Send" (and "Stats") scopes
    from_email = "agent@example.com"           # a verified sender of the SendGrid account
    # from_name = "Support agent"
    # api_base = "https://api.eu.sendgrid.com" # EU data residency, a proxy or a test double
    # sandbox_mode = true                      # SendGrid validates but delivers nothing
    # max_recipients = 50                      # to + cc + bcc of one e-mail
    # timeout = 10

The API key is a secret: write it as ``{ env = ... }`` or ``{ file = ... }``.
It is sent only as SendGrid's ``Authorization`` header, never put in a
result, an error or a log line.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .addresses import EmailAddress

__all__ = ["DEFAULT_API_BASE", "Settings"]

DEFAULT_API_BASE = "https://api.sendgrid.com"


class Settings(BaseModel):
    """Settings of the SendGrid connector (and the defaults of its ``email`` notification channels)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr = Field(
        min_length=1,
        description="SendGrid API key (SG....) with the Mail Send scope; write it as "
        '{ env = "SENDGRID_API_KEY" }.',
    )
    from_email: EmailAddress = Field(
        description="Sender address of every e-mail: a verified sender (or domain) of the SendGrid account.",
        examples=["agent@example.com"],
    )
    from_name: str | None = Field(
        default=None, min_length=1, max_length=100, description="Display name shown with from_email."
    )
    api_base: str = Field(
        default=DEFAULT_API_BASE,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Base URL of the v3 API without /v3: https://api.eu.sendgrid.com for EU residency, "
        "a proxy or a test double.",
    )
    sandbox_mode: bool = Field(
        default=False,
        description="Ask SendGrid to validate each e-mail but deliver none (mail_settings.sandbox_mode).",
    )
    max_recipients: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Most addresses (to + cc + bcc) one sendgrid_send_email call may write to; SendGrid's "
        "own limit is 1000.",
    )
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds to wait for one HTTP request.")

    @field_validator("api_base")
    @classmethod
    def _no_version_suffix(cls, value: str) -> str:
        value = value.rstrip("/")
        if value.endswith("/v3"):
            raise ValueError("give api_base without /v3 (the SDK adds it), such as https://api.sendgrid.com")
        return value
