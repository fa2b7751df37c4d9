"""``mcpea install``: the pip command that puts a registered plugin into the hub's own environment."""

from __future__ import annotations

import sys

from .model import Entry, Registry
from .projects import project_of

__all__ = ["install_command"]


def install_command(registry: Registry, entry: Entry, *, editable: bool = True) -> list[str]:
    """``python -m pip install`` with this interpreter: from the checkout if it has the source, else PyPI."""
    pip = [sys.executable, "-m", "pip", "install"]
    project = project_of(entry, registry.root)
    if project is not None:
        return [*pip, *(["-e"] if editable else []), str(project.directory)]
    return [*pip, entry.distribution]
