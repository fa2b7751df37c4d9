"""What ``mcpea registry`` shows: searching entries, their details, and rich tables of them."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from .install import install_command
from .model import Entry, Registry
from .projects import project_of

__all__ = ["details", "entries_table", "search"]


def search(registry: Registry, query: str) -> list[Entry]:
    """Entries matching every word of ``query`` (name, distribution, category, description), best first."""
    words = query.lower().split()
    scored: list[tuple[float, Entry]] = []
    for entry in registry.entries():
        fields = (
            (entry.name, 3.0),
            (entry.category, 2.0),
            (entry.distribution, 1.0),
            (entry.description, 1.0),
        )
        score = 0.0
        for word in words:
            hits = [weight for text, weight in fields if word in text.lower()]
            if not hits:
                break
            score += max(hits) + (2.0 if word == entry.name else 0.0)
        else:
            scored.append((score, entry))
    return [entry for _, entry in sorted(scored, key=lambda pair: (-pair[0], pair[1].name))]


def details(registry: Registry, entry: Entry) -> dict[str, Any]:
    """All that is known of one plugin: its entry, its version, what is installed, how to install it."""
    project = project_of(entry, registry.root)
    try:
        installed: str | None = metadata.version(entry.distribution)
    except metadata.PackageNotFoundError:
        installed = None
    return {
        **entry.model_dump(),
        "version": project.version if project is not None else None,
        "installed": installed,
        "install": " ".join(install_command(registry, entry)),
    }


def entries_table(entries: list[Entry], title: str) -> Any:
    """A rich table of entries."""
    from rich.markup import escape
    from rich.table import Table

    table = Table("plugin", "tier", "category", "vendor API", "description", title=title)
    for entry in entries:
        table.add_row(entry.name, entry.tier, entry.category, entry.api_maturity, escape(entry.description))
    return table
