"""boto3 behind the tools: one session and one client per service for each hub, made on first use.

``boto3`` and ``botocore`` are imported here, when a tool first needs a
client, never when the hub loads the plugin. Clients are thread-safe (the
tools run in the hub's worker threads); the session that makes them is not,
so making them is serialised. The hub's ``shutdown`` closes them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal, cast

from ._version import __version__
from .settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

__all__ = ["Clients"]

Service = Literal["s3", "sqs", "secretsmanager"]


class Clients:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    def s3(self) -> S3Client:
        return cast("S3Client", self._client("s3"))

    def sqs(self) -> SQSClient:
        return cast("SQSClient", self._client("sqs"))

    def secretsmanager(self) -> SecretsManagerClient:
        return cast("SecretsManagerClient", self._client("secretsmanager"))

    def _client(self, service: Service) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self._clients[service] = self._make(service)
            return client

    def _make(self, service: Service) -> Any:
        import boto3.session
        from botocore.config import Config

        settings = self.settings
        if self._session is None:
            self._session = boto3.session.Session(
                aws_access_key_id=_plain(settings.access_key_id),
                aws_secret_access_key=_plain(settings.secret_access_key),
                aws_session_token=_plain(settings.session_token),
                profile_name=settings.profile,
                region_name=settings.region,
            )
        style = settings.s3_addressing_style
        if style == "auto" and settings.endpoint_url:
            style = "path"  # a custom endpoint rarely has a DNS name per bucket
        config = Config(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retries={"mode": "standard", "max_attempts": settings.max_attempts},
            user_agent_extra=f"mcpea-plugin-aws/{__version__}",
            s3={"addressing_style": style},
        )
        return self._session.client(service, endpoint_url=settings.endpoint_url, config=config)

    def close(self) -> None:
        """Close every client's connection pool."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


def _plain(secret: Any) -> str | None:
    return None if secret is None else str(secret.get_secret_value())
