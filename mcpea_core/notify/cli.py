"""``mcpea notify``: look into the notification outbox.

::

    mcpea notify status            counts, then the pending and dead-lettered notifications
    mcpea notify status --json     the same as JSON: {"outbox", "counts", "pending", "dead"}
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import click

from ..config import HubConfig, load_config
from .outbox import OutboxEntry, Status
from .settings import NotifySettings

__all__ = ["notify_group"]

_LISTED: tuple[Status, ...] = ("pending", "dead")


def _settings(config: HubConfig) -> NotifySettings:
    return config.notify


def _time(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")


def _row(entry: OutboxEntry) -> dict[str, Any]:
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        payload = {}
    return {
        "id": entry.id,
        "idempotency_key": entry.idempotency_key,
        "channel": entry.channel,
        "status": entry.status,
        "tool": payload.get("tool"),
        "outcome": payload.get("outcome"),
        "call_id": payload.get("call_id"),
        "attempts": entry.attempts,
        "created_at": _time(entry.created_at),
        "next_attempt_at": _time(entry.next_attempt_at) if entry.status == "pending" else None,
        "last_error": entry.last_error,
    }


async def _report(path: Path, limit: int) -> dict[str, Any]:
    from .sqlite_outbox import SQLiteOutbox

    report: dict[str, Any] = {"outbox": str(path), "counts": {"pending": 0, "delivered": 0, "dead": 0}}
    report.update({status: [] for status in _LISTED})
    if not path.exists():
        return report
    outbox = SQLiteOutbox(path)
    await outbox.open()
    try:
        report["counts"] = await outbox.counts()
        for status in _LISTED:
            report[status] = [_row(e) for e in await outbox.list_entries(status, limit=limit)]
    finally:
        await outbox.close()
    return report


@click.group(name="notify")
def notify_group() -> None:
    """Notifications: what waits in the outbox and what was given up on."""


# mcpea_core.cli imports this module to add the group, so its helpers are imported when a command runs.
@notify_group.command()
@click.option("--config", "config", type=click.Path(dir_okay=False), help="Path to mcpea.toml.")
@click.option("--outbox", type=click.Path(dir_okay=False), help="Outbox file (default: [notify] outbox).")
@click.option(
    "--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="Entries per status."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def status(config: str | None, outbox: str | None, limit: int, as_json: bool) -> None:
    """Show pending and dead-lettered notifications (oldest first) and how many were delivered."""
    from ..cli import handle_errors

    handle_errors(_status)(config, outbox, limit, as_json)


def _status(config: str | None, outbox: str | None, limit: int, as_json: bool) -> None:
    from ..cli import _console
    from .plugin import default_outbox_path

    path = Path(outbox or _settings(load_config(config)).outbox or default_outbox_path())
    report = anyio.run(_report, path, limit)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    counts = report["counts"]
    console = _console()
    console.print(
        f"{path}: {counts['pending']} pending, {counts['delivered']} delivered, "
        f"{counts['dead']} dead-lettered"
    )
    for state in _LISTED:
        if not report[state]:
            continue
        when = "next attempt" if state == "pending" else "created"
        table = Table("id", "channel", "tool", "outcome", "attempts", when, "last error", title=state)
        for row in report[state]:
            table.add_row(
                row["id"][:12],
                row["channel"],
                row["tool"] or "-",
                row["outcome"] or "-",
                str(row["attempts"]),
                (row["next_attempt_at"] if state == "pending" else row["created_at"]) or "-",
                row["last_error"] or "",
            )
        console.print(table)
