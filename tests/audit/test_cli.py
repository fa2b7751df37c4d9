"""`mcpea audit`: tail, query, verify, checkpoint and export against real stores."""

from __future__ import annotations

import json
import queue
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from _support import mcpea_command
from click.testing import CliRunner, Result

from mcpea_core.audit import AuditRecord, open_store, store_from_url
from mcpea_core.audit._cli_support import parse_when
from mcpea_core.audit.cli import audit_group

from ._support import STORE_KINDS, make_record

every_store = pytest.mark.parametrize("store_url", STORE_KINDS, indirect=True)
sql_stores = pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)

RECENT = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
CALLS: list[dict[str, Any]] = [
    {"call_id": "a", "tool": "stripe_create_refund", "plugin": "stripe", "principal": "user:alice",
     "outcome": "success", "time": "2025-01-01T10:00:00.000000Z"},
    {"call_id": "b", "tool": "stripe_get_balance", "plugin": "stripe", "principal": "user:bob",
     "outcome": "tool_error", "time": "2025-01-01T11:00:00.000000Z"},
    {"call_id": "c", "tool": "github_create_issue", "plugin": "github", "principal": "user:alice",
     "outcome": "crash", "time": "2025-01-02T09:00:00.000000Z"},
    {"call_id": "d", "tool": "example_echo_text", "plugin": "example", "principal": "local:test",
     "outcome": "success", "time": RECENT},
]  # fmt: skip


def fill(
    url: str, calls: Sequence[dict[str, Any]] = CALLS, *, unfinished: str | None = None
) -> list[AuditRecord]:
    """Append start and end records of ``calls`` (``unfinished``: no end record); return every stored record."""

    async def run() -> list[AuditRecord]:
        store = await open_store(url)
        try:
            for call in calls:
                fields = {k: v for k, v in call.items() if k not in ("call_id", "outcome")}
                await store.append_start(make_record(call["call_id"], **fields))
                if call["call_id"] != unfinished:
                    end = make_record(call["call_id"], "end", outcome=call["outcome"], **fields)
                    await store.append_end(end)
            return [r async for r in store.iter_records()]  # as sealed (SQLite seals after accepting)
        finally:
            await store.close()

    return anyio.run(run)


def audit(*args: str) -> Result:
    return CliRunner().invoke(audit_group, list(args), catch_exceptions=False)


