"""The audit store contract, record filters, and choosing a store by URL.

A store keeps one hash chain. ``append_start`` returns only once its record
is durable (the call must not run before its start record is); ``append_end``
likewise. Most stores make a record durable by committing it, sealed into
the chain, and return it sealed (``seq``, ``prev_hash``, ``hash`` filled in).
A store may instead *accept* records into a journal of its own and seal them
into the chain later (SQLite with ``synchronous=NORMAL``, see ``_journal``):
it says so with ``appends_at_once = True`` (its appends never wait, so the
audit plugin puts no timeout around them), returns the record unsealed, and
its reads first wait until what it accepted is in the chain.

* ``sqlite:///var/lib/mcpea/audit.sqlite3``: :class:`~.sqlite.SQLiteStore`, the
  default (under ``platformdirs.user_state_dir("mcpea")``);
  ``?synchronous=FULL`` survives power loss as well as crashes.
* ``postgresql://user@host/db``: :class:`~.postgres.PostgresStore`;
  ``?schema=...&table=...`` place its tables.
* ``jsonl:///var/log/mcpea/audit.jsonl``: :class:`~.jsonl.JsonlStore`.

Paths in ``sqlite:`` and ``jsonl:`` URLs are absolute with three slashes
(``sqlite:///tmp/a.db`` is ``/tmp/a.db``) and relative with one
(``sqlite:audit.db``).

The SQLite and PostgreSQL stores are also :class:`OutboxStore` s: they keep
the notification outbox in their own database and commit a call's
notifications with its end record.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..context import Outcome
from ..errors import ConfigError, McpeaError
from .record import AuditRecord, Phase
from .verify import ChainHead, VerifyReport

if TYPE_CHECKING:
    from ..notify.outbox import Outbox, OutboxEntry

__all__ = [
    "AuditStore",
    "AuditStoreError",
    "OutboxStore",
    "RecordFilter",
    "default_store_url",
    "display_url",
    "open_store",
    "store_from_url",
]

Dialect = Literal["sqlite", "postgresql"]
_EXACT = ("call_id", "principal", "plugin", "phase", "outcome", "hub")
_SECRET_OPTIONS = frozenset({"password", "passfile", "sslpassword"})


class AuditStoreError(McpeaError):
    """The audit store could not write or read records."""


@dataclass(frozen=True)
class RecordFilter:
    """Which records :meth:`AuditStore.iter_records` yields; every field set must match.

    ``tool`` may be a glob: ``*`` matches any run of characters and ``?`` any
    one (case-sensitive; nothing else is special). ``since``/``until``
    compare with the record's UTC ISO time (``until`` is exclusive);
    ``after_seq`` resumes a listing; ``limit`` caps it.
    """

    call_id: str | None = None
    tool: str | None = None
    principal: str | None = None
    plugin: str | None = None
    phase: Phase | None = None
    outcome: Outcome | None = None
    hub: str | None = None
    since: str | None = None
    until: str | None = None
    after_seq: int = 0
    limit: int | None = None

    @property
    def tool_is_glob(self) -> bool:
        return self.tool is not None and ("*" in self.tool or "?" in self.tool)

    def matches(self, record: AuditRecord) -> bool:
        if record.seq <= self.after_seq:
            return False
        for name in _EXACT:
            wanted = getattr(self, name)
            if wanted is not None and getattr(record, name) != wanted:
                return False
        if self.tool is not None:
            if self.tool_is_glob:
                if not fnmatch.fnmatchcase(record.tool, self.tool.replace("[", "[[]")):
                    return False
            elif record.tool != self.tool:
                return False
        if self.since is not None and record.time < self.since:
            return False
        return self.until is None or record.time < self.until

    def sql_where(self, placeholder: str, dialect: Dialect = "sqlite") -> tuple[str, list[Any]]:
        """A ``WHERE`` clause (column names equal field names) and its parameters."""
        clauses = [f"seq > {placeholder}"]
        params: list[Any] = [self.after_seq]
        for name in _EXACT:
            wanted = getattr(self, name)
            if wanted is not None:
                clauses.append(f"{name} = {placeholder}")
                params.append(wanted)
        if self.tool is not None:
            clause, value = _tool_clause(self.tool, placeholder, dialect, glob=self.tool_is_glob)
            clauses.append(clause)
            params.append(value)
        if self.since is not None:
            clauses.append(f"time >= {placeholder}")
            params.append(self.since)
        if self.until is not None:
            clauses.append(f"time < {placeholder}")
            params.append(self.until)
        return " AND ".join(clauses), params


def _tool_clause(pattern: str, placeholder: str, dialect: Dialect, *, glob: bool) -> tuple[str, str]:
    if not glob:
        return f"tool = {placeholder}", pattern
    if dialect == "sqlite":  # GLOB is case-sensitive; only its [ would be special beyond * and ?
        return f"tool GLOB {placeholder}", pattern.replace("[", "[[]")
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"tool LIKE {placeholder} ESCAPE '\\'", escaped.replace("*", "%").replace("?", "_")


@runtime_checkable
class AuditStore(Protocol):
    """Where audit records go. Every method may be awaited from the event loop without blocking it."""

    async def open(self) -> None:
        """Connect and create the schema; idempotent."""

    async def append_start(self, record: AuditRecord) -> AuditRecord:
        """Append a start record; returns once it is durable (sealed, unless the store seals later)."""

    async def append_end(self, record: AuditRecord) -> AuditRecord:
        """Append an end record; returns once it is durable."""

    def iter_records(self, filters: RecordFilter | None = None) -> AsyncIterator[AuditRecord]:
        """Stored records matching ``filters``, in chain order."""

    async def head(self) -> ChainHead | None:
        """The last record's seq and hash (``None`` when empty): export it to check later with ``verify``."""

    async def verify(self, *, checkpoint: ChainHead | None = None) -> VerifyReport:
        """Check the chain and that every started call is accounted for."""

    async def close(self) -> None:
        """Flush what is queued and close; idempotent."""


@runtime_checkable
class OutboxStore(AuditStore, Protocol):
    """An audit store that keeps the notification outbox in its own database (SQLite, PostgreSQL)."""

    async def append_end(
        self,
        record: AuditRecord,
        *,
        notifications: Sequence[OutboxEntry] = (),
        committed: Callable[[], None] | None = None,
    ) -> AuditRecord:
        """Append an end record and the call's outbox entries in one transaction; returns once durable.

        ``committed`` is called, from any thread, once the entries are in the outbox table
        (with a journal that is after this method returned).
        """

    def notify_outbox(self) -> Outbox:
        """An :class:`~mcpea_core.notify.outbox.Outbox` over the same database, not yet opened."""


def default_store_url() -> str:
    """``sqlite:///<user state dir>/audit.sqlite3``."""
    import platformdirs

    return f"sqlite://{Path(platformdirs.user_state_dir('mcpea')) / 'audit.sqlite3'}"


def display_url(url: str) -> str:
    """``url`` fit to show: no password in the user part or in the options."""
    parts = urlsplit(url)
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        name = user.split(":", 1)[0]
        netloc = f"{name}@{host}" if name else host
    options = parse_qsl(query, keep_blank_values=True)
    if any(key.lower() in _SECRET_OPTIONS for key, _ in options):
        query = "&".join(
            f"{k}=***" if k.lower() in _SECRET_OPTIONS else urlencode([(k, v)]) for k, v in options
        )
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


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
