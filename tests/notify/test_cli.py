"""`mcpea notify status`: pending and dead-lettered notifications, as tables or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
from click.testing import CliRunner

from mcpea_core.notify.cli import notify_group
from mcpea_core.notify.sqlite_outbox import SQLiteOutbox
from notify.support import make_entry


def fill(path: Path) -> None:
    async def run() -> None:
        outbox = SQLiteOutbox(path)
        await outbox.open()
        await outbox.enqueue([make_entry(name, at=1_700_000_000.0 + n) for n, name in enumerate("abcd")])
        a, b, c = await outbox.claim("w", limit=3, lease=30, now=1_700_000_100.0)
        await outbox.mark_delivered(a.id)
        await outbox.dead_letter(b.id, worker="w", error="webhook:ops: HTTP 410 Gone")
        await outbox.schedule_retry(
            c.id, worker="w", error="webhook:ops: HTTP 503", next_attempt_at=1_700_000_200.0
        )
        await outbox.close()

    anyio.run(run)


def test_status_json(tmp_path: Path) -> None:
    path = tmp_path / "notify.sqlite3"
    fill(path)
    result = CliRunner().invoke(notify_group, ["status", "--outbox", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["outbox"] == str(path)
    assert report["counts"] == {"pending": 2, "delivered": 1, "dead": 1}
    assert [(e["call_id"], e["attempts"], e["last_error"]) for e in report["pending"]] == [
        ("c", 1, "webhook:ops: HTTP 503"),
        ("d", 0, None),
    ]
    assert report["pending"][0]["next_attempt_at"] == "2023-11-14T22:16:40+00:00"
    (dead,) = report["dead"]
    assert (dead["call_id"], dead["channel"], dead["tool"], dead["last_error"]) == (
        "b",
        "webhook:ops",
        "example_echo_text",
        "webhook:ops: HTTP 410 Gone",
    )
    assert dead["next_attempt_at"] is None


def test_status_table(tmp_path: Path) -> None:
    path = tmp_path / "notify.sqlite3"
    fill(path)
    result = CliRunner().invoke(notify_group, ["status", "--outbox", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "2 pending, 1 delivered, 1 dead-lettered" in result.output
    assert "HTTP 410 Gone" in result.output and "HTTP 503" in result.output


def test_status_of_a_missing_outbox_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite3"
    result = CliRunner().invoke(notify_group, ["status", "--outbox", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"] == {"pending": 0, "delivered": 0, "dead": 0}
    assert not path.exists()


def test_a_bad_config_file_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "mcpea.toml"
    config.write_text("[hub\n")
    result = CliRunner().invoke(notify_group, ["status", "--config", str(config)])
    assert result.exit_code == 2 and "not valid TOML" in result.output
