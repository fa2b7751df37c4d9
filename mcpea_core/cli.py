"""The ``mcpea`` command line."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from ._version import __version__
from .errors import ConfigError, McpeaError

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_HELP = "Path to mcpea.toml (default: $MCPEA_CONFIG, else built-in defaults)."


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 1) -> None:
    _console(stderr=True).print(f"[bold red]Error:[/] {message}", markup=True, highlight=False)
    sys.exit(code)


def handle_errors(fn: F) -> F:
    """Turn the hub's own errors into one clear line on stderr and an exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc), 2)
        except McpeaError as exc:
            _fail(str(exc), 1)

    return wrapper  # type: ignore[return-value]


def _hub(config: str | None, **options: Any) -> Any:
    from .hub import Hub

    return Hub(config, **options)


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


config_option = click.option("--config", "config", type=click.Path(dir_okay=False), help=CONFIG_HELP)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="mcpea", message="%(prog)s %(version)s")
def main() -> None:
    """MC-PEA: serve your SaaS and internal APIs to AI agents over MCP.

    Installed connector plugins (packages named mcpea-plugin-*) contribute
    tools; `mcpea serve` exposes them to MCP clients such as Claude Desktop,
    Cursor or the MCP Inspector. Every call runs through one pipeline:
    input validation, policy, the connector, audit, notifications.

    \b
    Quick start:
      mcpea plugins                      what is installed and loaded
      mcpea tools                        the tools clients will see
      mcpea call TOOL --json '{...}'     call one tool from the shell
      mcpea serve                        serve MCP over stdio
      mcpea serve --transport http       serve MCP at http://127.0.0.1:8765/mcp

    Environment: MCPEA_CONFIG (config file), MCPEA_LOAD_PLUGINS (comma-separated
    plugin names to load; empty loads none).
    """


@main.command()
@config_option
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default=None, help="Transport (default: [server] transport, stdio)."
)
@click.option("--host", default=None, help="HTTP: interface to bind (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="HTTP: port (default 8765; 0 picks one).")
@click.option("--stateless", is_flag=True, default=None, help="HTTP: stateless mode (no sessions or server push).")
@click.option("--json-response", is_flag=True, default=None, help="HTTP: answer with JSON instead of SSE streams.")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="Hub log level (logs go to stderr).",
)
@handle_errors
def serve(
    config: str | None,
    transport: str | None,
    host: str | None,
    port: int | None,
    stateless: bool | None,
    json_response: bool | None,
    log_level: str,
) -> None:
    """Serve the hub over MCP (stdio by default, or Streamable HTTP at /mcp).

    \b
    Over HTTP the hub also answers GET /healthz (alive) and GET /readyz
    (plugins loaded). Host and Origin headers are checked against loopback and
    [server] allowed_hosts / allowed_origins.
    """
    import anyio

    _setup_logging(log_level)
    hub = _hub(config)
    server_cfg = hub.config.server
    for key, value in (("host", host), ("port", port), ("stateless", stateless), ("json_response", json_response)):
        if value is not None:
            setattr(server_cfg, key, value)
    chosen = transport or server_cfg.transport
    hub.load()
    if chosen == "stdio":
        from .stdio import serve_stdio

        anyio.run(serve_stdio, hub)
    else:
        from .http import serve_http

        try:
            anyio.run(lambda: serve_http(hub, server_cfg.host, server_cfg.port, log_level=log_level))
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            raise ConfigError(f"cannot listen on {server_cfg.host}:{server_cfg.port}: {exc.strerror}") from None


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def plugins(config: str | None, as_json: bool) -> None:
    """List installed plugins: name, version, hooks, tools and status.

    A plugin that failed to import shows as `failed` with the reason; one not
    chosen by MCPEA_LOAD_PLUGINS or [hub] plugins shows as `disabled`.
    """
    infos = _hub(config).plugins()
    if as_json:
        click.echo(json.dumps([info.as_dict() for info in infos], indent=2))
        return
    from rich.table import Table

    table = Table("name", "version", "status", "hooks", "tools", title="MC-PEA plugins")
    styles = {"loaded": "green", "builtin": "dim", "disabled": "yellow", "failed": "bold red"}
    for info in infos:
        status = f"[{styles[info.status]}]{info.status}[/]"
        if info.error:
            status += f"\n[red]{info.error}[/]"
        table.add_row(info.name, info.version or "-", status, ", ".join(info.hooks), str(len(info.tools)))
    _console().print(table)


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the MCP tool definitions as JSON.")
@handle_errors
def tools(config: str | None, as_json: bool) -> None:
    """List the tools the hub serves, with their annotations."""
    hub = _hub(config)
    visible = hub.visible_tools()
    if as_json:
        out = [
            {
                "name": t.name,
                "plugin": t.plugin,
                "title": t.title,
                "description": t.description,
                "inputSchema": hub.published_schema(t),
                "outputSchema": t.output_schema,
                "annotations": t.annotations.to_wire(),
            }
            for t in visible
        ]
        click.echo(json.dumps(out, indent=2))
        return
    from rich.table import Table

    table = Table("tool", "plugin", "hints", "description", title=f"{len(visible)} tools")
    for t in visible:
        a = t.annotations
        hints = " ".join(
            label for label, on in (("read-only", a.read_only), ("destructive", a.destructive and not a.read_only),
                                    ("idempotent", a.idempotent)) if on
        )
        table.add_row(t.name, t.plugin, hints, t.description.splitlines()[0])
    _console().print(table)


@main.command()
@config_option
@click.argument("tool")
@click.option("--json", "arguments", default="{}", show_default=True, help="The tool's arguments as a JSON object.")
@handle_errors
def call(config: str | None, tool: str, arguments: str) -> None:
    """Call TOOL once through the full pipeline and print its result as JSON.

    Exits 1 when the tool reports an error (isError), 2 for unusable input.

    \b
    Example:
      mcpea call stripe_get_customer --json '{"customer_id": "cus_123"}'
    """
    import anyio

    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError as exc:
        _fail(f"--json is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", 2)
    if not isinstance(parsed, dict):
        _fail(f"--json must be a JSON object, not {type(parsed).__name__}", 2)

    async def run() -> Any:
        async with _hub(config) as hub:
            return await hub.call_tool(tool, parsed, transport="cli")

    result = anyio.run(run)
    click.echo(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2))
    if result.is_error:
        sys.exit(1)


@main.group(name="config")
def config_group() -> None:
    """Print configuration for MCP clients."""


@config_group.command(name="claude-desktop")
@config_option
@click.option("--name", default="mcpea", show_default=True, help="Server name in the client's list.")
def claude_desktop(config: str | None, name: str) -> None:
    """Print the Claude Desktop (or Cursor) entry that launches this hub over stdio.

    Merge the printed object into claude_desktop_config.json (Cursor:
    ~/.cursor/mcp.json). The command is this installation's own `mcpea`, so
    the client starts the hub with the plugins installed here.
    """
    command = shutil.which("mcpea") or os.path.join(os.path.dirname(sys.executable), "mcpea")
    entry: dict[str, Any] = {"command": os.path.abspath(command), "args": ["serve", "--transport", "stdio"]}
    config_path = config or os.environ.get("MCPEA_CONFIG")
    if config_path:
        entry["env"] = {"MCPEA_CONFIG": os.path.abspath(config_path)}
    click.echo(json.dumps({"mcpServers": {name: entry}}, indent=2))