def json_lines(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def seqs(result: Result) -> list[int]:
    return [record["seq"] for record in json_lines(result)]


# --- tail ------------------------------------------------------------------------------


@every_store
def test_tail_prints_the_last_records(store_url: str) -> None:
    records = fill(store_url)
    assert seqs(audit("tail", "--store", store_url, "-n", "3", "--json")) == [6, 7, 8]
    assert json_lines(audit("tail", "--store", store_url, "-n", "1", "--json")) == [records[-1].to_dict()]
    lines = audit("tail", "--store", store_url).stdout.splitlines()
    assert len(lines) == 8 and lines[0].split()[0] == "1"
    assert "github_create_issue  crash  user:alice" in lines[5] and "call=c" in lines[5]


def test_tail_follows_new_records_until_ctrl_c(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    url = f"sqlite://{tmp_path / 'audit.sqlite3'}"
    fill(url, CALLS[:1])
    command = [
        mcpea_command(),
        "audit",
        "tail",
        "-f",
        "-n",
        "1",
        "--interval",
        "0.05",
        "--json",
        "--store",
        url,
    ]
    proc = subprocess.Popen(
        command, env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        assert json.loads(lines.get(timeout=30))["seq"] == 2
        fill(url, CALLS[1:3])
        followed = [json.loads(lines.get(timeout=30)) for _ in range(4)]
        assert [(r["seq"], r["call_id"], r["phase"]) for r in followed] == [
            (3, "b", "start"), (4, "b", "end"), (5, "c", "start"), (6, "c", "end")
        ]  # fmt: skip
        assert proc.poll() is None, "still following"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


# --- query -----------------------------------------------------------------------------

QUERIES: dict[str, tuple[list[str], list[int]]] = {
    "a tool": (["--tool", "stripe_get_balance"], [3, 4]),
    "a tool glob": (["--tool", "stripe_*"], [1, 2, 3, 4]),
    "a one-character glob": (["--tool", "github_create_issu?"], [5, 6]),
    "a glob matching nothing": (["--tool", "stripe"], []),
    "a plugin": (["--plugin", "github"], [5, 6]),
    "a principal": (["--principal", "user:alice"], [1, 2, 5, 6]),
    "an outcome": (["--outcome", "tool_error"], [4]),
    "a phase": (["--phase", "start", "--plugin", "stripe"], [1, 3]),
    "a call id": (["--call-id", "c"], [5, 6]),
    "since a day": (["--since", "2025-01-02"], [5, 6, 7, 8]),
    "until, exclusive": (["--until", "2025-01-01T11:00:00Z"], [1, 2]),
    "since and until with an offset": (
        ["--since", "2025-01-01T11:30:00+01:00", "--until", "2025-01-01T12:30:00+01:00"],
        [3, 4],
    ),
    "since one hour ago": (["--since", "1h"], [7, 8]),
    "every filter at once": (
        ["--tool", "stripe_*", "--principal", "user:alice", "--outcome", "success"],
        [2],
    ),
    "a limit": (["--principal", "user:alice", "--limit", "3"], [1, 2, 5]),
}


@every_store
def test_query_filters(store_url: str) -> None:
    fill(store_url)
    for name, (filters, expected) in QUERIES.items():
        assert seqs(audit("query", "--store", store_url, "--json", *filters)) == expected, name


def test_query_prints_a_table(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'audit.sqlite3'}"
    fill(url, [{**CALLS[1], "tool": "stripe_[bold]balance"}])
    result = CliRunner().invoke(audit_group, ["query", "--store", url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"2 record(s) in {url}" in result.stdout
    assert "stripe_[bold]balance" in result.stdout and "tool_error" in result.stdout


def test_query_rejects_a_time_it_cannot_read(tmp_path: Path) -> None:
    result = audit("query", "--store", f"sqlite://{tmp_path / 'a.db'}", "--since", "yesterday")
    assert result.exit_code == 2 and "neither an ISO 8601 time" in result.output


def test_times_are_utc_record_times() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_when("90m", now) == "2025-03-01T10:30:00.000000Z"
    assert parse_when("2d", now) == "2025-02-27T12:00:00.000000Z"
    assert parse_when("2025-03-01T13:00:00+02:00") == "2025-03-01T11:00:00.000000Z"
    assert parse_when("2025-03-01") == "2025-03-01T00:00:00.000000Z"


# --- verify ----------------------------------------------------------------------------


@every_store
def test_verify_an_intact_trail(store_url: str) -> None:
    records = fill(store_url)
    result = audit("verify", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert f"audit trail intact, 8 records, head seq=8 hash={records[-1].hash}" in result.stdout
    assert "every started call is accounted for" in result.stdout
    report = json.loads(audit("verify", "--store", store_url, "--json").stdout)
    assert (report["ok"], report["records"], report["errors"], report["unfinished"]) == (True, 8, [], [])


SQLITE_TAMPERING = {  # statement, then the first bad record: its seq now, its seq when written, the problem
    "an edited record": ("UPDATE audit_records SET principal = 'mallory' WHERE seq = 3", 3, 3, "modified"),
    "a deleted record": ("DELETE FROM audit_records WHERE seq = 4", 5, 5, "missing"),
    "reordered records": (
        "UPDATE audit_records SET seq = -2 WHERE seq = 2; UPDATE audit_records SET seq = 2 WHERE seq = 3; "
        "UPDATE audit_records SET seq = 3 WHERE seq = -2",
        2,
        3,
        "modified",
    ),
}


@pytest.mark.parametrize("tampering", list(SQLITE_TAMPERING))
def test_verify_names_the_first_bad_record(tmp_path: Path, tampering: str) -> None:
    path = tmp_path / "audit.sqlite3"
    records = fill(f"sqlite://{path}")
    statement, seq, written_as, kind = SQLITE_TAMPERING[tampering]
    with sqlite3.connect(path) as conn:
        conn.executescript(statement)
    result = audit("verify", "--store", f"sqlite://{path}")
    assert result.exit_code == 1
    bad = records[written_as - 1]
    assert f"first bad record: seq={seq} id={bad.id}: {kind}: " in result.stderr, result.output
    assert "audit trail DAMAGED" in result.stderr
    report = json.loads(audit("verify", "--store", f"sqlite://{path}", "--json").stdout)
    assert (report["ok"], report["errors"][0]["seq"], report["errors"][0]["kind"]) == (False, seq, kind)


def test_verify_postgresql_tampering(postgres_url: str) -> None:
    import psycopg
    from psycopg import sql

    records = fill(postgres_url)
    schema = postgres_url.rsplit("schema=", 1)[1]
    with psycopg.connect(postgres_url.split("?", 1)[0], autocommit=True) as conn:
        conn.execute(
            sql.SQL("UPDATE {} SET outcome = 'success' WHERE seq = 4").format(
                sql.Identifier(schema, "audit_records")
            )
        )
    result = audit("verify", "--store", postgres_url)
    assert result.exit_code == 1
    assert f"first bad record: seq=4 id={records[3].id}: modified" in result.stderr


def test_unfinished_calls_fail_verify_unless_allowed(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'audit.sqlite3'}"
    records = fill(url, CALLS[:3], unfinished="b")
    result = audit("verify", "--store", url)
    assert result.exit_code == 3, result.output
    start = records[2]
    assert start.call_id == "b" and start.phase == "start"
    named = (
        f"first unfinished call: call b (stripe_get_balance) started {start.time}, record seq=3 id={start.id}"
    )
    assert named in result.stderr
    assert "audit trail intact" in result.stdout and "1 call(s) started and never finished" in result.stdout
    allowed = audit("verify", "--store", url, "--allow-unfinished")
    assert allowed.exit_code == 0 and "call b (stripe_get_balance)" in allowed.stdout
    report = json.loads(audit("verify", "--store", url, "--json").stdout)
    assert [u["call_id"] for u in report["unfinished"]] == ["b"]


def test_recent_unfinished_calls_may_count_as_still_running(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'audit.sqlite3'}"
    fill(url, CALLS, unfinished="d")  # d started five minutes ago
    assert audit("verify", "--store", url, "--in-flight", "1m").exit_code == 3
    running = audit("verify", "--store", url, "--in-flight", "1h")
    assert running.exit_code == 0, running.output
    assert "taken as still running" in running.stdout and "call d (example_echo_text)" in running.stdout
    report = json.loads(audit("verify", "--store", url, "--in-flight", "1h", "--json").stdout)
    assert report["unfinished"] == [] and [u["call_id"] for u in report["in_flight"]] == ["d"]


# --- checkpoint ------------------------------------------------------------------------


@sql_stores
def test_a_checkpoint_catches_a_cut_tail_that_the_chain_alone_cannot(store_url: str, tmp_path: Path) -> None:
    records = fill(store_url)
    taken = audit("checkpoint", "--store", store_url)
    assert taken.exit_code == 0, taken.output
    checkpoint = json.loads(taken.stdout)
    assert (checkpoint["seq"], checkpoint["hash"], checkpoint["count"]) == (8, records[-1].hash, 8)
    kept = tmp_path / "checkpoint.json"
    kept.write_text(taken.stdout)
    assert audit("verify", "--store", store_url, "--checkpoint", str(kept)).exit_code == 0

    cut_tail(store_url, keep=4, head_hash=records[3].hash or "")
    assert audit("verify", "--store", store_url).exit_code == 0  # consistent on its own
    result = audit("verify", "--store", store_url, "--checkpoint", str(kept))
    assert result.exit_code == 1
    assert "truncated: the checkpoint says seq 8 exists but the chain ends at seq 4" in result.stderr


def cut_tail(url: str, *, keep: int, head_hash: str) -> None:
    """Delete the records after ``keep`` and move the store's head back to match: a careful attacker."""
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            conn.execute("DELETE FROM audit_records WHERE seq > ?", (keep,))
            conn.execute("UPDATE audit_head SET seq = ?, hash = ?", (keep, head_hash))
        return
    import psycopg
    from psycopg import sql

    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(url.split("?", 1)[0], autocommit=True) as conn:
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE seq > %s").format(sql.Identifier(schema, "audit_records")), (keep,)
        )
        conn.execute(
            sql.SQL("UPDATE {} SET seq = %s, hash = %s").format(sql.Identifier(schema, "audit_records_head")),
            (keep, head_hash),
        )


def test_a_checkpoint_catches_a_rewritten_chain(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'audit.sqlite3'}"
    fill(url, CALLS[:2])
    kept = tmp_path / "checkpoint.json"
    assert audit("checkpoint", "--store", url, "-o", str(kept)).exit_code == 0
    (tmp_path / "audit.sqlite3").unlink()
    fill(url, [{**CALLS[0], "principal": "user:mallory"}, CALLS[1]])  # a fresh chain, valid on its own
    assert audit("verify", "--store", url).exit_code == 0
    result = audit("verify", "--store", url, "--checkpoint", str(kept))
    assert result.exit_code == 1 and "checkpoint_mismatch" in result.stderr


def test_a_damaged_trail_gets_no_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    fill(f"sqlite://{path}", CALLS[:2])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audit_records SET tool = 'x' WHERE seq = 2")
    result = audit("checkpoint", "--store", f"sqlite://{path}")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no checkpoint was written" in result.stderr and "seq=2" in result.stderr


def test_a_bad_checkpoint_file_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'audit.sqlite3'}"
    fill(url, CALLS[:1])
    bad = tmp_path / "bad.json"
    bad.write_text('{"seq": 2, "hash": "abc"}')
    result = audit("verify", "--store", url, "--checkpoint", str(bad))
    assert result.exit_code == 2 and "not an audit checkpoint" in result.output


# --- export ----------------------------------------------------------------------------


@every_store
def test_export_jsonl_is_a_trail_that_verifies_on_its_own(store_url: str, tmp_path: Path) -> None:
    records = fill(store_url)
    out = tmp_path / "export.jsonl"
    result = audit("export", "--store", store_url, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == "", "no progress bar unless asked or on a terminal"
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert [json.loads(line) for line in out.read_text().splitlines()] == [r.to_dict() for r in records]

    async def read_back() -> list[AuditRecord]:
        exported = store_from_url(f"jsonl://{out}")
        try:
            assert (await exported.verify()).complete
            return [r async for r in exported.iter_records()]
        finally:
            await exported.close()

    assert anyio.run(read_back) == records
    assert audit("verify", "--store", f"jsonl://{out}").exit_code == 0


@every_store
def test_export_csv_round_trip(store_url: str) -> None:
    import csv
    import io

    fill(store_url)
    records = fill(store_url, [{**CALLS[0], "call_id": "e", "session": "s-1"}], unfinished="e")
    result = audit("export", "--store", store_url, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:3] == ["seq", "call_id", "phase"]
    back = [record_from_csv(row) for row in rows]
    assert back == records
    assert all(r.hash == r.compute_hash() for r in back), "every hashed field survived the CSV"


_NULLABLE = frozenset({"session", "plugin_version", "outcome", "error_class", "error_message"})


def record_from_csv(row: dict[str, str]) -> AuditRecord:
    """The reading convention of the CSV export: JSON text in two columns, an empty cell is absent."""
    values: dict[str, Any] = {}
    for name, text in row.items():
        if name in ("arguments", "upstream"):
            values[name] = json.loads(text) if text else None
        elif name in ("seq", "v"):
            values[name] = int(text)
        elif name == "duration_ms":
            values[name] = float(text) if text else None
        else:
            values[name] = None if name in _NULLABLE and not text else text
    return AuditRecord.from_dict(values)


def test_export_filters_and_shows_progress_when_asked(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'audit.sqlite3'}"
    fill(url)
    result = audit("export", "--store", url, "--plugin", "stripe", "--phase", "end", "--progress")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["seq"] for line in result.stdout.splitlines()] == [2, 4]
    assert "exporting" in result.stderr and "8/8" in result.stderr


# --- choosing and opening the store ----------------------------------------------------


def test_a_store_that_cannot_be_opened_is_named_without_its_password() -> None:
    url = "postgresql://mcpea:s3cret-pw@127.0.0.1:1/audit?connect_timeout=2"
    result = audit("tail", "--store", url)
    assert result.exit_code == 1
    assert "Error: postgresql://mcpea@127.0.0.1:1/audit?connect_timeout=2: " in result.stderr
    assert "s3cret-pw" not in result.output


def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite3"
    result = audit("verify", "--store", f"sqlite://{path}")
    assert result.exit_code == 1 and f"no audit trail at {path}" in result.stderr
    assert not path.exists()


def test_the_store_comes_from_the_config_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_config = f"sqlite://{tmp_path / 'config.sqlite3'}"
    from_env = f"sqlite://{tmp_path / 'env.sqlite3'}"
    fill(from_config, CALLS[:1])
    fill(from_env, CALLS[:2])
    config = tmp_path / "mcpea.toml"
    config.write_text(f'[audit]\nstore = "{from_config}"\n')
    monkeypatch.delenv("MCPEA_AUDIT_STORE")
    assert seqs(audit("tail", "--config", str(config), "--json")) == [1, 2]
    monkeypatch.setenv("MCPEA_AUDIT_STORE", from_env)
    assert seqs(audit("tail", "--config", str(config), "--json")) == [1, 2, 3, 4]
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "off")
    off = audit("tail", "--config", str(config))
    assert off.exit_code == 2 and "audit is off" in off.stderr
    assert seqs(audit("tail", "--store", from_config, "--json")) == [1, 2]


def test_the_group_is_registered_in_mcpea(subprocess_env: dict[str, str]) -> None:
    done = subprocess.run(
        [mcpea_command(), "audit", "--help"], env=subprocess_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for command in ("tail", "query", "verify", "checkpoint", "export"):
        assert command in done.stdout


def test_verify_counts_the_records_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    url = f"sqlite://{path}"
    fill(url)
    assert "set aside" not in audit("verify", "--store", url).stdout
    assert json.loads(audit("verify", "--store", url, "--json").stdout)["set_aside"] is None
    rejected = path.with_name("audit.sqlite3.rejected")
    aside = '{"reason": "r", "record": ["%s", "start"]}\n'
    rejected.write_text(aside % "id-1" + aside % "id-2" + aside % "id-1")  # id-1 set aside twice: one record
    result = audit("verify", "--store", url)
    assert result.exit_code == 0, result.output
    assert f"note: 2 record(s) that can never be stored are set aside in {rejected}" in result.stdout
    report = json.loads(audit("verify", "--store", url, "--json").stdout)
    assert report["set_aside"] == {"file": str(rejected), "records": 2}
