"""Fixtures of the AWS connector's tests: moto in server mode on 127.0.0.1, and settings for it.

moto's ``ThreadedMotoServer`` serves S3, SQS and Secrets Manager over HTTP
(one process-wide server, on a free port); every test starts from an empty
account (``POST /moto-api/reset``). The plugin talks to it with real boto3
through ``endpoint_url``, exactly as it would to AWS.

Each test also runs without any AWS configuration of the machine: the
environment's credentials, profiles and config files are hidden, and the
instance-metadata lookup is off, so boto3's default chain finds nothing
unless a test gives it something.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ACCESS_KEY_ID = "mcpea-test-key-id"
SECRET_ACCESS_KEY = "mcpea-test-secret-access-key-0123456789"
REGION = "eu-west-1"


@dataclass(frozen=True)
class Moto:
    """The running stand-in: its endpoint, settings pointing at it, and boto3 clients to seed it."""

    endpoint: str

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """``[plugins.aws]`` for the stand-in (static test credentials)."""
        return {
            "region": REGION,
            "endpoint_url": self.endpoint,
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": SECRET_ACCESS_KEY,
            **overrides,
        }

    def client(self, service: Any) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Moto]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield Moto(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: Moto) -> Moto:
    """The stand-in, emptied for this test."""
    moto_server.reset()
    return moto_server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_machine_aws_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "aws")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
