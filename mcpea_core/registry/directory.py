"""``docs/directory.md``: the plugin directory, generated from the registry and the plugins' metadata."""

from __future__ import annotations

from pathlib import Path

from .model import Entry, Registry
from .projects import project_of

__all__ = ["DIRECTORY_FILE", "HEADER", "directory_path", "render_directory"]

DIRECTORY_FILE = "docs/directory.md"
HEADER = (
    "<!-- DO NOT EDIT: generated from registry.toml and each plugin's pyproject.toml by\n"
    "     `mcpea registry render-directory` (or `python -m mcpea_core.registry`).\n"
    "     tests/kit/test_registry.py fails when this file is stale. -->\n"
)
_TIERS = (
    ("first-party", "First-party plugins", "Maintained in this repository, under `plugins/`."),
    ("contrib", "Contrib plugins", "Contributed by the community, under `contrib/` or on the package index."),
)
_MATURITY = {
    "existing": "a stable, versioned API",
    "expanding": "a stable API the vendor is still adding to",
    "emerging": "a new or preview API: expect breaking changes",
}


def directory_path(registry: Registry) -> Path:
    """Where the directory of this registry lives (next to it, in ``docs/``)."""
    if registry.root is None:
        raise ValueError("the registry was not loaded from a file")
    return registry.root / DIRECTORY_FILE


def render_directory(registry: Registry) -> str:
    """The Markdown text of the directory; deterministic, so a stale file shows as a difference."""
    lines = [HEADER, "# Plugin directory", ""]
    lines += [
        "Every connector plugin MC-PEA knows of, from [`registry.toml`](../registry.toml). Install one",
        "into the hub's environment with `mcpea install <plugin>`; `mcpea registry show <plugin>` says more.",
        "",
    ]
    entries = registry.entries()
    for tier, title, blurb in _TIERS:
        chosen = [entry for entry in entries if entry.tier == tier]
        lines += [f"## {title}", "", blurb, ""]
        if not chosen:
            lines += ["_None yet._", ""]
            continue
        lines += [
            "| Plugin | Distribution | Version | Category | Vendor API | Core | Description |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [_row(registry, entry) for entry in chosen]
        lines.append("")
    lines += ["## By category", ""]
    categories = sorted({entry.category for entry in entries})
    lines += [f"- **{c}**: {', '.join(e.name for e in entries if e.category == c)}" for c in categories]
    lines += ["", "## Vendor API maturity", ""]
    lines += [f"- `{level}`: {meaning}." for level, meaning in _MATURITY.items()]
    return "\n".join(lines) + "\n"


def _row(registry: Registry, entry: Entry) -> str:
    project = project_of(entry, registry.root)
    name = f"[{entry.name}](../{entry.path})" if entry.path and project is not None else entry.name
    version = project.version if project is not None and project.version else "unreleased"
    cells = [
        name,
        f"`{entry.distribution}`",
        version,
        entry.category,
        entry.api_maturity,
        f">={entry.min_core}",
        entry.description,
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
