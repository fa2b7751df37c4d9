"""Helpers for the audit tests (fixtures live in conftest.py): records, store kinds, a store double."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

from mcpea_core.audit import AuditRecord, AuditStoreError, ChainHead, RecordFilter, VerifyReport
from mcpea_core.audit.store import AuditStore

POSTGRES_ENV = "MCPEA_TEST_POSTGRES_URL"
STORE_KINDS = ["sqlite", "jsonl", "postgresql"]


@contextlib.contextmanager
def postgres_schema(prefix: str = "mcpea_audit_test") -> Iterator[str]:
    """A PostgreSQL URL whose ``schema`` is new and dropped afterwards; skips without a server."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test) to run PostgreSQL tests"
        )
    import psycopg
    from psycopg import sql

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{base}{'&' if '?' in base else '?'}schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def make_record(call_id: str, phase: str = "start", **fields: object) -> AuditRecord:
    defaults: dict[str, object] = {"tool": "example_echo_text", "principal": "local:test", "hub": "hub-1"}
    if phase == "start":
        defaults["arguments"] = {"text": "hi"}
    else:
        defaults.update(outcome="success", duration_ms=1.5)
    defaults.update(fields)
    return AuditRecord(call_id=call_id, phase=phase, **defaults)  # type: ignore[arg-type]


class RecordingStore:
    """A real store that also appends ``audit:<phase>:<tool>`` to ``events`` once a record is committed.

    ``fail`` names what fails (``"open"``, ``"start"``, ``"end"``); ``hang`` makes start records never commit.
    """

    def __init__(
        self, inner: AuditStore, events: list[str], *, fail: frozenset[str] = frozenset(), hang: bool = False
    ) -> None:
        self.inner = inner
        self.events = events
        self.fail = fail
        self.hang = hang
        self.closed = False

    def _check(self, what: str) -> None:
        if what in self.fail:
            raise AuditStoreError(f"audit store could not {what}: disk I/O error")

    async def open(self) -> None:
        self._check("open")
        await self.inner.open()

    async def append_start(self, record: AuditRecord) -> AuditRecord:
        self._check("start")
        if self.hang:
            await anyio.Event().wait()
        sealed = await self.inner.append_start(record)
        self.events.append(f"audit:start:{record.tool}")
        return sealed

    async def append_end(self, record: AuditRecord) -> AuditRecord:
        self._check("end")
        sealed = await self.inner.append_end(record)
        self.events.append(f"audit:end:{record.tool}:{record.outcome}")
        return sealed

    def iter_records(self, filters: RecordFilter | None = None) -> AsyncIterator[AuditRecord]:
        return self.inner.iter_records(filters)

    async def head(self) -> ChainHead | None:
        return await self.inner.head()

    async def verify(self, *, checkpoint: ChainHead | None = None) -> VerifyReport:
        return await self.inner.verify(checkpoint=checkpoint)

    async def close(self) -> None:
        self.closed = True
        await self.inner.close()
