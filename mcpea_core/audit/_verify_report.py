"""How ``mcpea audit verify`` shows a :class:`~.verify.VerifyReport` and which exit status it gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from .verify import Problem, Unfinished, VerifyReport

if TYPE_CHECKING:
    from .checkpoint import Checkpoint

__all__ = ["exit_status", "print_report", "report_dict", "split_unfinished"]

EXIT_OK, EXIT_DAMAGED, EXIT_UNFINISHED = 0, 1, 3
_SHOWN = 20


def split_unfinished(
    report: VerifyReport, in_flight: float | None, now: datetime | None = None
) -> tuple[list[Unfinished], list[Unfinished]]:
    """(unfinished calls that count, calls taken as still running: started within ``in_flight`` seconds)."""
    if not in_flight:
        return list(report.unfinished), []
    cutoff = ((now or datetime.now(UTC)) - timedelta(seconds=in_flight)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    failing = [u for u in report.unfinished if u.time < cutoff]
    return failing, [u for u in report.unfinished if u.time >= cutoff]


def exit_status(report: VerifyReport, failing: list[Unfinished], *, allow_unfinished: bool) -> int:
    if not report.ok:
        return EXIT_DAMAGED
    return EXIT_UNFINISHED if failing and not allow_unfinished else EXIT_OK


def _problem(problem: Problem) -> dict[str, Any]:
    return {"kind": problem.kind, "seq": problem.seq, "id": problem.id, "message": problem.message}


def _call(call: Unfinished) -> dict[str, Any]:
    return {"call_id": call.call_id, "tool": call.tool, "time": call.time, "seq": call.seq, "id": call.id}


def report_dict(
    report: VerifyReport, store: str, failing: list[Unfinished], running: list[Unfinished]
) -> dict[str, Any]:
    return {
        "store": store,
        "ok": report.ok,
        "records": report.records,
        "head": None if report.head is None else {"seq": report.head.seq, "hash": report.head.hash},
        "errors": [_problem(p) for p in report.errors],
        "notes": [_problem(p) for p in report.problems if not p.error],
        "unfinished": [_call(u) for u in failing],
        "in_flight": [_call(u) for u in running],
    }


def _describe(call: Unfinished) -> str:
    return f"call {call.call_id} ({call.tool}) started {call.time}, record seq={call.seq} id={call.id}"


def _listed(lines: list[str], err: bool = False) -> None:
    for line in lines[:_SHOWN]:
        click.echo(f"  {line}", err=err)
    if len(lines) > _SHOWN:
        click.echo(f"  ... and {len(lines) - _SHOWN} more", err=err)


def print_report(
    report: VerifyReport,
    store: str,
    checkpoint: Checkpoint | None,
    failing: list[Unfinished],
    running: list[Unfinished],
    *,
    allow_unfinished: bool,
) -> None:
    if not report.ok:
        errors = report.errors
        click.echo(
            f"{store}: audit trail DAMAGED, {len(errors)} problem(s) in {report.records} records", err=True
        )
        first = errors[0]
        where = f"seq={first.seq} id={first.id}" if first.seq is not None else "the trail as a whole"
        click.echo(f"first bad record: {where}: {first.kind}: {first.message}", err=True)
        _listed([f"{p.kind}: {p}" for p in errors], err=True)
        return
    head = f"head seq={report.head.seq} hash={report.head.hash}" if report.head else "empty"
    click.echo(f"{store}: audit trail intact, {report.records} records, {head}")
    if checkpoint is not None:
        click.echo(
            f"checkpoint seq={checkpoint.seq} (taken {checkpoint.time or 'at an unknown time'}): present"
        )
    notes = [str(p) for p in report.problems if not p.error]
    if notes:
        click.echo(f"{len(notes)} note(s):")
        _listed(notes)
    if running:
        click.echo(f"{len(running)} call(s) started within --in-flight, taken as still running:")
        _listed([_describe(u) for u in running])
    if not failing:
        click.echo("every started call is accounted for" + (" (or still running)" if running else ""))
        return
    click.echo(f"{len(failing)} call(s) started and never finished; their effect is unknown:")
    _listed([_describe(u) for u in failing])
    if not allow_unfinished:
        click.echo(
            f"first unfinished call: {_describe(failing[0])} "
            "(check it upstream; --allow-unfinished accepts unfinished calls)",
            err=True,
        )
