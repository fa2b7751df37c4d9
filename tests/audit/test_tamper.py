"""Editing, deleting or reordering stored records is detected, editing the SQLite and JSONL files directly."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from mcpea_core.audit import AuditRecord, ChainHead, VerifyReport, open_store, store_from_url

from ._support import make_record

pytestmark = pytest.mark.anyio


async def fill(url: str, calls: int = 3) -> tuple[list[AuditRecord], ChainHead]:
    store = await open_store(url)
    for i in range(calls):
        await store.append_start(make_record(f"call-{i}"))
        await store.append_end(make_record(f"call-{i}", "end"))
    records = [r async for r in store.iter_records()]  # as sealed (SQLite seals after accepting)
    head = await store.head()
    await store.close()
    assert head is not None
    return records, head


async def verify(url: str, checkpoint: ChainHead | None = None) -> VerifyReport:
    store = store_from_url(url)
    try:
        return await store.verify(checkpoint=checkpoint)
    finally:
        await store.close()


def first_bad(report: VerifyReport) -> tuple[str, int | None]:
    assert not report.ok
    bad = report.first_bad
    assert bad is not None
    return bad.kind, bad.seq


# --- SQLite -------------------------------------------------------------------

SQLITE_EDITS: dict[str, tuple[str, tuple[str, int | None]]] = {
    "edit a column": ("UPDATE audit_records SET principal = 'mallory' WHERE seq = 3", ("modified", 3)),
    "edit the arguments": (
        """UPDATE audit_records SET arguments = '{"text":"bye"}' WHERE seq = 3""",
        ("modified", 3),
    ),
    "edit an outcome": ("UPDATE audit_records SET outcome = 'denied' WHERE seq = 4", ("modified", 4)),
    "delete a record": ("DELETE FROM audit_records WHERE seq = 4", ("missing", 5)),
    "delete the last record": ("DELETE FROM audit_records WHERE seq = 6", ("truncated", None)),
    "swap two records": (
        """UPDATE audit_records SET seq = -2 WHERE seq = 2;
           UPDATE audit_records SET seq = 2 WHERE seq = 3;
           UPDATE audit_records SET seq = 3 WHERE seq = -2;""",
        ("modified", 2),
    ),
    "move a record to the end": (
        """CREATE TEMP TABLE moved AS SELECT * FROM audit_records WHERE seq = 2;
           DELETE FROM audit_records WHERE seq = 2;
           UPDATE moved SET seq = 7;
           INSERT INTO audit_records SELECT * FROM moved;""",
        ("missing", 3),
    ),
    "a record with bad JSON": ("UPDATE audit_records SET upstream = '{' WHERE seq = 2", ("malformed", 2)),
}


@pytest.mark.parametrize("edit", list(SQLITE_EDITS))
async def test_sqlite_file_edits_are_detected(tmp_path: Path, edit: str) -> None:
    path = tmp_path / "audit.sqlite3"
    url = f"sqlite://{path}"
    await fill(url)
    assert (await verify(url)).complete
    statement, expected = SQLITE_EDITS[edit]
    with sqlite3.connect(path) as conn:
        conn.executescript(statement)
    report = await verify(url)
    assert first_bad(report) == expected, report.problems


async def test_sqlite_a_cut_tail_with_a_forged_head_needs_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    url = f"sqlite://{path}"
    records, checkpoint = await fill(url)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM audit_records WHERE seq > 4")
        conn.execute("UPDATE audit_head SET seq = 4, hash = ?", (records[3].hash,))
    assert (await verify(url)).ok  # a hash chain alone cannot see this
    assert first_bad(await verify(url, checkpoint)) == ("truncated", None)


# --- JSON Lines ---------------------------------------------------------------


def edit_lines(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


def retitle(lines: list[str]) -> list[str]:
    record = json.loads(lines[2])
    record["principal"] = "mallory"
    return [*lines[:2], json.dumps(record) + "\n", *lines[3:]]


JSONL_EDITS: dict[str, tuple[Callable[[list[str]], list[str]], tuple[str, int | None]]] = {
    "edit a record": (retitle, ("modified", 3)),
    "edit a record as text": (
        lambda ls: [ls[0], ls[1].replace('"success"', '"denied"'), *ls[2:]],
        ("modified", 2),
    ),
    "delete a record": (lambda ls: ls[:3] + ls[4:], ("missing", 5)),
    "swap two records": (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], ("missing", 3)),
    "move the last record first": (lambda ls: [ls[-1], *ls[:-1]], ("missing", 6)),
    "a garbage line": (lambda ls: [*ls[:2], "{not json\n", *ls[3:]], ("malformed", None)),
}


@pytest.mark.parametrize("edit", list(JSONL_EDITS))
async def test_jsonl_file_edits_are_detected(tmp_path: Path, edit: str) -> None:
    path = tmp_path / "audit.jsonl"
    url = f"jsonl://{path}"
    await fill(url)
    assert (await verify(url)).complete
    change, expected = JSONL_EDITS[edit]
    edit_lines(path, change)
    report = await verify(url)
    assert first_bad(report) == expected, report.problems


async def test_jsonl_a_cut_tail_needs_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    url = f"jsonl://{path}"
    _, checkpoint = await fill(url)
    edit_lines(path, lambda ls: ls[:-2])
    assert (await verify(url)).ok
    assert first_bad(await verify(url, checkpoint)) == ("truncated", None)


async def test_jsonl_an_incomplete_last_line_from_a_crash_is_cut_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "audit.jsonl"
    url = f"jsonl://{path}"
    await fill(url, calls=1)
    with path.open("ab") as f:
        f.write(b'{"v":1,"id":"half-writ')
    assert (await verify(url)).complete  # readers ignore a line still being written
    store = await open_store(url)
    try:
        record = await store.append_start(make_record("next"))
        assert record.seq == 3
        assert (await store.verify()).ok
    finally:
        await store.close()
    assert "incomplete last line" in caplog.text


async def test_jsonl_refuses_to_extend_a_chain_whose_last_line_is_unreadable(tmp_path: Path) -> None:
    from mcpea_core.audit import AuditStoreError

    path = tmp_path / "audit.jsonl"
    url = f"jsonl://{path}"
    await fill(url, calls=1)
    with path.open("a") as f:
        f.write("{garbage}\n")
    store = await open_store(url)
    try:
        with pytest.raises(AuditStoreError, match="cannot be read"):
            await store.append_start(make_record("next"))
    finally:
        await store.close()
