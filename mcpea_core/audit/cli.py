"""``mcpea audit``: read the audit trail, check it, keep its head elsewhere, export it.

::

    mcpea audit tail [-n N] [-f]              the last records; -f follows new ones until Ctrl-C
    mcpea audit query --tool 'stripe_*' --since 1h --outcome crash
    mcpea audit verify [--checkpoint FILE]    chain intact and every started call accounted for
    mcpea audit checkpoint > FILE             the chain's head (seq, hash, count), to keep out of band
    mcpea audit export --format jsonl|csv [-o FILE]

Every command reads the store the hub writes (``--store``, else
``MCPEA_AUDIT_STORE``, else ``[audit] store``, else the default SQLite file)
without creating or changing anything. mcpea_core.cli imports this module to
add the group, so what the commands need is imported when they run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

import click

from ..context import Outcome

if TYPE_CHECKING:
    from ._cli_support import StoreChoice
    from .checkpoint import Checkpoint
    from .export import Format
    from .record import AuditRecord
    from .store import RecordFilter
    from .verify import VerifyReport

__all__ = ["audit_group"]

F = TypeVar("F", bound=Callable[..., Any])


def store_options(fn: F) -> F:
    fn = click.option(
        "--store",
        "store_url",
        metavar="URL",
        help="Audit store URL (default: $MCPEA_AUDIT_STORE, else [audit] store, else the default file).",
    )(fn)
    return click.option("--config", "config", type=click.Path(dir_okay=False), help="Path to mcpea.toml.")(fn)


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--since``/``--until``: a record time (UTC text) from ISO 8601 or a duration ago."""
    from ._cli_support import parse_when

    try:
        return None if value is None else parse_when(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    from ._cli_support import parse_duration

    try:
        return None if value is None else parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def filter_options(fn: F) -> F:
    options = [
        click.option("--tool", help="Tool name; * and ? are wildcards (quote them: 'stripe_*')."),
        click.option("--plugin", help="Plugin that registered the tool."),
        click.option("--principal", help="Caller id, such as user:alice or local:bob."),
        click.option(
            "--outcome", type=click.Choice(get_args(Outcome)), help="How the call ended (end records)."
        ),
        click.option("--phase", type=click.Choice(["start", "end"]), help="Only start or only end records."),
        click.option("--call-id", help="Both records of one call."),
        click.option("--hub", "hub_id", help="Records of one hub instance (host:pid:random)."),
        click.option(
            "--since",
            metavar="TIME",
            callback=_when,
            help="From this time on: ISO 8601 (UTC unless an offset) or 1h, 2d ago.",
        ),
        click.option(
            "--until", metavar="TIME", callback=_when, help="Before this time (same forms as --since)."
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _filters(options: dict[str, Any], limit: int | None) -> RecordFilter:
    from .store import RecordFilter

    return RecordFilter(
        call_id=options["call_id"],
        tool=options["tool"],
        principal=options["principal"],
        plugin=options["plugin"],
        phase=options["phase"],
        outcome=options["outcome"],
        hub=options["hub_id"],
        since=options["since"],
        until=options["until"],
        limit=limit or None,
    )


def _run(fn: Callable[..., None], *args: Any) -> None:
    """Run a command's body: the hub's errors become one line and an exit code; Ctrl-C ends it quietly."""
    from ..cli import handle_errors

    try:
        handle_errors(fn)(*args)
    except KeyboardInterrupt:
        pass


def _store(config: str | None, url: str | None) -> StoreChoice:
    from ._cli_support import choose_store

    return choose_store(config, url)


@click.group(name="audit")
def audit_group() -> None:
    """The audit trail: read it, check it, keep its head elsewhere, export it.

    \b
    Every command reads the store the hub writes: --store URL, else
    MCPEA_AUDIT_STORE, else [audit] store in the config, else audit.sqlite3
    in the user state directory. Reading creates and changes nothing.
    """


# --- tail ------------------------------------------------------------------------------


@audit_group.command()
@store_options
@click.option(
    "-n", "--lines", "count", type=click.IntRange(0), default=10, show_default=True, help="Records to show."
)
@click.option(
    "-f", "--follow", is_flag=True, help="Then print new records as they are written, until Ctrl-C."
)
@click.option(
    "--interval",
    type=click.FloatRange(0.05, 60.0),
    default=1.0,
    show_default=True,
    help="Seconds between looks for new records with --follow.",
)
@click.option("--json", "as_json", is_flag=True, help="One record per line as canonical JSON.")
def tail(
    config: str | None, store_url: str | None, count: int, follow: bool, interval: float, as_json: bool
) -> None:
    """Print the last N records of the trail; with -f, keep printing new ones until Ctrl-C."""
    _run(_tail, config, store_url, count, follow, interval, as_json)


def _tail(
    config: str | None, store_url: str | None, count: int, follow: bool, interval: float, as_json: bool
) -> None:
    import anyio

    from ._cli_support import reading, record_json, record_line
    from .store import RecordFilter

    show = record_json if as_json else record_line
    choice = _store(config, store_url)

    async def run() -> None:
        async with reading(choice) as store:
            head = await store.head()
            after = max(0, (head.seq if head is not None else 0) - count)
            while True:
                async for record in store.iter_records(RecordFilter(after_seq=after)):
                    click.echo(show(record))
                    after = record.seq
                if not follow:
                    return
                await anyio.sleep(interval)

    anyio.run(run)


# --- query -----------------------------------------------------------------------------


@audit_group.command()
@store_options
@filter_options
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=100,
    show_default=True,
    help="At most this many records (0: all).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="One record per line as canonical JSON instead of a table."
)
def query(config: str | None, store_url: str | None, limit: int, as_json: bool, **filters: Any) -> None:
    """List the records that match every filter given, oldest first.

    \b
    Examples:
      mcpea audit query --tool 'stripe_*' --outcome crash --since 1d
      mcpea audit query --call-id 4f2a... --json
      mcpea audit query --principal user:alice --since 2025-01-31 --until 2025-02-01
    """
    _run(_query, config, store_url, limit, as_json, filters)


def _query(
    config: str | None, store_url: str | None, limit: int, as_json: bool, filters: dict[str, Any]
) -> None:
    import anyio

    from ..cli import _console
    from ._cli_support import reading, record_json, record_table

    choice = _store(config, store_url)
    wanted = _filters(filters, limit)

    async def run() -> list[AuditRecord]:
        found: list[AuditRecord] = []
        async with reading(choice) as store:
            async for record in store.iter_records(wanted):
                if as_json:
                    click.echo(record_json(record))
                else:
                    found.append(record)
        return found

    found = anyio.run(run)
    if as_json:
        return
    _console().print(record_table(found, f"{len(found)} record(s) in {choice.shown}"))
    if limit and len(found) == limit:
        _console(stderr=True).print(f"(the first {limit} matching records; --limit 0 shows all)")


# --- verify ----------------------------------------------------------------------------


@audit_group.command()
@store_options
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    help="A checkpoint written by `mcpea audit checkpoint`: also fail if that record is gone or differs.",
)
@click.option("--allow-unfinished", is_flag=True, help="Calls started and never finished do not fail verify.")
@click.option(
    "--in-flight",
    metavar="DURATION",
    callback=_duration,
    help="Unfinished calls started less than this long ago (15m, 1h) are taken as still running.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(
    config: str | None,
    store_url: str | None,
    checkpoint_file: Any,
    allow_unfinished: bool,
    in_flight: float | None,
    as_json: bool,
) -> None:
    """Check that the trail is intact and that every started call is accounted for.

    \b
    Intact: every record's hash matches its content, each links to the one
    before (nothing edited, deleted, inserted or reordered), and the chain
    reaches the store's own head and the --checkpoint (nothing cut off or
    rewritten). The first bad record is named: seq, id and the problem.

    \b
    Accounted for: every start record has an end record for the same call
    later in the trail. A call started and never finished means the hub
    stopped (crash, kill -9, power loss) while the call ran, or the call is
    still running: whether it had its effect must be checked upstream
    (connectors send idempotency keys mcpea-<call id>). Such calls are
    listed, the first one named, and fail verify unless --allow-unfinished,
    or unless they started within --in-flight (a live hub's calls running
    now). An end record without a start record (what on_failure = "allow"
    leaves when the start record could not be written) is a note only, as
    are records a SQLite store set aside in <db>.rejected because they can
    never be stored (counted, with the file named).

    \b
    Exit status: 0 intact and every call accounted for; 1 damaged;
    2 bad usage or configuration; 3 intact but with unfinished calls.
    """
    checkpoint = _read_checkpoint(checkpoint_file) if checkpoint_file is not None else None
    _run(_verify, config, store_url, checkpoint, allow_unfinished, in_flight, as_json)


def _set_aside(url: str) -> tuple[Path, int] | None:
    """A SQLite store's file of records set aside (``_journal.set_aside``) and how many it holds."""
    if not url.lower().startswith("sqlite:"):
        return None
    from ._journal import rejected_path
    from .sqlite import SQLiteStore
    from .store import store_from_url

    store = store_from_url(url)  # opens nothing
    assert isinstance(store, SQLiteStore)
    path = rejected_path(store.path)
    try:  # a record set aside twice (recovery ran again) is counted once
        with path.open("rb") as file:
            count = len({_record_id(line) for line in file if line.strip()})
    except FileNotFoundError:
        return None
    except OSError as exc:
        click.echo(f"note: cannot read {path}, where refused records are set aside: {exc.strerror}", err=True)
        return None
    return (path, count) if count else None


def _record_id(line: bytes) -> object:
    import json

    try:
        record = json.loads(line)["record"]
        return record[0] if isinstance(record, list) and isinstance(record[0], str) else line
    except (ValueError, KeyError, TypeError, IndexError):
        return line  # unreadable: counted as one


def _read_checkpoint(file: Any) -> Checkpoint:
    from .checkpoint import Checkpoint

    try:
        return Checkpoint.from_json(file.read())
    except ValueError as exc:
        raise click.BadParameter(f"{file.name}: {exc}", param_hint="--checkpoint") from None


async def _verified(choice: StoreChoice, checkpoint: Checkpoint | None) -> VerifyReport:
    from ._cli_support import reading

    async with reading(choice) as store:
        return await store.verify(checkpoint=checkpoint.head if checkpoint is not None else None)


def _verify(
    config: str | None,
    store_url: str | None,
    checkpoint: Checkpoint | None,
    allow_unfinished: bool,
    in_flight: float | None,
    as_json: bool,
) -> None:
    import anyio

    from ._verify_report import exit_status, print_report, report_dict, split_unfinished

    choice = _store(config, store_url)
    report = anyio.run(_verified, choice, checkpoint)
    failing, running = split_unfinished(report, in_flight)
    aside = _set_aside(choice.url)
    if as_json:
        import json

        shown = report_dict(report, choice.shown, failing, running)
        shown["set_aside"] = None if aside is None else {"file": str(aside[0]), "records": aside[1]}
        click.echo(json.dumps(shown, indent=2))
    else:
        print_report(report, choice.shown, checkpoint, failing, running, allow_unfinished=allow_unfinished)
        if aside is not None:
            click.echo(
                f"note: {aside[1]} record(s) that can never be stored are set aside in {aside[0]}, "
                "outside the trail (see the hub's log for why each was refused)"
            )
    sys.exit(exit_status(report, failing, allow_unfinished=allow_unfinished))


# --- checkpoint ------------------------------------------------------------------------


@audit_group.command()
@store_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def checkpoint(config: str | None, store_url: str | None, output: str | None) -> None:
    """Print the chain's head (seq, hash, count) as JSON, to keep out of band.

    The trail is verified first: a damaged trail gets no checkpoint (exit 1).
    Keep the output where whoever can write the audit store cannot (another
    machine, a ticket, write-once storage); `mcpea audit verify --checkpoint
    FILE` then detects a tail cut off or a chain rewritten since.
    """
    _run(_checkpoint, config, store_url, output)


def _checkpoint(config: str | None, store_url: str | None, output: str | None) -> None:
    import anyio

    from .checkpoint import Checkpoint
    from .export import open_output
    from .store import AuditStoreError

    choice = _store(config, store_url)
    report = anyio.run(_verified, choice, None)
    if not report.ok:
        raise AuditStoreError(
            f"audit store {choice.shown} is damaged, so no checkpoint was written: {report.first_bad}"
        )
    taken = Checkpoint.of(report, choice.shown)
    with open_output(output, sys.stdout) as out:
        out.write(taken.to_json() + "\n")


# --- export ----------------------------------------------------------------------------


@audit_group.command()
@store_options
@filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write to this file (owner-only) instead of stdout.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A progress bar on stderr (default: when stderr is a terminal).",
)
def export(
    config: str | None,
    store_url: str | None,
    fmt: Format,
    output: str | None,
    progress: bool | None,
    **filters: Any,
) -> None:
    """Write the records (all, or those matching the filters) as JSON Lines or CSV.

    JSON Lines is lossless: each line is a record exactly as the jsonl: store
    writes it, so a full export verifies on its own with
    `mcpea audit verify --store jsonl:///path/export.jsonl`. CSV has a header
    of the record's fields, JSON text in arguments and upstream, and an empty
    cell for an absent value; it is for reading, not for archiving.
    """
    show = sys.stderr.isatty() if progress is None else progress
    _run(_export, config, store_url, fmt, output, show, filters)


def _export(
    config: str | None,
    store_url: str | None,
    fmt: Format,
    output: str | None,
    show: bool,
    filters: dict[str, Any],
) -> None:
    import anyio

    from . import export as exporting
    from ._cli_support import reading

    choice = _store(config, store_url)
    wanted = _filters(filters, None)

    async def run() -> None:
        async with reading(choice) as store:
            head = await store.head()
            with exporting.open_output(output, sys.stdout) as out:
                write = exporting.csv_writer(out) if fmt == "csv" else exporting.jsonl_writer(out)
                async with exporting.progress(show, head.seq if head is not None else 0) as advance:
                    async for record in store.iter_records(wanted):
                        write(record)
                        advance(record.seq)

    anyio.run(run)
