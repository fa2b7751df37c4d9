"""Fixtures for the notification tests: outboxes of each kind, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mcpea_core.notify.memory_outbox import MemoryOutbox
from mcpea_core.notify.outbox import Outbox
from mcpea_core.notify.sqlite_outbox import SQLiteOutbox
from notify.support import Receiver


@pytest.fixture(autouse=True)
def _no_audit_trail(monkeypatch: pytest.MonkeyPatch) -> None:
    """No built-in audit trail writing to the user's state directory (tests/conftest.py does the rest)."""
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "off")


@pytest.fixture(params=["memory", "sqlite"])
async def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Outbox]:
    """Each Outbox implementation, opened: the contract tests run against all of them."""
    store: Outbox = MemoryOutbox() if request.param == "memory" else SQLiteOutbox(tmp_path / "outbox.sqlite3")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
