"""Exporting records: JSON Lines (lossless and verifiable) or CSV (for spreadsheets).

* ``jsonl``: one record per line in canonical JSON, exactly as the ``jsonl:``
  store writes them, so an unfiltered export is itself an audit trail:
  ``mcpea audit verify --store jsonl:///path/to/export.jsonl`` checks it.
* ``csv``: a header of the record's fields (:data:`CSV_COLUMNS`, ``seq``
  first), then one row per record; ``arguments`` and ``upstream`` hold
  canonical JSON, an absent value is an empty cell. CSV cannot tell an empty text from an absent one,
  so JSON Lines is the format to archive.

Files are created readable by their owner only: records hold who called
what, with which (redacted) arguments.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import IO, Any, Literal

from ._rows import COLUMNS
from .record import AuditRecord, canonical_json

__all__ = ["CSV_COLUMNS", "Format", "Writer", "csv_writer", "jsonl_writer", "open_output", "progress"]

Format = Literal["jsonl", "csv"]
Writer = Callable[[AuditRecord], None]
_JSON_COLUMNS = frozenset({"arguments", "upstream"})
CSV_COLUMNS: tuple[str, ...] = ("seq", *(name for name in COLUMNS if name != "seq"))


def _cell(name: str, value: Any) -> Any:
    if value is None:
        return ""
    return canonical_json(value) if name in _JSON_COLUMNS else value


@contextlib.contextmanager
def open_output(path: str | None, stdout: IO[str]) -> Iterator[IO[str]]:
    """``path`` opened for writing (owner-only, truncated), or ``stdout`` for ``None`` or ``-``."""
    if path is None or path == "-":
        yield stdout
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8", newline="") as out:
        yield out


def jsonl_writer(out: IO[str]) -> Writer:
    def write(record: AuditRecord) -> None:
        out.write(canonical_json(record.to_dict()) + "\n")

    return write


def csv_writer(out: IO[str]) -> Writer:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def write(record: AuditRecord) -> None:
        writer.writerow([_cell(name, getattr(record, name)) for name in CSV_COLUMNS])

    return write


@contextlib.asynccontextmanager
async def progress(enabled: bool, total: int) -> AsyncIterator[Callable[[int], None]]:
    """A progress bar on stderr through the chain up to ``total`` (seq); yields ``advance(seq)``."""
    if not enabled:
        yield lambda seq: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with bar:
        task = bar.add_task("export", total=total or None)
        yield lambda seq: bar.update(task, completed=min(seq, total) if total else seq)
        bar.update(task, completed=total)
