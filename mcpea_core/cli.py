"""The ``mcpea`` command line."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar, TypeVar

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
    from rich.markup import escape

    _console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", markup=True, highlight=False)
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
    from .audit.redact import RedactingFilter

    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:  # secrets never reach the logs
        handler.addFilter(RedactingFilter())


config_option = click.option("--config", "config", type=click.Path(dir_okay=False), help=CONFIG_HELP)


class _Main(click.Group):
    """The ``mcpea`` group: command groups that live next to the features they drive load when used.

    ``mcpea serve`` then starts without importing the audit, auth and notify
    command lines.
    """

    lazy_groups: ClassVar[dict[str, tuple[str, str]]] = {
        "audit": (".audit.cli", "audit_group"),
        "auth": (".auth.cli", "auth_group"),
        "notify": (".notify.cli", "notify_group"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_groups})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_groups and cmd_name not in self.commands:
            import importlib

            module, attribute = self.lazy_groups[cmd_name]
            self.add_command(getattr(importlib.import_module(module, __package__), attribute))
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def plugins(config: str | None, as_json: bool) -> None:
    """List installed plugins: name, version, hooks, tools and status.

    `failed` comes with the reason: the plugin did not import, is not
    configured (a required setting is missing from mcpea.toml), or was chosen
    but is not installed. One not chosen by MCPEA_LOAD_PLUGINS or [hub]
    plugins shows as `disabled`.
    """
    infos = _hub(config).plugins()
    if as_json:
        click.echo(json.dumps([info.as_dict() for info in infos], indent=2))
        return
    from rich.table import Table

    from rich.markup import escape

    table = Table("name", "version", "status", "hooks", "tools", title="MC-PEA plugins")
    styles = {"loaded": "green", "builtin": "dim", "disabled": "yellow", "failed": "bold red"}
    for info in infos:
        status = f"[{styles[info.status]}]{info.status}[/]"
        if info.error:
            status += f"\n[red]{escape(info.error)}[/]"
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


# === Plugin kit: `mcpea new`, `mcpea validate`, `mcpea registry`, `mcpea install` ====================
# Self-contained block (modules: mcpea_core.scaffold, .validate, .registry). Every command imports
# what it needs when it runs, so `mcpea --help` stays fast.

registry_option = click.option(
    "--registry", "registry_path", type=click.Path(dir_okay=False), default=None,
    help="registry.toml to read (default: $MCPEA_REGISTRY, else the checkout's, else the packaged copy).",
)


@main.group(name="new")
def new_group() -> None:
    """Create a new plugin from the template shipped with the core."""


@new_group.command(name="plugin")
@click.argument("name")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True,
    help="Where to create mcpea-plugin-NAME/.",
)
@handle_errors
def new_plugin(name: str, directory: str) -> None:
    """Create mcpea-plugin-NAME/: a complete plugin package with one example tool and its tests.

    NAME is lowercase letters and digits, starting with a letter; it becomes
    the distribution mcpea-plugin-NAME, the package mcpea_plugin_NAME, the
    entry point NAME and the tool prefix NAME_. An existing directory is
    never overwritten.

    \b
    Example:
      mcpea new plugin acme --dir contrib
      pip install -e contrib/mcpea-plugin-acme && mcpea validate acme
    """
    from pathlib import Path

    from .scaffold import create_plugin

    target = create_plugin(name, Path(directory))
    steps = [f"pip install -e {target}", f"MCPEA_LOAD_PLUGINS={name} mcpea plugins", f"mcpea validate {name}",
             f"(cd {target} && pytest)"]
    click.echo(f"created {target}\n\nnext:\n" + "".join(f"  {step}\n" for step in steps), nl=False)


@main.command(name="validate")
@click.argument("target", required=False)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@handle_errors
def validate_command(target: str | None, config: str | None, as_json: bool) -> None:
    """Check that a plugin follows the MC-PEA plugin contract; exit 1 if any check fails.

    TARGET is an installed plugin's NAME or a plugin source directory (PATH,
    which must be installed); without it, the plugin in the current
    directory, else every installed plugin. Settings come from the config's
    [plugins.NAME] table; without one, required secrets get placeholders
    (only read-only, closed-world tools with examples are called).

    \b
    Checks (pass / warn / fail): naming chain, entry point, settings
    documented and free of secret defaults, tool names, descriptions,
    annotations, JSON Schema 2020-12 input and output schemas, no
    credentials in defaults or examples, and an MCP round trip.
    """
    from .config import load_config
    from .validate.report import render_reports
    from .validate.runner import validate_target
    from .validate.target import resolve_targets

    hub_config = load_config(config)
    reports = [validate_target(t, hub_config.plugin_settings(t.name)) for t in resolve_targets(target)]
    ok = all(report.ok for report in reports)
    if as_json:
        click.echo(json.dumps({"ok": ok, "reports": [report.as_dict() for report in reports]}, indent=2))
    else:
        render_reports(reports, _console())
    if not ok:
        sys.exit(1)


@main.group(name="registry")
def registry_group() -> None:
    """Browse the plugin registry (registry.toml) and regenerate docs/directory.md."""


@registry_group.command(name="list")
@registry_option
@click.option("--tier", type=click.Choice(["first-party", "contrib"]), default=None, help="Only this tier.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def registry_list(registry_path: str | None, tier: str | None, as_json: bool) -> None:
    """List every registered plugin: tier, category, vendor API maturity, description."""
    from .registry import entries_table, load_registry

    entries = [e for e in load_registry(registry_path).entries() if tier is None or e.tier == tier]
    if as_json:
        click.echo(json.dumps([e.model_dump() for e in entries], indent=2))
    else:
        _console().print(entries_table(entries, f"{len(entries)} plugins"))


@registry_group.command(name="search")
@click.argument("words", nargs=-1, required=True)
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def registry_search(words: tuple[str, ...], registry_path: str | None, as_json: bool) -> None:
    """Find plugins whose name, category or description matches every word of the query."""
    from .registry import entries_table, load_registry, search

    query = " ".join(words)
    found = search(load_registry(registry_path), query)
    if as_json:
        click.echo(json.dumps([e.model_dump() for e in found], indent=2))
    elif found:
        _console().print(entries_table(found, f"{len(found)} plugins matching {query!r}"))
    else:
        _console(stderr=True).print(f"no plugin matches {query!r}: `mcpea registry list` shows them all")
        sys.exit(1)


@registry_group.command(name="show")
@click.argument("name")
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def registry_show(name: str, registry_path: str | None, as_json: bool) -> None:
    """Show one plugin: its registry entry, version, installed version and install command."""
    from rich.markup import escape

    from .registry import details, load_registry

    registry = load_registry(registry_path)
    info = details(registry, registry.get(name))
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    width = max(len(key) for key in info)
    for key, value in info.items():
        _console().print(f"[bold]{key:<{width}}[/]  {escape(str(value if value is not None else '-'))}")


@registry_group.command(name="render-directory")
@registry_option
@click.option(
    "--check", is_flag=True, help="Write nothing: exit 1 if docs/directory.md or registry.toml are stale."
)
@handle_errors
def registry_render_directory(registry_path: str | None, check: bool) -> None:
    """Regenerate docs/directory.md from registry.toml and the plugins' pyproject.toml files.

    Also reports where registry.toml disagrees with a plugin's pyproject.toml
    (distribution, description, entry point, mcpea-core requirement) or
    misses a plugin under plugins/ or contrib/; those exit 1.
    """
    from rich.markup import escape

    from .registry import check_registry, directory_path, load_registry, render_directory

    registry = load_registry(registry_path)
    problems = check_registry(registry)
    target, text = directory_path(registry), render_directory(registry)
    stale = not target.exists() or target.read_text(encoding="utf-8") != text
    if check and stale:
        problems.insert(0, f"{target} is stale: run `mcpea registry render-directory`")
    elif not check:
        target.write_text(text, encoding="utf-8")
        click.echo(f"wrote {target}")
    for problem in problems:
        _console(stderr=True).print(f"[red]registry:[/] {escape(problem)}", markup=True, highlight=False)
    if problems:
        sys.exit(1)


@main.command(name="install")
@click.argument("name")
@registry_option
@click.option("--dry-run", is_flag=True, help="Print the pip command instead of running it.")
@click.option(
    "--editable/--no-editable", default=True, show_default=True,
    help="From a checkout: install the plugin's source directory in editable mode.",
)
@handle_errors
def install(name: str, registry_path: str | None, dry_run: bool, editable: bool) -> None:
    """Install the registered plugin NAME into this hub's own Python environment.

    Runs `python -m pip install` with the interpreter running mcpea: from
    the plugin's source directory when running from a checkout that has it,
    else mcpea-plugin-NAME from the package index.
    """
    import shlex
    import subprocess

    from .registry import install_command, load_registry

    registry = load_registry(registry_path)
    command = install_command(registry, registry.get(name), editable=editable)
    click.echo(shlex.join(command))
    if not dry_run:
        sys.exit(subprocess.run(command, check=False).returncode)
