"""``[plugins.aws]`` in mcpea.toml.

::

    [plugins.aws]
    region = "eu-west-1"                       # required: without [plugins.aws] the plugin stays out
    # Credentials: leave them out to use boto3's default chain (environment, ~/.aws, an instance
    # or task role), name a profile of ~/.aws/config, or give a key pair as secrets:
    # profile = "mcpea-hub"
    # access_key_id = { env = "MCPEA_AWS_ACCESS_KEY_ID" }
    # secret_access_key = { env = "MCPEA_AWS_SECRET_ACCESS_KEY" }
    # session_token = { env = "MCPEA_AWS_SESSION_TOKEN" }
    # endpoint_url = "http://127.0.0.1:5000"   # an S3/SQS-compatible endpoint or a test double
    # max_object_bytes = 1048576               # cap of aws_get_object_text and aws_put_object

The key pair is secret: write it as ``{ env = ... }`` or ``{ file = ... }``.
Give the hub's credentials only the permissions its tools need (the README
has an IAM policy); the connector never asks for secret values.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator

if TYPE_CHECKING:
    from .session import Clients

__all__ = ["MAX_OBJECT_BYTES", "Settings"]

MAX_OBJECT_BYTES = 10 * 1024 * 1024


class Settings(BaseModel):
    """Settings of the AWS connector."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$",
        description="AWS region of every client. Required: an installed but unconfigured plugin stays out of "
        "the hub rather than act with whatever credentials the machine has.",
        examples=["eu-west-1"],
    )
    endpoint_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="One endpoint for every service (an S3/SQS-compatible server, a proxy or a test double); "
        "default AWS's own.",
    )
    profile: str | None = Field(
        default=None,
        min_length=1,
        description="Named profile of the AWS config files, instead of a key pair.",
    )
    access_key_id: SecretStr | None = Field(
        default=None, description="Access key id (AKIA...); with secret_access_key. Default: boto3's chain."
    )
    secret_access_key: SecretStr | None = Field(
        default=None, description='Secret access key; write it as { env = "MCPEA_AWS_SECRET_ACCESS_KEY" }.'
    )
    session_token: SecretStr | None = Field(
        default=None, description="Session token of temporary credentials, with the key pair."
    )
    s3_addressing_style: Literal["auto", "virtual", "path"] = Field(
        default="auto",
        description="S3 bucket addressing; auto: path-style when endpoint_url is set, else boto3's choice.",
    )
    max_object_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        le=MAX_OBJECT_BYTES,
        description="Most bytes aws_get_object_text reads and aws_put_object writes (at most 10 MiB).",
    )
    connect_timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to open a connection.")
    read_timeout: float = Field(
        default=30.0, gt=20, le=300, description="Seconds to wait for an answer (above SQS's 20 s long poll)."
    )
    max_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per request in botocore's standard retry mode."
    )

    _clients: Clients | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> Self:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("give access_key_id and secret_access_key together, or neither (boto3's chain)")
        if self.session_token is not None and self.access_key_id is None:
            raise ValueError("session_token goes with access_key_id and secret_access_key")
        if self.profile is not None and self.access_key_id is not None:
            raise ValueError("give either profile or a key pair, not both")
        return self

    @property
    def clients(self) -> Clients:
        """This hub's boto3 clients, made on first use."""
        with self._lock:
            if self._clients is None:
                from .session import Clients

                self._clients = Clients(self)
            return self._clients

    def close(self) -> None:
        """Close the clients made so far (the hub's shutdown); new ones are made on next use."""
        with self._lock:
            clients, self._clients = self._clients, None
        if clients is not None:
            clients.close()

    def secrets(self) -> list[str]:
        """The configured secret values, to scrub from error messages."""
        return [s.get_secret_value() for s in (self.secret_access_key, self.session_token) if s is not None]
