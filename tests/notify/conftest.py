"""Fixtures for the notification tests: outboxes of each kind, audit stores keeping one, a receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from audit._support import postgres_schema

from mcpea_core.notify.memory_outbox import MemoryOutbox
from mcpea_core.notify.outbox import Outbox
from mcpea_core.notify.sqlite_outbox import SQLiteOutbox
from notify.support import Receiver


@pytest.fixture(autouse=True)
def _no_audit_trail(monkeypatch: pytest.MonkeyPatch) -> None:
    """No built-in audit trail writing to the user's state directory (tests/conftest.py does the rest)."""
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "off")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL with a schema of this test's own (skips without MCPEA_TEST_POSTGRES_URL)."""
    with postgres_schema("mcpea_notify_test") as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Outbox]:
    """Each Outbox implementation, opened: the contract tests run against all of them."""
    store: Outbox
    if request.param == "memory":
        store = MemoryOutbox()
    elif request.param == "sqlite":
        store = SQLiteOutbox(tmp_path / "outbox.sqlite3")
    else:
        from mcpea_core.notify.postgres_outbox import PostgresOutbox

        url = request.getfixturevalue("postgres_url")
        base, schema = url.split("?schema=", 1) if "?schema=" in url else url.rsplit("&schema=", 1)
        store = PostgresOutbox(base, schema=schema)
    await store.open()
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an audit store that keeps the notification outbox in its database."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'audit.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
