"""Fixtures for the audit trail's tests: stores of every kind, and a PostgreSQL schema per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mcpea_core.audit import open_store
from mcpea_core.audit.store import AuditStore

from ._support import postgres_schema


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _audit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the example plugin, no config file, and no built-in audit plugin: each test brings its own."""
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "example")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "off")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose ``schema`` is unique to this test; the schema is dropped afterwards."""
    with postgres_schema() as url:
        yield url


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = request.param
    if kind == "sqlite":
        return f"sqlite://{tmp_path / 'audit.sqlite3'}"
    if kind == "jsonl":
        return f"jsonl://{tmp_path / 'audit.jsonl'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[AuditStore]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()
