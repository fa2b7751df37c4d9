"""``mcpea notify``: look into the notification outbox.

::

    mcpea notify status            counts, then the pending and dead-lettered notifications
    mcpea notify status --json     the same as JSON: {"outbox", "counts", "pending", "dead"}

It reads the outbox the hub uses with the same configuration: ``--outbox``,
else ``[notify] outbox``, else the audit database when the audit store
(``MCPEA_AUDIT_STORE`` or ``[audit] store``, default SQLite) keeps it, else
``notify.sqlite3`` in the user state directory.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import click

from ..config import HubConfig, load_config
from ..errors import McpeaError
from .outbox import Outbox, OutboxEntry, Status

__all__ = ["configured_outbox", "notify_group"]

_LISTED: tuple[Status, ...] = ("pending", "dead")


def configured_outbox(config: HubConfig, path: str | None = None) -> tuple[Outbox, str]:
    """The outbox a hub with this configuration uses (not opened), and where it is, fit to show."""
    from ..audit.settings import configured_store_url
    from ..audit.store import OutboxStore, display_url, store_from_url
    from .plugin import default_outbox_path
    from .sqlite_outbox import SQLiteOutbox

    chosen = path or config.notify.outbox
    url = None if chosen else configured_store_url(config.audit)
    store = store_from_url(url) if url else None
    if url and isinstance(store, OutboxStore):
        outbox = store.notify_outbox()
        if isinstance(outbox, SQLiteOutbox):
            return outbox, str(outbox.path)
        from .postgres_outbox import PostgresOutbox

        table = outbox.table if isinstance(outbox, PostgresOutbox) else "outbox"
        return outbox, f"{display_url(url)} (table {table})"
    file = Path(chosen or default_outbox_path())
    return SQLiteOutbox(file), str(file)


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


async def _report(outbox: Outbox, where: str, limit: int) -> dict[str, Any]:
    from ..audit.redact import redact_text
    from .sqlite_outbox import SQLiteOutbox

    report: dict[str, Any] = {"outbox": where, "counts": {"pending": 0, "delivered": 0, "dead": 0}}
    report.update({status: [] for status in _LISTED})
    if isinstance(outbox, SQLiteOutbox):
        if not outbox.path.exists():
            return report
        from ..audit.sqlite import SQLiteStore

        # In the audit database, a killed hub's last notifications may still wait in its journal.
        await anyio.to_thread.run_sync(SQLiteStore(outbox.path).recover_left_behind)
    try:
        await outbox.open()
    except Exception as exc:
        raise McpeaError(
            f"cannot open the notification outbox {where}: {type(exc).__name__}: {redact_text(str(exc))}"
        ) from exc
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
@click.option(
    "--outbox",
    type=click.Path(dir_okay=False),
    help="SQLite outbox file (default: [notify] outbox, else the audit database, else notify.sqlite3).",
)
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

    chosen, where = configured_outbox(load_config(config), outbox)
    report = anyio.run(_report, chosen, where, limit)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    counts = report["counts"]
    console = _console()
    console.print(
        f"{where}: {counts['pending']} pending, {counts['delivered']} delivered, "
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
