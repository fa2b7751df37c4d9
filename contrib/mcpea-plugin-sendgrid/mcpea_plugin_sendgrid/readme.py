"""Generate the tool table of the README from the tools themselves.

    python -m mcpea_plugin_sendgrid.readme           # print the table
    python -m mcpea_plugin_sendgrid.readme --write   # rewrite it in README.md
    python -m mcpea_plugin_sendgrid.readme --check   # exit 1 when README.md is stale

The table sits between the ``BEGIN``/``END`` markers; a test fails when it is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mcpea_core import Tool, make_tool

from .tools import TOOLS

__all__ = ["BEGIN", "END", "README", "main", "render", "table"]

PLUGIN = "sendgrid"
README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = f"<!-- BEGIN GENERATED TOOLS: python -m mcpea_plugin_{PLUGIN}.readme --write; do not edit by hand -->"
END = "<!-- END GENERATED TOOLS -->"


def _tools() -> list[Tool]:
    return [make_tool(spec.fn, plugin=PLUGIN, **spec.options()) for spec in TOOLS]


def _kind(tool: Tool) -> str:
    hints = tool.annotations
    words = ["read-only"] if hints.read_only else ["destructive" if hints.destructive else "additive"]
    if hints.idempotent and not hints.read_only:
        words.append("idempotent")
    if not hints.open_world:
        words.append("closed world")
    return ", ".join(words)


def _arguments(tool: Tool) -> str:
    schema: dict[str, Any] = tool.input_schema
    required = set(schema.get("required", []))
    names = [f"**{n}**" if n in required else n for n in schema.get("properties", {})]
    return ", ".join(names) or "none"


def table() -> str:
    """The Markdown table: one row per tool, in registration order."""
    rows = ["| Tool | What it does | Kind | Arguments (**required**) |", "|---|---|---|---|"]
    for tool in _tools():
        summary = tool.description.split("\n\n", 1)[0].replace("\n", " ").replace("|", "\\|")
        rows.append(f"| `{tool.name}` | {summary} | {_kind(tool)} | {_arguments(tool)} |")
    return "\n".join(rows)


def render(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the current table."""
    head, found, rest = readme.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"README.md lacks the markers {BEGIN!r} ... {END!r}")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m mcpea_plugin_{PLUGIN}.readme", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--write", action="store_true", help="rewrite the table in README.md")
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is stale")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        print(table())
        return 0
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print(f"{README} is stale: run python -m mcpea_plugin_{PLUGIN}.readme --write", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
