"""Audit records as JSON Lines: one canonical JSON record per line, for shipping to a log pipeline.

Each batch is appended with one ``write`` and one ``fsync`` (so it survives
power loss), under an exclusive ``flock`` so several hub processes can share
the file and extend one chain. A batch that fails half-written is cut off
again; an incomplete last line left by a crash in the middle of a write
(never acknowledged to any caller) is cut off, with a warning, when the next
writer opens the file. The file has no separate head: to detect a cut-off
tail, keep ``head()`` out of band and pass it to ``verify``.

A JSON Lines file cannot hold the notification outbox: with this store the
notification plugin keeps its own SQLite outbox (``[notify] outbox``) and
enqueues a call's notifications in a transaction of their own, after the
call and before its end record.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._rows import seal_batch
from ._writer import ThreadedStore
from .record import AuditRecord, canonical_json
from .store import AuditStoreError, RecordFilter
from .verify import ChainHead, Malformed, VerifyReport, verify_chain

if TYPE_CHECKING:
    from ..notify.outbox import OutboxEntry

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per file
    fcntl = None  # type: ignore[assignment]

__all__ = ["JsonlStore"]

logger = logging.getLogger("mcpea.audit")
_TAIL_CHUNK = 64 * 1024


@contextlib.contextmanager
def _locked(fd: int, *, shared: bool = False) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _parse(line: bytes, number: int) -> AuditRecord | Malformed:
    try:
        data: Any = json.loads(line)
    except ValueError as exc:
        return Malformed(None, None, f"line {number}: not JSON ({exc})")
    if not isinstance(data, dict):
        return Malformed(None, None, f"line {number}: not a JSON object")
    try:
        return AuditRecord.from_dict(data)
    except (TypeError, ValueError) as exc:
        seq, id = data.get("seq"), data.get("id")
        return Malformed(
            seq if isinstance(seq, int) else None,
            id if isinstance(id, str) else None,
            f"line {number}: {exc}",
        )


class JsonlStore(ThreadedStore):
    """Audit records appended to a JSON Lines file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self._fd: int | None = None
        self._known: tuple[int, ChainHead | None] | None = None  # (file size, head) after our last write
        self._resume: dict[int, tuple[int, int]] = {}  # seq -> (offset, line number) after its line

    def __repr__(self) -> str:
        return f"JsonlStore({str(self.path)!r})"

    # --- writer thread -----------------------------------------------------

    def _connect_writer(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if created:
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self._fd = fd
        with _locked(fd):
            self._cut_incomplete_tail(fd)

    def _cut_incomplete_tail(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size == 0:
            return
        with open(self.path, "rb") as f:
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            keep = self._last_newline(f, size) + 1
        logger.warning("audit: cutting off an incomplete last line (%d bytes) of %s", size - keep, self.path)
        os.ftruncate(fd, keep)
        os.fsync(fd)

    @staticmethod
    def _last_newline(f: Any, end: int) -> int:
        """Offset of the last ``\\n`` before ``end`` (-1 if none)."""
        pos = end
        while pos > 0:
            start = max(0, pos - _TAIL_CHUNK)
            f.seek(start)
            found = f.read(pos - start).rfind(b"\n")
            if found >= 0:
                return int(start + found)
            pos = start
        return -1

    def _tail_head(self, size: int) -> ChainHead | None:
        if size == 0:
            return None
        with open(self.path, "rb") as f:
            start = self._last_newline(f, size - 1) + 1
            f.seek(start)
            last = _parse(f.read(size - start), 0)
        if not isinstance(last, AuditRecord) or last.hash is None:
            raise AuditStoreError(
                f"the last line of {self.path} cannot be read, so the chain cannot go on: run verify"
            )
        return ChainHead(last.seq, last.hash)

    def _write_batch(
        self,
        records: Sequence[AuditRecord],
        notifications: Sequence[OutboxEntry],
    ) -> list[AuditRecord]:
        if notifications:
            raise AuditStoreError("the jsonl audit store keeps no notification outbox")
        fd = self._fd
        assert fd is not None
        with _locked(fd):
            size = os.fstat(fd).st_size
            head = self._known[1] if self._known and self._known[0] == size else self._tail_head(size)
            sealed = seal_batch(records, head)
            data = "".join(canonical_json(r.to_dict()) + "\n" for r in sealed).encode("utf-8")
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except BaseException:
                os.ftruncate(fd, size)
                self._known = None
                raise
            self._known = (size + len(data), ChainHead(sealed[-1].seq, sealed[-1].hash or ""))
        return sealed

    def _close_writer(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # --- readers -------------------------------------------------------------

    def _lines(self, start: tuple[int, int] = (0, 0)) -> Iterator[tuple[int, int, bytes]]:
        """Complete lines present when reading started, from ``start`` = (byte offset, lines before it).

        Yields (line number from 1, byte offset after the line, line).
        """
        if not self.path.exists():
            raise AuditStoreError(f"no audit trail at {self.path}")
        offset, number = start
        with open(self.path, "rb") as f:
            end = os.fstat(f.fileno()).st_size
            f.seek(offset)
            for line in f:
                offset += len(line)
                number += 1
                if offset > end or not line.endswith(b"\n"):
                    return
                yield number, offset, line

    def _scan(self) -> Iterator[AuditRecord | Malformed]:
        for number, _, line in self._lines():
            yield _parse(line, number)

    def _read_page(self, filters: RecordFilter, limit: int) -> list[AuditRecord]:
        # A listing resumes where its previous page ended instead of reading the file from the top again.
        records: list[AuditRecord] = []
        for number, offset, line in self._lines(self._resume.get(filters.after_seq, (0, 0))):
            item = _parse(line, number)
            if isinstance(item, Malformed):
                if item.seq is None or item.seq > filters.after_seq:
                    raise AuditStoreError(f"audit record cannot be read ({item.reason}): run verify")
                continue
            if filters.matches(item):
                records.append(item)
                if len(records) == limit:
                    self._resume[item.seq] = (offset, number)
                    while len(self._resume) > 32:
                        del self._resume[next(iter(self._resume))]
                    break
        return records

    def _read_head(self) -> ChainHead | None:
        if not self.path.exists():
            raise AuditStoreError(f"no audit trail at {self.path}")
        with open(self.path, "rb") as f:
            complete = self._last_newline(f, os.fstat(f.fileno()).st_size) + 1
        return self._tail_head(complete)

    def _verify_snapshot(self, checkpoint: ChainHead | None) -> VerifyReport:
        return verify_chain(self._scan(), checkpoint=checkpoint)

    def _close_reader(self) -> None:
        pass
