"""The audit store contract, record filters, and choosing a store by URL.

A store keeps one hash chain. ``append_start`` returns only once its record
is committed (the call must not run before its start record is durable);
``append_end`` likewise. Both return the record as sealed into the chain
(``seq``, ``prev_hash``, ``hash`` filled in).

* ``sqlite:///var/lib/mcpea/audit.sqlite3``: :class:`~.sqlite.SQLiteStore`, the
  default (under ``platformdirs.user_state_dir("mcpea")``);
  ``?synchronous=FULL`` survives power loss as well as crashes.
* ``postgresql://user@host/db``: :class:`~.postgres.PostgresStore`;
  ``?schema=...&table=...`` place its tables.
* ``jsonl:///var/log/mcpea/audit.jsonl``: :class:`~.jsonl.JsonlStore`.

Paths in ``sqlite:`` and ``jsonl:`` URLs are absolute with three slashes
(``sqlite:///tmp/a.db`` is ``/tmp/a.db``) and relative with one
(``sqlite:audit.db``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

from ..context import Outcome
from ..errors import ConfigError, McpeaError
from .record import AuditRecord, Phase
from .verify import ChainHead, VerifyReport

__all__ = [
    "AuditStore",
    "AuditStoreError",
    "RecordFilter",
    "default_store_url",
    "open_store",
    "store_from_url",
]


class AuditStoreError(McpeaError):
    """The audit store could not write or read records."""


@dataclass(frozen=True)
class RecordFilter:
    """Which records :meth:`AuditStore.iter_records` yields; every field set must match.

    ``since``/``until`` compare with the record's UTC ISO time (``until`` is
    exclusive); ``after_seq`` resumes a listing; ``limit`` caps it.
    """

    call_id: str | None = None
    tool: str | None = None
    principal: str | None = None
    phase: Phase | None = None
    outcome: Outcome | None = None
    hub: str | None = None
    since: str | None = None
    until: str | None = None
    after_seq: int = 0
    limit: int | None = None

    def matches(self, record: AuditRecord) -> bool:
        if record.seq <= self.after_seq:
            return False
        for name in ("call_id", "tool", "principal", "phase", "outcome", "hub"):
            wanted = getattr(self, name)
            if wanted is not None and getattr(record, name) != wanted:
                return False
        if self.since is not None and record.time < self.since:
            return False
        return self.until is None or record.time < self.until

    def sql_where(self, placeholder: str) -> tuple[str, list[Any]]:
        """A ``WHERE`` clause (column names equal field names) and its parameters."""
        clauses = [f"seq > {placeholder}"]
        params: list[Any] = [self.after_seq]
        for name in ("call_id", "tool", "principal", "phase", "outcome", "hub"):
            wanted = getattr(self, name)
            if wanted is not None:
                clauses.append(f"{name} = {placeholder}")
                params.append(wanted)
        if self.since is not None:
            clauses.append(f"time >= {placeholder}")
            params.append(self.since)
        if self.until is not None:
            clauses.append(f"time < {placeholder}")
            params.append(self.until)
        return " AND ".join(clauses), params


@runtime_checkable
class AuditStore(Protocol):
    """Where audit records go. Every method may be awaited from the event loop without blocking it."""

    async def open(self) -> None:
        """Connect and create the schema; idempotent."""

    async def append_start(self, record: AuditRecord) -> AuditRecord:
        """Append a start record; returns once it is committed, sealed into the chain."""

    async def append_end(self, record: AuditRecord) -> AuditRecord:
        """Append an end record; returns once it is committed."""

    def iter_records(self, filters: RecordFilter | None = None) -> AsyncIterator[AuditRecord]:
        """Stored records matching ``filters``, in chain order."""

    async def head(self) -> ChainHead | None:
        """The last record's seq and hash (``None`` when empty): export it to check later with ``verify``."""

    async def verify(self, *, checkpoint: ChainHead | None = None) -> VerifyReport:
        """Check the chain and that every started call is accounted for."""

    async def close(self) -> None:
        """Flush what is queued and close; idempotent."""


def default_store_url() -> str:
    """``sqlite:///<user state dir>/audit.sqlite3``."""
    import platformdirs

    return f"sqlite://{Path(platformdirs.user_state_dir('mcpea')) / 'audit.sqlite3'}"


def _local_path(url: str, scheme: str) -> Path:
    rest = url[len(scheme) + 1 :].split("?", 1)[0]
    if rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):
            raise ConfigError(
                f"{scheme} URL needs an absolute path ({scheme}:///path) or a relative one ({scheme}:path)"
            )
    if not rest:
        raise ConfigError(f"{scheme} URL has no path: {url!r}")
    return Path(os.path.expanduser(rest))


def _options(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def store_from_url(url: str) -> AuditStore:
    """The store a URL names, not yet opened; raises ``ConfigError`` for an unknown or bad URL."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        options = _options(url)
        unknown = set(options) - {"synchronous"}
        if unknown:
            raise ConfigError(f"unknown sqlite audit store option(s): {', '.join(sorted(unknown))}")
        return SQLiteStore(_local_path(url, scheme), synchronous=options.get("synchronous", "NORMAL"))
    if scheme == "jsonl":
        from .jsonl import JsonlStore

        if _options(url):
            raise ConfigError("the jsonl audit store takes no options")
        return JsonlStore(_local_path(url, scheme))
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore.from_url(url)
    raise ConfigError(
        f"unknown audit store URL {url.split('?', 1)[0].split('@')[-1]!r}: use sqlite:, postgresql: or jsonl:"
    )


async def open_store(url: str | None = None) -> AuditStore:
    """Open the store a URL names (``None``: the default SQLite file) and create its schema."""
    store = store_from_url(url or default_store_url())
    await store.open()
    return store
