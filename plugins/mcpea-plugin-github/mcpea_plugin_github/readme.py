"""Generate the README's tool and settings tables from the code.

    python -m mcpea_plugin_github.readme          # rewrite README.md next to the package
    python -m mcpea_plugin_github.readme --check  # exit 1 if README.md is stale
    python -m mcpea_plugin_github.readme --print  # print the generated section

Only the text between the BEGIN/END markers is generated.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from mcpea_core import make_tool

from .settings import GitHubSettings
from .toolsets import TOOLSETS

__all__ = ["README", "render", "render_settings", "render_tools", "render_toolsets", "updated"]

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- BEGIN GENERATED: python -m mcpea_plugin_github.readme; do not edit by hand -->"
END = "<!-- END GENERATED -->"


def render_tools() -> str:
    lines = [
        "| Tool | Toolset | Read-only | Destructive | Idempotent | What it does |",
        "|---|---|:-:|:-:|:-:|---|",
    ]
    for toolset in TOOLSETS:
        for tool in toolset.tools:
            notes = tool.annotations
            summary = make_tool(tool.fn, plugin="github", annotations=notes).description.splitlines()[0]
            destructive = notes.destructive and not notes.read_only
            lines.append(
                f"| `{tool.name}` | {toolset.name} | {_mark(notes.read_only)} "
                f"| {_mark(destructive)} | {_mark(notes.idempotent)} | {summary} |"
            )
    return "\n".join(lines)


def render_settings() -> str:
    lines = ["| Setting | Default | Meaning |", "|---|---|---|"]
    for name, field in GitHubSettings.model_fields.items():
        lines.append(f"| `{name}` | {_default(field)} | {field.description or ''} |")
    return "\n".join(lines)


def render_toolsets() -> str:
    lines = ["| Toolset | Tools | What it covers |", "|---|:-:|---|"]
    for toolset in TOOLSETS:
        lines.append(f"| `{toolset.name}` | {len(toolset.tools)} | {toolset.description} |")
    return "\n".join(lines)


def render() -> str:
    return "\n".join(
        [
            BEGIN,
            "",
            "### Toolsets",
            "",
            render_toolsets(),
            "",
            f"### Tools ({sum(len(t.tools) for t in TOOLSETS)})",
            "",
            render_tools(),
            "",
            "### Settings (`[plugins.github]`)",
            "",
            render_settings(),
            "",
            END,
        ]
    )


def updated(text: str) -> str:
    """``text`` with its generated section replaced by a fresh one."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError("README.md lacks the generated-section markers")
    return text[:start] + render() + text[end + len(END) :]


def _mark(flag: bool) -> str:
    return "yes" if flag else ""


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value: Any = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    return f"`{json.dumps(value)}`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mcpea_plugin_github.readme", description=__doc__.splitlines()[0]
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    group.add_argument("--print", action="store_true", help="print the generated section")
    options = parser.parse_args(argv)
    if options.print:
        print(render())
        return 0
    current = README.read_text(encoding="utf-8")
    fresh = updated(current)
    if options.check:
        if fresh != current:
            print(f"{README} is stale: run python -m mcpea_plugin_github.readme", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
